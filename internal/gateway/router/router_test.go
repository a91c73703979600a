package router

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

type testRoute struct {
	methods []string
	host    string
	path    string
}

func build(t testing.TB, routes []testRoute) *Router[string] {
	t.Helper()
	r := New[string]()
	for _, rt := range routes {
		if err := r.Add(rt.methods, rt.host, MustParseTemplate(rt.path), name(rt)); err != nil {
			t.Fatalf("Add %v: %v", rt, err)
		}
	}
	return r
}

func name(rt testRoute) string {
	return strings.Join(rt.methods, ",") + " " + rt.host + rt.path
}

type matchCase struct {
	method, host, path string
	want               string // route name; "" for no match
	res                Result
	params             string // "k=v k=v"
	allow              string // "GET,HEAD"
}

func runMatch(t *testing.T, r *Router[string], cases []matchCase) {
	t.Helper()
	var p Params
	for _, c := range cases {
		v, res, allow := r.Match(c.method, c.host, c.path, &p)
		var ps []string
		for i := 0; i < p.Len(); i++ {
			ps = append(ps, p.Name(i)+"="+p.Value(i))
		}
		if res != c.res || v != c.want || strings.Join(ps, " ") != c.params || strings.Join(allow, ",") != c.allow {
			t.Errorf("Match(%s %s %s) = %q %v params %q allow %q; want %q %v params %q allow %q",
				c.method, c.host, c.path, v, res, strings.Join(ps, " "), strings.Join(allow, ","),
				c.want, c.res, c.params, c.allow)
		}
	}
}

func TestMatchPaths(t *testing.T) {
	r := build(t, []testRoute{
		{nil, "", "/"},
		{nil, "", "/a"},
		{nil, "", "/a/"},
		{nil, "", "/a/b/c"},
		{nil, "", "/a/{x}/c"},
		{nil, "", "/a/b/{y}"},
		{nil, "", "/a/{x}/{y}"},
		{nil, "", "/files/{p...}"},
		{nil, "", "/files/special"},
		{nil, "", "/users/{id}"},
		{nil, "", "/users/{id}/"},
		{nil, "", "/users/me"},
		{nil, "", "/deep/{a}/{b}/{c}/{rest...}"},
		{nil, "", "/caf%C3%A9/{x}"},
		{nil, "", "/v1/orgs/{org}/members/{rest...}"},
	})
	M, N := Matched, NotFound
	runMatch(t, r, []matchCase{
		{"GET", "", "/", " /", M, "", ""},
		{"GET", "", "/a", " /a", M, "", ""},
		{"GET", "", "/a/", " /a/", M, "", ""},
		{"GET", "", "/b", "", N, "", ""},
		{"GET", "", "/a/b", "", N, "", ""},
		// Literal over param at each position, with backtracking.
		{"GET", "", "/a/b/c", " /a/b/c", M, "", ""},
		{"GET", "", "/a/b/d", " /a/b/{y}", M, "y=d", ""},
		{"GET", "", "/a/z/c", " /a/{x}/c", M, "x=z", ""},
		{"GET", "", "/a/z/d", " /a/{x}/{y}", M, "x=z y=d", ""},
		{"GET", "", "/a/z/d/", "", N, "", ""},
		{"GET", "", "/a/b/c/d", "", N, "", ""},
		// Wildcards.
		{"GET", "", "/files", "", N, "", ""},
		{"GET", "", "/files/", " /files/{p...}", M, "p=", ""},
		{"GET", "", "/files/a", " /files/{p...}", M, "p=a", ""},
		{"GET", "", "/files/a/b/", " /files/{p...}", M, "p=a/b/", ""},
		{"GET", "", "/files/a%20b/c%2Cd", " /files/{p...}", M, "p=a%20b/c%2Cd", ""},
		{"GET", "", "/files/special", " /files/special", M, "", ""},
		{"GET", "", "/files/special/", " /files/{p...}", M, "p=special/", ""},
		{"GET", "", "/files/special/x", " /files/{p...}", M, "p=special/x", ""},
		{"GET", "", "/deep/1/2/3/", " /deep/{a}/{b}/{c}/{rest...}", M, "a=1 b=2 c=3 rest=", ""},
		{"GET", "", "/deep/1/2/3/4/5", " /deep/{a}/{b}/{c}/{rest...}", M, "a=1 b=2 c=3 rest=4/5", ""},
		{"GET", "", "/deep/1/2/3", "", N, "", ""},
		{"GET", "", "/v1/orgs/acme/members/42/roles", " /v1/orgs/{org}/members/{rest...}", M, "org=acme rest=42/roles", ""},
		// Trailing slash is significant.
		{"GET", "", "/users/42", " /users/{id}", M, "id=42", ""},
		{"GET", "", "/users/42/", " /users/{id}/", M, "id=42", ""},
		{"GET", "", "/users/me", " /users/me", M, "", ""},
		{"GET", "", "/users/me/", " /users/{id}/", M, "id=me", ""},
		// Parameter values are decoded; literals compare escaped.
		{"GET", "", "/users/a%20b", " /users/{id}", M, "id=a b", ""},
		{"GET", "", "/users/caf%C3%A9", " /users/{id}", M, "id=café", ""},
		{"GET", "", "/users/a%3Bb", " /users/{id}", M, "id=a;b", ""},
		{"GET", "", "/users/%252e", " /users/{id}", M, "id=%2e", ""},
		{"GET", "", "/users/a;b", " /users/{id}", M, "id=a;b", ""},
		{"GET", "", "/caf%C3%A9/1", " /caf%C3%A9/{x}", M, "x=1", ""},
		// Not a normalised path.
		{"GET", "", "", "", N, "", ""},
		{"GET", "", "a", "", N, "", ""},
	})
}

