package gateway

import (
	"net/http"
	"strings"
	"testing"
)

const routingConfig = `
version: 1
services:
  accounts:
    targets: ["${A}"]
  configs:
    targets: ["${B}/base"]
routes:
  - name: members
    methods: [GET, POST]
    path: /v1/orgs/{org}/members/{rest...}
    service: accounts
    rewrite: /internal/orgs/{org}/people/{rest...}
    request_headers:
      set: {X-Route: members}
      add: {X-Added: one}
      remove: [X-Drop-Me]
    response_headers:
      set: {X-Served-By: portico}
      remove: [X-Upstream]
  - name: org
    methods: [GET]
    path: /v1/orgs/{org}
    service: accounts
  - name: configs
    path: /v1/configs/{rest...}
    service: configs
    strip_query: true
  - name: hosted
    host: api.example.com
    methods: [GET]
    path: /v1/orgs/{org}
    service: configs
`

func TestRouting(t *testing.T) {
	a := mustUpstream(t, echoHandler("a"))
	b := mustUpstream(t, echoHandler("b"))
	tg := mustGateway(t, routingConfig, map[string]string{"A": a.URL, "B": b.URL})

	t.Run("rewrite with parameters and query passthrough", func(t *testing.T) {
		req := mustRequest(t, "GET", tg.srv.URL+"/v1/orgs/o%201/members/x/y?limit=5&after=z", nil)
		req.Header.Set("X-Drop-Me", "1")
		resp, body := mustDo(t, req)
		if resp.StatusCode != 200 {
			t.Fatalf("status = %d, want 200: %s", resp.StatusCode, body)
		}
		e := mustEchoed(t, body)
		if e.Raw != "/internal/orgs/o%201/people/x/y" {
			t.Errorf("upstream path = %q, want /internal/orgs/o%%201/people/x/y", e.Raw)
		}
		if e.Query != "limit=5&after=z" {
			t.Errorf("query = %q, want limit=5&after=z", e.Query)
		}
		if got := e.Header["X-Route"]; len(got) != 1 || got[0] != "members" {
			t.Errorf("X-Route = %q, want [members]", got)
		}
		if got := e.Header["X-Added"]; len(got) != 1 || got[0] != "one" {
			t.Errorf("X-Added = %q, want [one]", got)
		}
		if _, ok := e.Header["X-Drop-Me"]; ok {
			t.Error("X-Drop-Me reached the upstream")
		}
		if got := resp.Header.Get("X-Served-By"); got != "portico" {
			t.Errorf("X-Served-By = %q, want portico", got)
		}
		if got := resp.Header.Get("X-Upstream"); got != "" {
			t.Errorf("X-Upstream = %q, want it removed", got)
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Error("no X-Request-Id on the response")
		}
	})

	t.Run("literal segment beats parameter and host routes win", func(t *testing.T) {
		req := mustRequest(t, "GET", tg.srv.URL+"/v1/orgs/o1", nil)
		resp, body := mustDo(t, req)
		if got := resp.Header.Get("X-Upstream"); got != "a" {
			t.Errorf("upstream = %q, want a: %s", got, body)
		}
		req = mustRequest(t, "GET", tg.srv.URL+"/v1/orgs/o1", nil)
		req.Host = "API.example.com:8443"
		resp, body = mustDo(t, req)
		if got := resp.Header.Get("X-Upstream"); got != "b" {
			t.Errorf("upstream for host route = %q, want b: %s", got, body)
		}
	})

	t.Run("target base path and strip_query", func(t *testing.T) {
		resp, body := mustDo(t, mustRequest(t, "PUT", tg.srv.URL+"/v1/configs/k/v?secret=1", strings.NewReader("{}")))
		e := mustEchoed(t, body)
		if resp.StatusCode != 200 || e.Path != "/base/v1/configs/k/v" || e.Query != "" {
			t.Errorf("got %d %q ?%q, want 200 /base/v1/configs/k/v with no query", resp.StatusCode, e.Path, e.Query)
		}
		if e.Body != "{}" || e.Method != "PUT" {
			t.Errorf("upstream got %s %q, want PUT {}", e.Method, e.Body)
		}
	})

	t.Run("no route is a 404 problem", func(t *testing.T) {
		resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/nowhere", nil))
		p := problemOf(t, resp, body)
		if resp.StatusCode != 404 || p["type"] != "https://portico.dev/problems/not-found" {
			t.Errorf("got %d %v, want 404 not-found", resp.StatusCode, p["type"])
		}
		if p["request_id"] != resp.Header.Get("X-Request-Id") {
			t.Errorf("problem request_id = %v, want the response's X-Request-Id %q", p["request_id"], resp.Header.Get("X-Request-Id"))
		}
	})

	t.Run("wrong method is a 405 problem with Allow", func(t *testing.T) {
		resp, body := mustDo(t, mustRequest(t, "DELETE", tg.srv.URL+"/v1/orgs/o1/members/x", nil))
		problemOf(t, resp, body)
		if resp.StatusCode != 405 {
			t.Errorf("status = %d, want 405", resp.StatusCode)
		}
		if got := resp.Header.Get("Allow"); !strings.Contains(got, "GET") || !strings.Contains(got, "POST") {
			t.Errorf("Allow = %q, want GET and POST", got)
		}
	})

	t.Run("HEAD matches a GET route", func(t *testing.T) {
		resp, _ := mustDo(t, mustRequest(t, "HEAD", tg.srv.URL+"/v1/orgs/o1", nil))
		if resp.StatusCode != 200 {
			t.Errorf("status = %d, want 200", resp.StatusCode)
		}
	})

	t.Run("client request id is kept when valid and replaced when not", func(t *testing.T) {
		req := mustRequest(t, "GET", tg.srv.URL+"/v1/orgs/o1", nil)
		req.Header.Set("X-Request-Id", "abc-123")
		resp, body := mustDo(t, req)
		if got := mustEchoed(t, body).Header["X-Request-Id"]; len(got) != 1 || got[0] != "abc-123" {
			t.Errorf("upstream X-Request-Id = %q, want [abc-123]", got)
		}
		if resp.Header.Get("X-Request-Id") != "abc-123" {
			t.Errorf("response X-Request-Id = %q, want abc-123", resp.Header.Get("X-Request-Id"))
		}
		req = mustRequest(t, "GET", tg.srv.URL+"/v1/orgs/o1", nil)
		req.Header.Set("X-Request-Id", "bad id\" with quotes")
		_, body = mustDo(t, req)
		if got := mustEchoed(t, body).Header["X-Request-Id"]; len(got) != 1 || strings.Contains(got[0], " ") {
			t.Errorf("upstream X-Request-Id = %q, want a fresh id", got)
		}
	})
}

