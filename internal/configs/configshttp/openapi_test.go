package configshttp

import (
	"bytes"
	"encoding/json"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// openAPI is api/configs.yaml, for checking that what is served is what is
// described: the routes (TestRoutesMatchOpenAPI) and every response the
// tests see (env.send calls check).
type openAPI struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
	mu       sync.Mutex
	schemas  map[string]*jsonschema.Schema
}

const openAPIResource = "https://portico.invalid/api/configs.json"

// loadOpenAPI reads and parses the document once per test binary.
var loadedOpenAPI = sync.OnceValues(func() (*openAPI, error) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "api", "configs.yaml"))
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	// The schemas are JSON Schema 2020-12 (OpenAPI 3.1); the validator
	// reads JSON, so the YAML goes through it once.
	js, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	asJSON, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(openAPIResource, asJSON); err != nil {
		return nil, err
	}
	return &openAPI{doc: doc, compiler: c, schemas: map[string]*jsonschema.Schema{}}, nil
})

func loadOpenAPI(tb testing.TB) *openAPI {
	tb.Helper()
	o, err := loadedOpenAPI()
	if err != nil {
		tb.Fatalf("load api/configs.yaml: %v", err)
	}
	return o
}

// pointerToken escapes a JSON Pointer token for a URI fragment.
func pointerToken(s string) string {
	s = strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
	return strings.NewReplacer("{", "%7B", "}", "%7D").Replace(s)
}

func getMap(m map[string]any, keys ...string) (map[string]any, bool) {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			return nil, false
		}
		m = next
	}
	return m, true
}

// check fails tb if the answer of the route pattern ("GET /v1/...") with
// status is not described: the status must be listed, and a body must
// have a described media type and match its schema.
func (o *openAPI) check(tb testing.TB, pattern string, status int, contentType string, body []byte) {
	tb.Helper()
	method, path, _ := strings.Cut(pattern, " ")
	method = strings.ToLower(method)
	op, ok := getMap(o.doc, "paths", path, method)
	if !ok {
		tb.Errorf("openapi: %s is not described", pattern)
		return
	}
	code := strconv.Itoa(status)
	resp, ok := getMap(op, "responses", code)
	at := "#/paths/" + pointerToken(path) + "/" + method + "/responses/" + code
	if !ok {
		tb.Errorf("openapi: %s answered %d, which is not described", pattern, status)
		return
	}
	if ref, ok := resp["$ref"].(string); ok {
		name, _ := strings.CutPrefix(ref, "#/components/responses/")
		if resp, ok = getMap(o.doc, "components", "responses", name); !ok {
			tb.Errorf("openapi: %s: unresolved %s", pattern, ref)
			return
		}
		at = "#/components/responses/" + pointerToken(name)
	}
	content, hasContent := getMap(resp, "content")
	if len(body) == 0 {
		if hasContent && status != 304 {
			tb.Errorf("openapi: %s %d: empty body, but content is described", pattern, status)
		}
		return
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || !hasContent {
		tb.Errorf("openapi: %s %d: body of type %q, none described", pattern, status, contentType)
		return
	}
	if _, ok := content[mt]; !ok {
		tb.Errorf("openapi: %s %d: media type %s is not described", pattern, status, mt)
		return
	}
	loc := at + "/content/" + pointerToken(mt) + "/schema"
	o.mu.Lock()
	s, ok := o.schemas[loc]
	if !ok {
		s, err = o.compiler.Compile(openAPIResource + loc)
		if err != nil {
			o.mu.Unlock()
			tb.Fatalf("openapi: compile %s: %v", loc, err)
		}
		o.schemas[loc] = s
	}
	o.mu.Unlock()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		tb.Errorf("openapi: %s %d: body is not JSON: %v", pattern, status, err)
		return
	}
	if err := s.Validate(v); err != nil {
		tb.Errorf("openapi: %s %d: body does not match %s: %v\nbody: %s", pattern, status, loc, err, body)
	}
}

// TestRoutesMatchOpenAPI checks that api/configs.yaml describes exactly
// the routes the handler serves.
func TestRoutesMatchOpenAPI(t *testing.T) {
	o := loadOpenAPI(t)
	if o.doc["openapi"] != "3.1.0" {
		t.Errorf("got openapi %v, want 3.1.0", o.doc["openapi"])
	}
	var described []string
	paths, _ := getMap(o.doc, "paths")
	for path, ops := range paths {
		for method := range ops.(map[string]any) {
			switch method {
			case "get", "post", "put", "patch", "delete":
				described = append(described, strings.ToUpper(method)+" "+path)
			}
		}
	}
	var served []string
	for _, rt := range newEnv(t, Options{}).h.routes() {
		served = append(served, rt.pattern)
	}
	slices.Sort(described)
	slices.Sort(served)
	for _, s := range served {
		if !slices.Contains(described, s) {
			t.Errorf("route %q is served but not in api/configs.yaml", s)
		}
	}
	for _, d := range described {
		if !slices.Contains(served, d) {
			t.Errorf("route %q is in api/configs.yaml but not served", d)
		}
	}
}

// TestOpenAPICheckFails keeps the response check honest: a body that
// breaks its schema, and an undescribed status, are reported.
func TestOpenAPICheckFails(t *testing.T) {
	o := loadOpenAPI(t)
	for name, c := range map[string]struct {
		status int
		body   string
	}{
		"missing field":  {200, `{"items":[{"id":"x"}]}`},
		"unknown status": {418, `{}`},
		"wrong type":     {200, `{"items":"none"}`},
	} {
		rec := &recordingTB{TB: t}
		o.check(rec, "GET /v1/orgs/{org}/integrations", c.status, "application/json", []byte(c.body))
		if !rec.failed {
			t.Errorf("%s: the check passed", name)
		}
	}
	rec := &recordingTB{TB: t}
	o.check(rec, "GET /v1/orgs/{org}/integrations", 200, "application/json", []byte(`{"items":[]}`))
	if rec.failed {
		t.Error("a valid empty page failed the check")
	}
}

// recordingTB records failures instead of failing.
type recordingTB struct {
	testing.TB
	failed bool
}

func (r *recordingTB) Errorf(string, ...any) { r.failed = true }
func (r *recordingTB) Fatalf(string, ...any) { r.failed = true }
func (r *recordingTB) Helper()               {}
