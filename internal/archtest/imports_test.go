package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"testing"
)

// TestImportGraph lists every package of the module with its dependencies,
// test files included, and fails on each dependency the architecture
// forbids.
func TestImportGraph(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-test", "-json=ImportPath,Deps", Module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	var seen []string
	for _, p := range pkgs {
		if c := component(p.ImportPath); c != "" && !slices.Contains(seen, c) {
			seen = append(seen, c)
		}
	}
	for _, want := range []string{"gateway", "platform", "auth"} {
		if !slices.Contains(seen, want) {
			t.Fatalf("go list found no package of %s; components seen: %v", want, seen)
		}
	}
	for _, v := range Violations(pkgs) {
		t.Error(v)
	}
}

func TestViolations(t *testing.T) {
	const m = Module + "/internal/"
	pkgs := []Package{
		{ImportPath: m + "auth/authhttp", Deps: []string{m + "auth", m + "platform/identity", "net/http"}},
		{ImportPath: m + "accounts", Deps: []string{m + "auth/authhttp", m + "platform/problem"}},
		{ImportPath: m + "gateway/authn [" + m + "gateway/authn.test]", Deps: []string{m + "auth"}},
		{ImportPath: m + "platform/identity", Deps: []string{m + "gateway/router"}},
		{ImportPath: m + "configs", Deps: []string{m + "gateway"}},
		{ImportPath: Module + "/cmd/portico", Deps: []string{m + "auth", m + "gateway"}},
		{ImportPath: m + "archtest", Deps: []string{m + "auth"}},
	}
	got := Violations(pkgs)
	want := []string{
		m + "accounts depends on " + m + "auth/authhttp: a service imports no other component",
		m + "configs depends on " + m + "gateway: a service imports no other component",
		m + "gateway/authn [" + m + "gateway/authn.test] depends on " + m + "auth: the gateway knows services only by URL",
		m + "platform/identity depends on " + m + "gateway/router: platform imports no component",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}