func TestMatchRootWildcard(t *testing.T) {
	r := build(t, []testRoute{{nil, "", "/{p...}"}, {nil, "", "/x"}})
	runMatch(t, r, []matchCase{
		{"GET", "", "/", " /{p...}", Matched, "p=", ""},
		{"GET", "", "/x", " /x", Matched, "", ""},
		{"GET", "", "/x/", " /{p...}", Matched, "p=x/", ""},
		{"GET", "", "/a/b", " /{p...}", Matched, "p=a/b", ""},
	})
	r2 := build(t, []testRoute{{nil, "", "/{p...}"}, {nil, "", "/"}})
	runMatch(t, r2, []matchCase{
		{"GET", "", "/", " /", Matched, "", ""},
	})
}

func TestMatchMethods(t *testing.T) {
	r := build(t, []testRoute{
		{[]string{"GET"}, "", "/items"},
		{[]string{"POST", "PUT"}, "", "/items"},
		{[]string{"HEAD"}, "", "/items/head"},
		{[]string{"GET"}, "", "/items/head"},
		{nil, "", "/any"},
		{[]string{"DELETE"}, "", "/any"},
		{[]string{"GET"}, "", "/a/b"},
		{[]string{"POST"}, "", "/a/{x}"},
		{[]string{"PATCH"}, "", "/a/{x...}"},
		{[]string{"get"}, "", "/lower"},
		{[]string{"DELETE"}, "", "/only-delete"},
		{[]string{"POST"}, "", "/nohead"},
	})
	M, N, X := Matched, NotFound, MethodNotAllowed
	runMatch(t, r, []matchCase{
		{"GET", "", "/items", "GET /items", M, "", ""},
		{"HEAD", "", "/items", "GET /items", M, "", ""},
		{"POST", "", "/items", "POST,PUT /items", M, "", ""},
		{"PUT", "", "/items", "POST,PUT /items", M, "", ""},
		{"DELETE", "", "/items", "", X, "", "GET,HEAD,POST,PUT"},
		{"get", "", "/items", "", X, "", "GET,HEAD,POST,PUT"}, // methods are case-sensitive
		{"HEAD", "", "/items/head", "HEAD /items/head", M, "", ""},
		{"GET", "", "/items/head", "GET /items/head", M, "", ""},
		{"OPTIONS", "", "/items/head", "", X, "", "GET,HEAD"},
		{"DELETE", "", "/any", "DELETE /any", M, "", ""},
		{"GET", "", "/any", " /any", M, "", ""},
		{"BREW", "", "/any", " /any", M, "", ""},
		// The method takes part in the search.
		{"GET", "", "/a/b", "GET /a/b", M, "", ""},
		{"POST", "", "/a/b", "POST /a/{x}", M, "x=b", ""},
		{"PATCH", "", "/a/b", "PATCH /a/{x...}", M, "x=b", ""},
		{"DELETE", "", "/a/b", "", X, "", "GET,HEAD,PATCH,POST"},
		{"DELETE", "", "/a/c", "", X, "", "PATCH,POST"},
		{"DELETE", "", "/a/c/d", "", X, "", "PATCH"},
		{"GET", "", "/lower", "get /lower", M, "", ""},
		{"HEAD", "", "/only-delete", "", X, "", "DELETE"},
		{"HEAD", "", "/nohead", "", X, "", "POST"},
		{"GET", "", "/nothing", "", N, "", ""},
	})
}

