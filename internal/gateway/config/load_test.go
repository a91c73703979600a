package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const minimalYAML = `version: 1
services:
  a:
    targets: [http://127.0.0.1:8081]
routes:
  - path: /
    service: a
`

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v, want an error wrapping fs.ErrNotExist", err)
	}
}

func TestLoadTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	data := []byte(minimalYAML + "# " + strings.Repeat("x", DefaultMaxFileSize) + "\n")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, nil)
	if err == nil || !strings.Contains(err.Error(), path+":1:1: file is larger than the limit of 1048576 bytes (1MiB)") {
		t.Errorf("got %v, want the size limit error", err)
	}
}

func TestLoaderMaxFileSize(t *testing.T) {
	l := Loader{MaxFileSize: int64(len(minimalYAML))}
	if _, err := l.Parse("a.yaml", []byte(minimalYAML)); err != nil {
		t.Errorf("at the limit: got %v, want no error", err)
	}
	l.MaxFileSize--
	if _, err := l.Parse("a.yaml", []byte(minimalYAML)); err == nil {
		t.Errorf("over the limit: got no error, want one")
	}
}

func TestLoaderEnv(t *testing.T) {
	l := Loader{Env: func(n string) (string, bool) { return "debug", n == "LEVEL" }}
	c, err := l.Parse("a.yaml", []byte(minimalYAML+"log: {level: '${LEVEL}'}\n"))
	if err != nil {
		t.Fatalf("got %v, want no error", err)
	}
	if c.Log.Level != "debug" {
		t.Errorf("got level %q, want debug", c.Log.Level)
	}
}

// TestParsePointersSet checks that defaults leave no scalar pointer nil, so
// consumers may dereference them.
func TestParsePointersSet(t *testing.T) {
	c := mustParse(t, minimalYAML)
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				if v.Type().Elem().Kind() != reflect.Struct {
					t.Errorf("%s: got nil, want a default", path)
				}
				return
			}
			walk(path, v.Elem())
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(path+"."+v.Type().Field(i).Name, v.Field(i))
				}
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(path+"."+k.String(), v.MapIndex(k))
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(path, v.Index(i))
			}
		}
	}
	walk("config", reflect.ValueOf(c))
}

func TestParseRecordsPositions(t *testing.T) {
	c := mustParse(t, minimalYAML+"  - path: /x\n    service: a\n")
	for i, want := range []Position{{"test.yaml", 6, 5}, {"test.yaml", 8, 5}} {
		if got := c.Routes[i].Pos; got != want {
			t.Errorf("routes[%d].Pos: got %v, want %v", i, got, want)
		}
	}
	if c.Source != "test.yaml" {
		t.Errorf("Source: got %q, want test.yaml", c.Source)
	}
	if got := c.Services["a"].Name; got != "a" {
		t.Errorf("service name: got %q, want a", got)
	}
}

// TestParseKeepsExpandedValuesWhole checks that a variable's value is never
// parsed as YAML.
func TestParseKeepsExpandedValuesWhole(t *testing.T) {
	env := func(string) (string, bool) { return "x: 1\nroutes: []", true }
	c, err := Parse("a.yaml", []byte(minimalYAML+"tracing: {service_name: '${V}'}\n"), env)
	if err != nil {
		t.Fatalf("got %v, want no error", err)
	}
	if got := c.Tracing.ServiceName; got != "x: 1\nroutes: []" {
		t.Errorf("got %q, want the value unchanged", got)
	}
	if len(c.Routes) != 1 {
		t.Errorf("got %d routes, want 1", len(c.Routes))
	}
}

func TestParseReturnsEveryError(t *testing.T) {
	_, err := Parse("a.yaml", []byte(`version: 1
services:
  a: {targets: [http://127.0.0.1:8081], balance: random}
routes:
  - {path: /x, service: b}
  - {path: /y, service: a, methods: ["G T"]}
log: {level: loud}
`), nil)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %T %v, want Errors", err, err)
	}
	want := []string{"services.a.balance", "routes[0].service", "routes[1].methods[0]", "log.level"}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors:\n%v\nwant %d", len(errs), err, len(want))
	}
	for i, e := range errs {
		if e.Path != want[i] || e.Pos.Line == 0 || e.Pos.Column == 0 {
			t.Errorf("error %d: got %s at %v, want %s with a line and column", i, e.Path, e.Pos, want[i])
		}
	}
	if got := strings.Count(err.Error(), "\n"); got != len(want)-1 {
		t.Errorf("got %d line breaks, want one error per line", got)
	}
}

func TestErrorFormat(t *testing.T) {
	cases := []struct {
		err  Error
		want string
	}{
		{Error{Pos: Position{"f.yaml", 3, 7}, Path: "a.b", Msg: "bad"}, "f.yaml:3:7: a.b: bad"},
		{Error{Pos: Position{"f.yaml", 3, 0}, Msg: "bad"}, "f.yaml:3: bad"},
		{Error{Pos: Position{"f.yaml", 0, 0}, Msg: "bad"}, "f.yaml: bad"},
		{Error{Pos: Position{"", 3, 7}, Path: "a", Msg: "bad"}, "3:7: a: bad"},
		{Error{Path: "routes[0].path", Msg: "bad"}, "routes[0].path: bad"},
	}
	for _, tc := range cases {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestParentPath(t *testing.T) {
	cases := map[string]string{
		"a":                  "",
		"a.b":                "a",
		"routes[3].path":     "routes[3]",
		"routes[3]":          "routes",
		`x.set["a.b[c]"]`:    "x.set",
		`x.set["q\"]."].z`:   `x.set["q\"]."]`,
		"services.auth.pool": "services.auth",
	}
	for in, want := range cases {
		if got := parentPath(in); got != want {
			t.Errorf("parentPath(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"listen", "read_timeout", "read_header_timeout", "max_body"}
	cases := map[string]string{
		"lisen":              "listen",
		"LISTEN":             "listen",
		"read_timout":        "read_timeout",
		"read_header_timout": "read_header_timeout",
		"maxbody":            "max_body",
		"colour":             "",
		"l":                  "",
	}
	for in, want := range cases {
		if got := suggest(in, keys); got != want {
			t.Errorf("suggest(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestLoaderMaxErrors(t *testing.T) {
	data := []byte(minimalYAML + "server: {a: 1, b: 2, c: 3, d: 4}\n")
	_, err := Loader{MaxErrors: 2}.Parse("a.yaml", data)
	want := "a.yaml:8:10: server.a: unknown key\na.yaml:8:16: server.b: unknown key\na.yaml: and 2 more problems (showing the first 2)"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	_, err = Parse("a.yaml", data, nil)
	if got := strings.Count(err.Error(), "\n") + 1; got != 4 {
		t.Errorf("default limit: got %d lines, want 4", got)
	}
}
