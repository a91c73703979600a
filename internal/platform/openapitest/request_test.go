package openapitest_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/platform/openapitest"
)

func loadRequests(tb testing.TB) *openapitest.Doc {
	tb.Helper()
	return openapitest.Load(tb, filepath.Join("testdata", "requests.yaml"))
}

func TestMatch(t *testing.T) {
	d := loadRequests(t)
	for path, want := range map[string]string{
		"/orgs/org_1/items":       "/orgs/{org}/items",
		"/orgs/org%5F1/items":     "/orgs/{org}/items",
		"/orgs/org_1/items/new":   "/orgs/{org}/items/new",
		"/orgs/org_1/items/12":    "/orgs/{org}/items/{item}",
		"/token":                  "/token",
		"/nope":                   "",
		"/orgs//items":            "",
		"/orgs/org_1/items/12/x":  "",
		"/orgs/org_1/items/new/x": "",
	} {
		got, ok := d.Match(path)
		if got != want || ok != (want != "") {
			t.Errorf("Match(%q) = %q, %v; want %q, %v", path, got, ok, want, want != "")
		}
	}
}

// request is a request a test sends.
type request struct {
	method, target, pattern string
	header                  http.Header
	body                    string
}

func (rq request) check(t *testing.T, d *openapitest.Doc) []string {
	t.Helper()
	r := httptest.NewRequest(rq.method, rq.target, strings.NewReader(rq.body))
	for k, vs := range rq.header {
		r.Header[k] = vs
	}
	rec := &recorder{TB: t}
	d.CheckRequest(rec, r, rq.pattern, []byte(rq.body))
	return rec.failures
}

var (
	session = header("Cookie", "sid=s1", "X-Trace", "t1")
	bearer  = header("Authorization", "Bearer abc", "Content-Type", "application/json")
)

func TestCheckRequestPasses(t *testing.T) {
	d := loadRequests(t)
	for name, rq := range map[string]request{
		"session and query":    {"GET", "/orgs/org_1/items?limit=5&tag[]=a&tag[]=b", "/orgs/{org}/items", session, ""},
		"bearer":               {"GET", "/orgs/org_1/items", "/orgs/{org}/items", header("Authorization", "Bearer x", "X-Trace", "t1"), ""},
		"head of a get":        {"HEAD", "/orgs/org_1/items", "/orgs/{org}/items", session, ""},
		"document's security":  {"POST", "/orgs/org_1/items", "/orgs/{org}/items", bearer, `{"name":"a"}`},
		"no credential needed": {"PUT", "/orgs/org_1/items/new", "/orgs/{org}/items/new", nil, ""},
		"both schemes":         {"GET", "/orgs/x/items/12", "/orgs/{org}/items/{item}", header("X-Key", "k", "Cookie", "sid=s"), ""},
		"form":                 {"POST", "/token", "/token", header("Authorization", "Basic eDp5", "Content-Type", "application/x-www-form-urlencoded"), "grant_type=client_credentials&resource=a&resource=b"},
		"text":                 {"POST", "/notes", "/notes", header("Content-Type", "text/plain; charset=utf-8"), "hello"},
		"optional body":        {"POST", "/notes", "/notes", nil, ""},
	} {
		t.Run(name, func(t *testing.T) {
			if failures := rq.check(t, d); len(failures) > 0 {
				t.Errorf("got failures %q, want none", failures)
			}
		})
	}
}

func TestCheckRequestFails(t *testing.T) {
	d := loadRequests(t)
	for name, c := range map[string]struct {
		request
		// want is a part of the failure's message.
		want string
	}{
		"path parameter":      {request{"GET", "/orgs/ORG/items", "/orgs/{org}/items", session, ""}, "path parameter org"},
		"integer path":        {request{"GET", "/orgs/x/items/a", "/orgs/{org}/items/{item}", header("X-Key", "k", "Cookie", "sid=s"), ""}, `path parameter item: "a"`},
		"query minimum":       {request{"GET", "/orgs/org_1/items?limit=0", "/orgs/{org}/items", session, ""}, "query parameter limit"},
		"query type":          {request{"GET", "/orgs/org_1/items?limit=x", "/orgs/{org}/items", session, ""}, "query parameter limit"},
		"query repeated":      {request{"GET", "/orgs/org_1/items?limit=1&limit=2", "/orgs/{org}/items", session, ""}, "given 2 times"},
		"array too long":      {request{"GET", "/orgs/org_1/items?tag[]=a&tag[]=b&tag[]=c", "/orgs/{org}/items", session, ""}, "query parameter tag[]"},
		"unknown query":       {request{"GET", "/orgs/org_1/items?limt=1", "/orgs/{org}/items", session, ""}, "query parameter limt is not described"},
		"missing header":      {request{"GET", "/orgs/org_1/items", "/orgs/{org}/items", header("Cookie", "sid=s1"), ""}, "required header parameter X-Trace is missing"},
		"header schema":       {request{"GET", "/orgs/org_1/items", "/orgs/{org}/items", header("Cookie", "sid=s1", "X-Trace", "t"), ""}, "header parameter X-Trace"},
		"no credential":       {request{"GET", "/orgs/org_1/items", "/orgs/{org}/items", header("X-Trace", "t1"), ""}, "no credential its security accepts (session, or bearer)"},
		"half a requirement":  {request{"GET", "/orgs/x/items/12", "/orgs/{org}/items/{item}", header("X-Key", "k"), ""}, "(key and session)"},
		"basic is not bearer": {request{"POST", "/orgs/org_1/items", "/orgs/{org}/items", header("Authorization", "Basic eDp5", "Content-Type", "application/json"), `{"name":"a"}`}, "no credential"},
		"undescribed":         {request{"DELETE", "/orgs/org_1/items", "/orgs/{org}/items", bearer, ""}, "request DELETE /orgs/{org}/items is not described"},
		"required body":       {request{"POST", "/orgs/org_1/items", "/orgs/{org}/items", bearer, ""}, "no request body, but requests.yaml requires one"},
		"body schema":         {request{"POST", "/orgs/org_1/items", "/orgs/{org}/items", bearer, `{"nom":"a"}`}, "missing property 'name'"},
		"body not JSON":       {request{"POST", "/orgs/org_1/items", "/orgs/{org}/items", bearer, `{`}, "is not JSON"},
		"media type":          {request{"POST", "/orgs/org_1/items", "/orgs/{org}/items", header("Authorization", "Bearer x", "Content-Type", "text/plain"), `{"name":"a"}`}, "request media type text/plain is not described"},
		"unexpected body":     {request{"PUT", "/orgs/org_1/items/new", "/orgs/{org}/items/new", header("Content-Type", "application/json"), `{}`}, "a request body, but requests.yaml describes none"},
		"form schema":         {request{"POST", "/token", "/token", header("Authorization", "Basic eDp5", "Content-Type", "application/x-www-form-urlencoded"), "grant_type=password"}, "request body does not match"},
		"text schema":         {request{"POST", "/notes", "/notes", header("Content-Type", "text/plain"), "too long"}, "request body does not match"},
		"names the operation": {request{"GET", "/orgs/org_1/items?limit=0", "/orgs/{org}/items", session, ""}, "GET /orgs/{org}/items (listItems)"},
	} {
		t.Run(name, func(t *testing.T) {
			failures := c.check(t, d)
			if len(failures) == 0 {
				t.Fatalf("the check passed, want a failure saying %q", c.want)
			}
			if !slices.ContainsFunc(failures, func(f string) bool { return strings.Contains(f, c.want) }) {
				t.Errorf("got failures %q, want one saying %q", failures, c.want)
			}
		})
	}
}