func TestMatchHosts(t *testing.T) {
	r := build(t, []testRoute{
		{nil, "api.example.com", "/x"},
		{nil, "*.example.com", "/x"},
		{nil, "", "/x"},
		{nil, "*.example.com", "/wild-only"},
		{nil, "API.Example.COM.", "/y"},
		{[]string{"GET"}, "api.example.com", "/m"},
		{[]string{"POST"}, "", "/m"},
		{[]string{"PUT"}, "*.example.com", "/m"},
		{nil, "[::1]", "/v6"},
		{nil, "10.0.0.1", "/v4"},
		{nil, "api.example.com", "/only-host"},
	})
	M, N, X := Matched, NotFound, MethodNotAllowed
	runMatch(t, r, []matchCase{
		{"GET", "api.example.com", "/x", " api.example.com/x", M, "", ""},
		{"GET", "API.EXAMPLE.com", "/x", " api.example.com/x", M, "", ""},
		{"GET", "api.example.com:8443", "/x", " api.example.com/x", M, "", ""},
		{"GET", "api.example.com.", "/x", " api.example.com/x", M, "", ""},
		{"GET", "Api.Example.Com.:80", "/x", " api.example.com/x", M, "", ""},
		{"GET", "www.example.com", "/x", " *.example.com/x", M, "", ""},
		{"GET", "WWW.example.com:1", "/x", " *.example.com/x", M, "", ""},
		{"GET", "a.b.example.com", "/x", " /x", M, "", ""}, // "*." matches one label only
		{"GET", "example.com", "/x", " /x", M, "", ""},
		{"GET", ".example.com", "/x", " /x", M, "", ""},
		{"GET", "other.org", "/x", " /x", M, "", ""},
		{"GET", "", "/x", " /x", M, "", ""},
		{"GET", "a.example.com", "/wild-only", " *.example.com/wild-only", M, "", ""},
		{"GET", "a.b.example.com", "/wild-only", "", N, "", ""},
		{"GET", "example.com", "/wild-only", "", N, "", ""},
		{"GET", "api.example.com", "/y", " API.Example.COM./y", M, "", ""},
		// A less specific host that accepts the method wins over a 405.
		{"GET", "api.example.com", "/m", "GET api.example.com/m", M, "", ""},
		{"POST", "api.example.com", "/m", "POST /m", M, "", ""},
		{"PUT", "api.example.com", "/m", "PUT *.example.com/m", M, "", ""},
		{"DELETE", "api.example.com", "/m", "", X, "", "GET,HEAD,POST,PUT"},
		{"DELETE", "other.org", "/m", "", X, "", "POST"},
		{"GET", "other.org", "/m", "", X, "", "POST"},
		{"GET", "[::1]:8080", "/v6", " [::1]/v6", M, "", ""},
		{"GET", "[::1]", "/v6", " [::1]/v6", M, "", ""},
		{"GET", "10.0.0.1:80", "/v4", " 10.0.0.1/v4", M, "", ""},
		{"GET", "other.org", "/only-host", "", N, "", ""},
		{"GET", strings.Repeat("a", 300) + ".example.com", "/x", " /x", M, "", ""},
	})
}

