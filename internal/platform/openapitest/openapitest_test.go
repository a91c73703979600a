package openapitest_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/platform/openapitest"
)

func loadPets(tb testing.TB) *openapitest.Doc {
	tb.Helper()
	return openapitest.Load(tb, filepath.Join("testdata", "pets.yaml"))
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

var (
	jsonType    = header("Content-Type", "application/json")
	problemType = header("Content-Type", "application/problem+json")
)

// answer is a response a test saw.
type answer struct {
	method, pattern string
	status          int
	header          http.Header
	body            string
}

func TestCheckResponsePasses(t *testing.T) {
	d := loadPets(t)
	for name, a := range map[string]answer{
		"valid page":     {"GET", "/pets", 200, jsonType, `[{"id":"p1","name":"Rex","born_at":"2020-01-02T03:04:05Z"}]`},
		"empty page":     {"GET", "/pets", 200, header("Content-Type", "application/json; charset=utf-8"), `[]`},
		"head of a get":  {"HEAD", "/pets", 200, jsonType, ``},
		"created":        {"POST", "/pets", 201, header("Content-Type", "application/json", "Location", "/pets/p1"), `{"id":"p1","name":"Rex"}`},
		"status range":   {"POST", "/pets", 409, problemType, `{"type":"https://example.com/conflict","status":409}`},
		"no content":     {"DELETE", "/pets/{pet}", 204, http.Header{}, ``},
		"default":        {"DELETE", "/pets/{pet}", 500, problemType, `{"type":"about:blank","status":500}`},
		"integer header": {"DELETE", "/pets/{pet}", 429, header("Retry-After", "60"), ``},
		"mux wildcard":   {"GET", "/files/{path...}", 200, header("Content-Type", "text/plain"), `hello`},
	} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{TB: t}
			d.CheckResponse(rec, a.method, a.pattern, a.status, a.header, []byte(a.body))
			if len(rec.failures) > 0 {
				t.Errorf("got failures %q, want none", rec.failures)
			}
		})
	}
}

func TestCheckResponseFails(t *testing.T) {
	d := loadPets(t)
	for name, c := range map[string]struct {
		answer
		// want is a part of the failure's message.
		want string
	}{
		"wrong type":           {answer{"GET", "/pets", 200, jsonType, `{"id":"p1"}`}, "at '': got object, want array"},
		"missing field":        {answer{"GET", "/pets", 200, jsonType, `[{"id":"p1"}]`}, "at '/0': missing property 'name'"},
		"bad format":           {answer{"GET", "/pets", 200, jsonType, `[{"id":"p1","name":"Rex","born_at":"yesterday"}]`}, "at '/0/born_at'"},
		"names the operation":  {answer{"GET", "/pets", 200, jsonType, `[1]`}, "GET /pets (listPets) 200"},
		"undocumented status":  {answer{"GET", "/pets", 404, problemType, `{"type":"about:blank","status":404}`}, "answered 404, which pets.yaml does not describe"},
		"undocumented route":   {answer{"PUT", "/pets", 200, jsonType, `{}`}, "PUT /pets is not described"},
		"body on 204":          {answer{"DELETE", "/pets/{pet}", 204, jsonType, `{}`}, "a body, but pets.yaml describes none"},
		"no body":              {answer{"GET", "/pets", 200, jsonType, ``}, "no body"},
		"undescribed type":     {answer{"GET", "/pets", 200, header("Content-Type", "text/html"), `<p>`}, "media type text/html is not described"},
		"no content type":      {answer{"GET", "/pets", 200, http.Header{}, `[]`}, `Content-Type ""`},
		"not JSON":             {answer{"GET", "/pets", 200, jsonType, `[`}, "is not JSON"},
		"missing header":       {answer{"POST", "/pets", 201, jsonType, `{"id":"p1","name":"Rex"}`}, "required header Location is missing"},
		"header schema":        {answer{"DELETE", "/pets/{pet}", 429, header("Retry-After", "soon"), ``}, "header Retry-After"},
		"problem of a range":   {answer{"POST", "/pets", 400, problemType, `{"type":"about:blank"}`}, "missing property 'status'"},
		"default's media type": {answer{"DELETE", "/pets/{pet}", 500, jsonType, `{"type":"about:blank","status":500}`}, "media type application/json"},
	} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{TB: t}
			d.CheckResponse(rec, c.method, c.pattern, c.status, c.header, []byte(c.body))
			if len(rec.failures) == 0 {
				t.Fatalf("the check passed, want a failure saying %q", c.want)
			}
			if !slices.ContainsFunc(rec.failures, func(f string) bool { return strings.Contains(f, c.want) }) {
				t.Errorf("got failures %q, want one saying %q", rec.failures, c.want)
			}
		})
	}
}

func TestOperations(t *testing.T) {
	got := loadPets(t).Operations()
	want := []string{"DELETE /pets/{pet}", "GET /files/{path}", "GET /pets", "POST /pets"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCheckRoutes(t *testing.T) {
	d := loadPets(t)
	rec := &recorder{TB: t}
	d.CheckRoutes(rec, []string{"GET /pets", "POST /pets", "DELETE /pets/{pet}", "GET /files/{path...}"})
	if len(rec.failures) > 0 {
		t.Errorf("the same routes: got failures %q", rec.failures)
	}
	rec = &recorder{TB: t}
	d.CheckRoutes(rec, []string{"GET /pets", "POST /pets", "GET /files/{path...}", "PUT /pets/{pet}"})
	want := []string{
		`route "PUT /pets/{pet}" is served but not in pets.yaml`,
		`route "DELETE /pets/{pet}" is in pets.yaml but not served`,
	}
	if !slices.Equal(rec.failures, want) {
		t.Errorf("got failures %q, want %q", rec.failures, want)
	}
}

func TestLoadFails(t *testing.T) {
	for name, path := range map[string]string{
		"missing file":        filepath.Join("testdata", "none.yaml"),
		"openapi 3.0":         filepath.Join("testdata", "openapi30.yaml"),
		"broken $ref":         filepath.Join("testdata", "brokenref.yaml"),
		"broken request $ref": filepath.Join("testdata", "brokenrequest.yaml"),
	} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{TB: t}
			if d := openapitest.Load(rec, path); d != nil || len(rec.failures) == 0 {
				t.Errorf("got %v and failures %q, want nil and a failure", d, rec.failures)
			}
		})
	}
}

func TestLoadCaches(t *testing.T) {
	if a, b := loadPets(t), openapitest.Load(t, filepath.Join(".", "testdata", "..", "testdata", "pets.yaml")); a != b {
		t.Error("the same file loaded twice gave two documents")
	}
}