func TestPathNormalisation(t *testing.T) {
	a := mustUpstream(t, echoHandler("a"))
	tg := mustGateway(t, `
version: 1
services:
  a: {targets: ["${A}"]}
routes:
  - {name: public, path: "/public/{rest...}", service: a}
  - {name: admin, path: "/admin/{rest...}", service: a}
`, map[string]string{"A": a.URL})

	cases := []struct {
		name, target string
		status       int
		upstream     string // the path the upstream must see
	}{
		{"dot dot resolves before matching", "/public/../admin/x", 200, "/admin/x"},
		{"encoded dot dot resolves too", "/public/%2e%2e/admin/x", 200, "/admin/x"},
		{"mixed-case encoded dots", "/public/.%2E/admin/x", 200, "/admin/x"},
		{"double slashes collapse", "/public//a///b", 200, "/public/a/b"},
		{"single dots vanish", "/public/./a/./b", 200, "/public/a/b"},
		{"encoded slash is refused", "/public/a%2Fb", 400, ""},
		{"encoded slash beside a byte net/url re-escapes is refused", "/public/a%2Fb\"", 400, ""},
		{"encoded backslash is refused", "/public/a%5Cb", 400, ""},
		{"climbing above the root is refused", "/public/../../etc/passwd", 400, ""},
		{"encoded NUL is refused", "/public/a%00b", 400, ""},
		{"double encoding stays literal", "/public/%252e%252e/admin", 200, "/public/%252e%252e/admin"},
		{"servlet dot-semicolon segment is refused", "/public/..;/admin/x", 400, ""},
		{"encoded dot-semicolon is refused", "/public/%2e%2e;x/admin", 400, ""},
		{"unreserved escapes are decoded", "/public/%7Euser", 200, "/public/~user"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := mustRequest(t, "GET", tg.srv.URL, nil)
			req.URL.Opaque = c.target // sent exactly as written
			resp, body := mustDo(t, req)
			if resp.StatusCode != c.status {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if c.status != 200 {
				problemOf(t, resp, body)
				return
			}
			if got := mustEchoed(t, body).Raw; got != c.upstream {
				t.Errorf("upstream path = %q, want %q", got, c.upstream)
			}
		})
	}
}

func TestRouteAllowsOnlyItsMethods(t *testing.T) {
	a := mustUpstream(t, echoHandler("a"))
	tg := mustGateway(t, `
version: 1
services:
  a: {targets: ["${A}"]}
routes:
  - {name: read, methods: [GET], path: "/r", service: a}
`, map[string]string{"A": a.URL})
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		resp, _ := mustDo(t, mustRequest(t, m, tg.srv.URL+"/r", nil))
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s: status = %d, want 405", m, resp.StatusCode)
		}
	}
}
