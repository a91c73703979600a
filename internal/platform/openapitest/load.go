package openapitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// Doc is a parsed OpenAPI 3.1 document with its response schemas compiled.
// It is safe for concurrent use; a nil Doc is not usable.
type Doc struct {
	// name is the document's file name, for messages.
	name string
	// root is the document as JSON values: maps, slices, strings,
	// float64, bool, nil.
	root map[string]any
	// schemas holds the compiled schema of every response media type, by
	// the JSON Pointer of its location in the document.
	schemas map[string]*jsonschema.Schema
	// compiler compiles header schemas on demand, under mu.
	compiler *jsonschema.Compiler
	mu       sync.Mutex
}

// resource is the URL the document is known by to the schema compiler; it
// is never fetched.
const resource = "https://openapitest.invalid/openapi.json"

// methods are the operations of a path item, in OpenAPI's order.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// loaded caches documents by absolute path: every test of a package builds
// its environment with Load, and parsing and compiling once per test
// binary keeps that cheap. Entries are never replaced.
var loaded sync.Map // string → func() (*Doc, error)

// Load returns the OpenAPI 3.1 document at path (YAML or JSON), parsed and
// with every response schema compiled, or fails tb. A document is read
// once per test binary.
func Load(tb testing.TB, path string) *Doc {
	tb.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		tb.Fatalf("openapitest: %v", err)
		return nil
	}
	f, _ := loaded.LoadOrStore(abs, sync.OnceValues(func() (*Doc, error) { return parse(abs) }))
	d, err := f.(func() (*Doc, error))()
	if err != nil {
		tb.Fatalf("openapitest: load %s: %v", filepath.Base(path), err)
		return nil
	}
	return d
}

func parse(path string) (*Doc, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var y any
	if err := yaml.Unmarshal(raw, &y); err != nil {
		return nil, err
	}
	// The validator reads JSON values; going through encoding/json also
	// turns YAML's non-string keys (an unquoted 200) into strings.
	js, err := json.Marshal(jsonKeys(y))
	if err != nil {
		return nil, err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return nil, err
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not an object")
	}
	if ver, _ := root["openapi"].(string); !strings.HasPrefix(ver, "3.1.") {
		return nil, fmt.Errorf("openapi %q, want 3.1.x (JSON Schema 2020-12)", ver)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(resource, root); err != nil {
		return nil, err
	}
	d := &Doc{name: filepath.Base(path), root: root, schemas: map[string]*jsonschema.Schema{}, compiler: c}
	// Compiling every response schema now finds a broken $ref when the
	// document is loaded, not when a test first meets its response.
	for _, op := range d.Operations() {
		method, p, _ := strings.Cut(op, " ")
		resps, _ := d.operation(strings.ToLower(method), p)["responses"].(map[string]any)
		for _, status := range slices.Sorted(maps.Keys(resps)) {
			resp, at, err := d.resolve(resps[status], "/paths/"+token(p)+"/"+strings.ToLower(method)+"/responses/"+token(status))
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", op, status, err)
			}
			content, _ := resp["content"].(map[string]any)
			for mt, m := range content {
				if _, ok := m.(map[string]any)["schema"]; !ok {
					continue
				}
				loc := at + "/content/" + token(mt) + "/schema"
				s, err := c.Compile(resource + "#" + loc)
				if err != nil {
					return nil, fmt.Errorf("%s %s: %s", op, status, describe(err))
				}
				d.schemas[loc] = s
			}
		}
	}
	if err := d.compileRequests(); err != nil {
		return nil, err
	}
	return d, nil
}

// jsonKeys returns v with every map keyed by strings, as JSON needs.
func jsonKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = jsonKeys(e)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = jsonKeys(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = jsonKeys(e)
		}
	}
	return v
}

// Operations returns every operation of the document as "METHOD /path"
// (the path as templated in the document), sorted.
func (d *Doc) Operations() []string {
	var out []string
	paths, _ := d.root["paths"].(map[string]any)
	for p, item := range paths {
		item, _ := item.(map[string]any)
		for _, m := range methods {
			if _, ok := item[m]; ok {
				out = append(out, strings.ToUpper(m)+" "+p)
			}
		}
	}
	slices.Sort(out)
	return out
}

// CheckRoutes fails tb for every route in served ("METHOD /path", as
// registered on an http.ServeMux) the document does not describe, and
// every operation it describes that is not served.
func (d *Doc) CheckRoutes(tb testing.TB, served []string) {
	tb.Helper()
	described := d.Operations()
	var routes []string
	for _, s := range served {
		method, p, _ := strings.Cut(s, " ")
		routes = append(routes, method+" "+Template(p))
	}
	for i, r := range routes {
		if !slices.Contains(described, r) {
			tb.Errorf("route %q is served but not in %s", served[i], d.name)
		}
	}
	for _, op := range described {
		if !slices.Contains(routes, op) {
			tb.Errorf("route %q is in %s but not served", op, d.name)
		}
	}
}

// Template returns the OpenAPI path template of an http.ServeMux path
// pattern: "{name...}" becomes "{name}" and a trailing "{$}" goes.
func Template(pattern string) string {
	pattern = strings.TrimSuffix(pattern, "{$}")
	return strings.ReplaceAll(pattern, "...}", "}")
}

// operation returns the operation object of method (lower case) on path,
// or nil.
func (d *Doc) operation(method, path string) map[string]any {
	paths, _ := d.root["paths"].(map[string]any)
	item, _ := paths[path].(map[string]any)
	op, _ := item[method].(map[string]any)
	return op
}

// resolve follows v's local $ref chain, returning the object reached and
// the JSON Pointer (without "#") of where it is. at is v's own pointer.
func (d *Doc) resolve(v any, at string) (map[string]any, string, error) {
	for range 16 {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, "", fmt.Errorf("%s is not an object", at)
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, at, nil
		}
		ptr, ok := strings.CutPrefix(ref, "#")
		if !ok {
			return nil, "", fmt.Errorf("%s: $ref %q is not in the document", at, ref)
		}
		if v, ok = d.pointer(ptr); !ok {
			return nil, "", fmt.Errorf("%s: unresolved $ref %q", at, ref)
		}
		at = ptr
	}
	return nil, "", fmt.Errorf("%s: $ref chain too long", at)
}

// pointer returns the value at a JSON Pointer (RFC 6901, as in a URI
// fragment) of the document.
func (d *Doc) pointer(ptr string) (any, bool) {
	var v any = d.root
	if ptr == "" {
		return v, true
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, false
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = untoken(tok)
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[tok]; !ok {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return v, true
}

// token escapes a JSON Pointer token for a URI fragment: "~" and "/" as
// RFC 6901 says, "{" and "}" as RFC 3986 needs.
func token(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1", "{", "%7B", "}", "%7D").Replace(s)
}

func untoken(s string) string {
	return strings.NewReplacer("%7B", "{", "%7D", "}", "~1", "/", "~0", "~").Replace(s)
}
