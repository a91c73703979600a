package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

const composeConfig = `
version: 1
services:
  accounts: {targets: ["${ACCOUNTS}"]}
  configs: {targets: ["${CONFIGS}"]}
  analytics: {targets: ["${ANALYTICS}"]}
routes:
  - name: overview
    methods: [GET]
    path: /v1/orgs/{org}/overview
    response_headers: {set: {X-Composed: "yes"}}
    aggregate:
      budget: 2s
      steps:
        - {name: org, service: accounts, path: "/internal/orgs/{path.org}", timeout: 500ms, into: org, allow: [id, name]}
        - name: integrations
          service: configs
          path: /internal/orgs/{path.org}/integrations
          timeout: 500ms
          into: integrations
          select: items
        - name: usage
          service: analytics
          path: /internal/orgs/{path.org}/usage
          timeout: 500ms
          on_failure: optional
          into: usage
`

func jsonHandler(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	})
}

func TestAggregateRoute(t *testing.T) {
	accounts := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/internal/orgs/o1" {
			jsonHandler(404, `{"error":"no such org"}`).ServeHTTP(w, r)
			return
		}
		if r.Header.Get("X-Request-Id") == "" || r.Header.Get("X-Portico-Timeout-Ms") == "" {
			jsonHandler(400, `{"error":"missing request id or deadline"}`).ServeHTTP(w, r)
			return
		}
		jsonHandler(200, `{"id":"o1","name":"Acme","secret":"s3"}`).ServeHTTP(w, r)
	}))
	configs := mustUpstream(t, jsonHandler(200, `{"items":[{"id":"i1"},{"id":"i2"}]}`))
	analytics := mustUpstream(t, jsonHandler(500, `{"error":"internal detail"}`))
	tg := mustGateway(t, composeConfig, map[string]string{
		"ACCOUNTS": accounts.URL, "CONFIGS": configs.URL, "ANALYTICS": analytics.URL,
	})

	t.Run("partial response names the failed optional step", func(t *testing.T) {
		resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/v1/orgs/o1/overview", nil))
		if resp.StatusCode != 200 {
			t.Fatalf("status = %d, want 200: %s", resp.StatusCode, body)
		}
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("body is not JSON: %s", body)
		}
		org, _ := got["org"].(map[string]any)
		if org["name"] != "Acme" || org["secret"] != nil {
			t.Errorf("org = %v, want name kept and secret removed", org)
		}
		if items, _ := got["integrations"].([]any); len(items) != 2 {
			t.Errorf("integrations = %v, want the 2 items", got["integrations"])
		}
		if _, ok := got["usage"]; ok {
			t.Errorf("usage present, want it left out")
		}
		outcome := resp.Header.Get("Portico-Outcome")
		if !strings.Contains(outcome, "usage;") || !strings.Contains(outcome, "status=500") {
			t.Errorf("Portico-Outcome = %q, want the usage step's failure", outcome)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store on a partial response", resp.Header.Get("Cache-Control"))
		}
		if resp.Header.Get("X-Composed") != "yes" {
			t.Error("response header rules were not applied")
		}
		if strings.Contains(string(body), "internal detail") {
			t.Error("the failed step's body leaked into the response")
		}
	})

	t.Run("required step's 404 is the route's 404", func(t *testing.T) {
		resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/v1/orgs/nope/overview", nil))
		p := problemOf(t, resp, body)
		if resp.StatusCode != 404 || p["step"] != "org" {
			t.Errorf("got %d step %v, want 404 naming step org", resp.StatusCode, p["step"])
		}
		if strings.Contains(string(body), "no such org") {
			t.Error("the upstream's error text leaked")
		}
	})

	if got := testutil.ToFloat64(tg.gw.stepObserver.outcomes.WithLabelValues("overview", "org", "ok")); got != 1 {
		t.Errorf("step outcomes org/ok = %v, want 1", got)
	}
	recs := tg.logs.records(t, "request")
	if len(recs) != 2 || recs[0]["service"] != "aggregate" || recs[0]["failure"] != "partial" || recs[1]["failure"] != "step_failed" {
		t.Errorf("access log = %v, want two aggregate lines: partial, then step_failed", recs)
	}
}

func TestAggregateStepsRunConcurrentlyThroughTheGateway(t *testing.T) {
	arrived := make(chan struct{}, 3)
	release := make(chan struct{})
	barrier := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		jsonHandler(200, `{"ok":true}`).ServeHTTP(w, r)
	})
	a, b, c := mustUpstream(t, barrier), mustUpstream(t, barrier), mustUpstream(t, barrier)
	tg := mustGateway(t, `
version: 1
services:
  a: {targets: ["${A}"]}
  b: {targets: ["${B}"]}
  c: {targets: ["${C}"]}
routes:
  - name: three
    path: /three
    aggregate:
      steps:
        - {name: a, service: a, path: /a, into: a}
        - {name: b, service: b, path: /b, into: b}
        - {name: c, service: c, path: /c, into: c}
`, map[string]string{"A": a.URL, "B": b.URL, "C": c.URL})
	done := make(chan int)
	go func() {
		resp, err := http.Get(tg.srv.URL + "/three")
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	for range 3 {
		<-arrived // all three are in flight at once, or this waits forever (test timeout)
	}
	close(release)
	if code := <-done; code != 200 {
		t.Errorf("status = %d, want 200", code)
	}
}

// A plan that references the caller's query gets it; the gateway parses
// the query only for such plans.
func TestAggregateRouteQuery(t *testing.T) {
	echo := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := json.Marshal(map[string]string{"q": r.URL.Query().Get("q"), "path": r.URL.Path})
		jsonHandler(200, string(b)).ServeHTTP(w, r)
	}))
	tg := mustGateway(t, `
version: 1
services:
  search: {targets: ["${SEARCH}"]}
routes:
  - name: find
    methods: [GET]
    path: /v1/find
    aggregate:
      steps:
        - {name: hits, service: search, path: /internal/search, query: {q: "{query.q}"}, into: hits}
  - name: plain
    methods: [GET]
    path: /v1/plain
    aggregate:
      steps:
        - {name: hits, service: search, path: /internal/plain, into: hits}
`, map[string]string{"SEARCH": echo.URL})
	for _, tt := range []struct{ path, want string }{
		{"/v1/find?q=a%20b&x=1", `{"hits":{"path":"/internal/search","q":"a b"}}`},
		{"/v1/plain?q=ignored", `{"hits":{"path":"/internal/plain","q":""}}`},
	} {
		resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+tt.path, nil))
		if resp.StatusCode != 200 || string(body) != tt.want {
			t.Errorf("%s: got %d %s, want %s", tt.path, resp.StatusCode, body, tt.want)
		}
	}
}