func TestAddErrors(t *testing.T) {
	r := build(t, []testRoute{
		{[]string{"GET"}, "", "/a/{x}"},
		{nil, "", "/b"},
		{[]string{"GET"}, "api.example.com", "/a/{x}"},
		{[]string{"GET"}, "*.example.com", "/a/{x}"},
		{[]string{"POST"}, "", "/a/{x}"},
		{[]string{"GET"}, "", "/a/{x}/"},
		{[]string{"GET"}, "", "/a/{x...}"},
		{[]string{"GET"}, "", "/a/lit"},
		{[]string{"GET"}, "", "/b"}, // explicit method beside a no-method route
	})
	conflicts := []testRoute{
		{[]string{"GET"}, "", "/a/{y}"},
		{[]string{"PUT", "GET"}, "", "/a/{z}"},
		{[]string{"get"}, "", "/a/{x}"},
		{[]string{"GET"}, "API.example.com", "/a/{y}"},
		{[]string{"GET"}, "*.EXAMPLE.com", "/a/{y}"},
		{nil, "", "/b"},
		{[]string{"GET"}, "", "/a/{p...}"},
	}
	for _, c := range conflicts {
		err := r.Add(c.methods, c.host, MustParseTemplate(c.path), "x")
		if !errors.Is(err, ErrConflict) {
			t.Errorf("Add(%v) = %v, want ErrConflict", c, err)
		}
	}
	// A failed Add adds nothing: PUT /a/{z} above must not have been added.
	var p Params
	if _, res, allow := r.Match("PUT", "", "/a/q", &p); res != MethodNotAllowed || strings.Join(allow, ",") != "GET,HEAD,POST" {
		t.Errorf("after failed Add: %v %v", res, allow)
	}
	invalid := []testRoute{
		{[]string{""}, "", "/c"},
		{[]string{"GE T"}, "", "/c"},
		{[]string{"GET"}, "api.example.com:443", "/c"},
		{[]string{"GET"}, "*", "/c"},
		{[]string{"GET"}, "*.", "/c"},
		{[]string{"GET"}, "a.*.com", "/c"},
		{[]string{"GET"}, "**.com", "/c"},
		{[]string{"GET"}, "a..com", "/c"},
		{[]string{"GET"}, ".a.com", "/c"},
		{[]string{"GET"}, "bücher.de", "/c"},
		{[]string{"GET"}, "a/b", "/c"},
		{[]string{"GET"}, "[::1]:80", "/c"},
		{[]string{"GET"}, "*.[::1]", "/c"},
	}
	for _, c := range invalid {
		err := r.Add(c.methods, c.host, MustParseTemplate(c.path), "x")
		if !errors.Is(err, ErrRoute) {
			t.Errorf("Add(%v) = %v, want ErrRoute", c, err)
		}
	}
	if err := r.Add(nil, "", nil, "x"); !errors.Is(err, ErrRoute) {
		t.Errorf("nil template: %v", err)
	}
	if r.Len() != 9 {
		t.Errorf("Len = %d", r.Len())
	}
	// Duplicate methods in one route are fine.
	if err := r.Add([]string{"GET", "GET", "get"}, "", MustParseTemplate("/dup"), "x"); err != nil {
		t.Error(err)
	}
}

func TestConflictMessage(t *testing.T) {
	r := New[int]()
	_ = r.Add([]string{"GET"}, "", MustParseTemplate("/a/{x}"), 1)
	err := r.Add([]string{"GET"}, "", MustParseTemplate("/a/{y}"), 2)
	if err == nil || !strings.Contains(err.Error(), "/a/{x}") || !strings.Contains(err.Error(), "/a/{y}") {
		t.Errorf("error %v should name both paths", err)
	}
}

