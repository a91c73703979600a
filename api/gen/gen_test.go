package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/platform/openapitest"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.yaml with what the generator makes")

// TestCommittedDocumentIsGenerated holds api/portico.yaml to what the
// generator makes of the gateway configuration portico all runs and the
// services' documents, so that neither changes without it.
func TestCommittedDocumentIsGenerated(t *testing.T) {
	want, err := generate(filepath.Join("..", "..", "cmd", "portico", "all-gateway.yaml"), "..")
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	got, err := os.ReadFile(filepath.Join("..", "portico.yaml"))
	if err != nil {
		t.Fatalf("%v; run go generate ./api/...", err)
	}
	if !bytes.Equal(got, want) {
		line, g, w := firstDifference(got, want)
		t.Fatalf("api/portico.yaml is not what api/gen makes of cmd/portico/all-gateway.yaml and the services' documents: "+
			"run go generate ./api/...\nfirst difference at line %d:\ncommitted: %q\ngenerated: %q", line, g, w)
	}
}

// firstDifference returns the number and text of the first line where a
// and b differ.
func firstDifference(a, b []byte) (int, string, string) {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; ; i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y || i >= len(al) || i >= len(bl) {
			return i + 1, x, y
		}
	}
}

// TestCommittedDocumentLoads checks that api/portico.yaml is an OpenAPI
// 3.1 document whose every schema compiles.
func TestCommittedDocumentLoads(t *testing.T) {
	d := openapitest.Load(t, filepath.Join("..", "portico.yaml"))
	if len(d.Operations()) == 0 {
		t.Error("api/portico.yaml describes no operation")
	}
}

// TestGenerateGolden generates the document of a small configuration that
// uses what the generator translates: a rewrite renaming a parameter, one
// fixing a parameter inside a segment, a stripped query, a removed header,
// machine callers' scopes, HEAD of a GET, a public route the service
// authenticates itself, a rate limit, and a composed route with select,
// merge, a fallback and a fan-out.
func TestGenerateGolden(t *testing.T) {
	got, err := generate(filepath.Join("testdata", "gateway.yaml"), filepath.Join("testdata", "api"))
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	golden := filepath.Join("testdata", "golden.yaml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		line, g, w := firstDifference(got, want)
		t.Errorf("the document differs from testdata/golden.yaml (go test -update rewrites it) at line %d:\n got: %q\nwant: %q", line, g, w)
	}
	openapitest.Load(t, golden)
}

func TestGenerateRefuses(t *testing.T) {
	const head = `version: 1
auth: {url: "http://auth.test", issuer: "http://issuer.test"}
services:
  pets: {targets: ["http://pets.test"]}
routes:
`
	for name, c := range map[string]struct {
		routes, want string
	}{
		"an internal path":     {`  - {name: r, methods: [GET], path: /internal/v1/pets, service: pets}`, "an internal path"},
		"an undescribed path":  {`  - {name: r, methods: [GET], path: /v1/nothing, service: pets}`, "it sends /v1/nothing, which api/pets.yaml does not describe"},
		"an undescribed verb":  {`  - {name: r, methods: [DELETE], path: /token, service: pets}`, "api/pets.yaml does not describe DELETE /token"},
		"a public inner route": {`  - {name: r, methods: [GET], path: "/v2/pets/{id}", service: pets, public: true}`, "admits only a component's token"},
		"every method":         {`  - {name: r, path: /token, service: pets}`, "accepts every method"},
		"a wildcard":           {`  - {name: r, methods: [GET], path: "/v2/pets/{id...}", service: pets}`, "wildcard"},
		"a missing member": {`  - name: r
    methods: [GET]
    path: /v1/r
    aggregate:
      steps: [{name: s, service: pets, path: "/v2/pets/x", select: nope, into: x}]`, `select "nope": the schema has no member "nope"`},
		"an unknown variable": {`  - {name: r, methods: [GET], path: "${PORTICO_NOPE}", service: pets}`, "PORTICO_NOPE"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "gateway.yaml")
			if err := os.WriteFile(cfg, []byte(head+c.routes+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := generate(cfg, filepath.Join("testdata", "api"))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got error %v, want one saying %q", err, c.want)
			}
		})
	}
}

func TestRunWritesTheFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "portico.yaml")
	var stdout, stderr bytes.Buffer
	args := []string{"-config", filepath.Join("testdata", "gateway.yaml"), "-api", filepath.Join("testdata", "api"), "-out", out}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join("testdata", "golden.yaml"))
	if !bytes.Equal(got, want) {
		t.Error("the file written is not the golden document")
	}
	if code := run([]string{"-config", filepath.Join("testdata", "none.yaml")}, &stdout, &stderr); code != 1 {
		t.Errorf("a missing configuration: exit %d, want 1", code)
	}
}