func TestParamsReuse(t *testing.T) {
	r := build(t, []testRoute{{nil, "", "/a/{x}/{y}"}, {nil, "", "/b/{z}"}})
	var p Params
	r.Match("GET", "", "/a/1/2", &p)
	r.Match("GET", "", "/b/3", &p)
	if p.Len() != 1 || p.Get("z") != "3" || p.Get("x") != "" {
		t.Fatalf("params not reset: %d %q %q", p.Len(), p.Get("z"), p.Get("x"))
	}
	if _, ok := p.Lookup("x"); ok {
		t.Fatal("stale x")
	}
	r.Match("GET", "", "/nope", &p)
	if p.Len() != 0 {
		t.Fatal("params not reset on NotFound")
	}
	for i := range MaxParams {
		if !p.Add(fmt.Sprint(i), "v") {
			t.Fatal("Add failed before MaxParams")
		}
	}
	if p.Add("x", "y") {
		t.Fatal("Add beyond MaxParams succeeded")
	}
	p.Reset()
	if p.Len() != 0 {
		t.Fatal("Reset")
	}
}

func TestMatchMaxParams(t *testing.T) {
	tp := "/" + manyParams(MaxParams)
	r := New[int]()
	if err := r.Add(nil, "", MustParseTemplate(tp), 1); err != nil {
		t.Fatal(err)
	}
	path := strings.TrimSuffix(strings.Repeat("v/", MaxParams), "/")
	var p Params
	if _, res, _ := r.Match("GET", "", "/"+path, &p); res != Matched || p.Len() != MaxParams {
		t.Fatalf("%v %d", res, p.Len())
	}
	r2 := New[int]()
	_ = r2.Add(nil, "", MustParseTemplate("/"+manyParams(MaxParams-1)+"/{rest...}"), 2)
	if _, res, _ := r2.Match("GET", "", "/"+path+"/x/y", &p); res != Matched || p.Len() != MaxParams || p.Value(MaxParams-1) != "v/x/y" {
		t.Fatalf("%v %d %q", res, p.Len(), p.Value(p.Len()-1))
	}
}

func TestMatchNoAlloc(t *testing.T) {
	r := build(t, benchRoutes(50))
	var p Params
	for _, c := range []struct{ m, h, path string }{
		{"GET", "api.example.com", "/v1/orgs/acme/members/42/roles"},
		{"GET", "API.EXAMPLE.COM:443", "/v1/svc7/items/123"},
		{"HEAD", "", "/v1/svc3/items/99/details"},
		{"POST", "x.tenant.example.com", "/v1/svc2/items"},
		{"GET", "", "/nope/nope"},
		{"DELETE", "", "/v1/svc2/items/1/details"}, // 405, one leaf
	} {
		n := testing.AllocsPerRun(200, func() { r.Match(c.m, c.h, c.path, &p) })
		if n != 0 {
			t.Errorf("Match(%s %s %s) allocates %v", c.m, c.h, c.path, n)
		}
	}
}

func TestConcurrentMatch(t *testing.T) {
	r := build(t, benchRoutes(200))
	paths := benchPaths(200)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p Params
			for i := range 2000 {
				bp := paths[(i+g)%len(paths)]
				_, res, _ := r.Match(bp.method, bp.host, bp.path, &p)
				if res != Matched {
					t.Errorf("%v: %v", bp, res)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestRewriteThroughMatch(t *testing.T) {
	tp := MustParseTemplate("/v1/orgs/{org}/members/{rest...}")
	rw := MustParseRewrite("/internal/orgs/{org}/members/{rest...}")
	if err := rw.Check(tp); err != nil {
		t.Fatal(err)
	}
	r := New[*Rewrite]()
	_ = r.Add(nil, "", tp, rw)
	for in, want := range map[string]string{
		"/v1/orgs/acme/members/":                "/internal/orgs/acme/members/",
		"/v1/orgs/acme/members/42":              "/internal/orgs/acme/members/42",
		"/v1/orgs/a%20b/members/x%20y/z":        "/internal/orgs/a%20b/members/x%20y/z",
		"/v1/orgs/a;b/members/x;y":              "/internal/orgs/a%3Bb/members/x;y",
		"/v1/orgs/%25zz/members/x":              "/internal/orgs/%25zz/members/x",
		"/v1/orgs/caf%C3%A9/members/caf%C3%A9/": "/internal/orgs/caf%C3%A9/members/caf%C3%A9/",
	} {
		var p Params
		got, res, _ := r.Match("GET", "", in, &p)
		if res != Matched {
			t.Fatalf("%s: %v", in, res)
		}
		if out := string(got.Expand(nil, &p)); out != want {
			t.Errorf("%s -> %s, want %s", in, out, want)
		}
	}
}

// FuzzMatch builds a router from a fixed set of templates plus one fuzzed
// template, matches a fuzzed (normalised) path, and checks that Match never
// panics and that a matched route's parameters expanded through its own
// template give back the path. Identity holds byte for byte except that
// parameter values are decoded, so a sub-delimiter written escaped in the
// request ("%3B") comes back raw or vice versa; the comparison is therefore
// made after decoding, and the expanded path must match the same route with
// the same parameters.
func FuzzMatch(f *testing.F) {
	f.Add("/a/{x}/c", "GET", "api.example.com", "/a/b/c")
	f.Add("/files/{p...}", "HEAD", "", "/files/a%20b/c/")
	f.Add("/{a}/{b}/", "POST", "x.example.com:80", "/%C3%A9/;/")
	f.Add("/v1/orgs/{org}/members/{rest...}", "DELETE", "API.EXAMPLE.COM", "/v1/orgs/a%3Bb/members/")
	f.Add("/", "GET", "", "//./")
	f.Fuzz(func(t *testing.T, tmpl, method, host, rawPath string) {
		r := New[*Template]()
		for _, s := range []string{"/", "/a/{x}/c", "/a/b/{y}", "/files/{p...}", "/{a}/{b}/", "/v1/orgs/{org}/members/{rest...}", "/x/{id}", "/x/me"} {
			tp := MustParseTemplate(s)
			if err := r.Add(nil, "", tp, tp); err != nil {
				t.Fatal(err)
			}
		}
		_ = r.Add([]string{"GET"}, "*.example.com", MustParseTemplate("/a/{x}/c"), MustParseTemplate("/a/{x}/c"))
		if tp, err := ParseTemplate(tmpl); err == nil {
			_ = r.Add([]string{"GET", "POST"}, "", tp, tp)
			_ = r.Add(nil, host, tp, tp)
		}
		path, err := Normalize(rawPath)
		if err != nil {
			path = rawPath // Match must cope with anything
		}
		var p Params
		tp, res, allow := r.Match(method, host, path, &p)
		if res != Matched {
			if res == MethodNotAllowed && (len(allow) == 0 || !slices.IsSorted(allow)) {
				t.Fatalf("allow %q", allow)
			}
			return
		}
		if err != nil {
			return // Match's contract covers normalised paths only
		}
		if p.Len() != len(tp.Params()) {
			t.Fatalf("%d params for %s", p.Len(), tp)
		}
		rw, err := ParseRewrite(tp.String())
		if err != nil {
			t.Fatalf("template %s is not a rewrite: %v", tp, err)
		}
		back := string(rw.Expand(nil, &p))
		if unescape(back) != unescape(path) {
			t.Fatalf("%s: path %q, params %v, re-expanded %q", tp, path, dump(&p), back)
		}
		if n, err := Normalize(back); err != nil || n != back {
			t.Fatalf("re-expanded %q is not canonical: %q %v", back, n, err)
		}
		if !strings.ContainsAny(path, "%;,") && back != path {
			t.Fatalf("no escapes but %q re-expands to %q", path, back)
		}
		// The re-expanded path matches the template again with the same
		// parameters. (In the full router it could match a more specific
		// literal, e.g. "a%3Bb" where the request said "a;b".)
		only := New[*Template]()
		_ = only.Add(nil, "", tp, tp)
		var p2 Params
		if _, res2, _ := only.Match("GET", "", back, &p2); res2 != Matched || dump(&p2) != dump(&p) {
			t.Fatalf("re-expanded %q gives %v %v, original %q gave %v", back, res2, dump(&p2), path, dump(&p))
		}
	})
}

func dump(p *Params) string {
	var b strings.Builder
	for i := 0; i < p.Len(); i++ {
		fmt.Fprintf(&b, "%s=%q ", p.Name(i), p.Value(i))
	}
	return b.String()
}
