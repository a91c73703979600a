package gateway

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestLimits(t *testing.T) {
	up := mustUpstream(t, echoHandler("a"))
	tg := mustGateway(t, `
version: 1
server:
  max_request_line: 200
  max_header_bytes: 2KiB
  max_header_count: 20
  max_body: 1KiB
services:
  a: {targets: ["${A}"]}
routes:
  - {name: small, path: "/small/{rest...}", service: a}
  - {name: big, path: "/big/{rest...}", service: a, max_body: 4KiB}
`, map[string]string{"A": up.URL})

	t.Run("long request line is 414", func(t *testing.T) {
		resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/small/"+strings.Repeat("a", 300), nil))
		problemOf(t, resp, body)
		if resp.StatusCode != 414 {
			t.Errorf("status = %d, want 414", resp.StatusCode)
		}
	})
	t.Run("too many header fields is 431", func(t *testing.T) {
		req := mustRequest(t, "GET", tg.srv.URL+"/small/x", nil)
		for i := range 25 {
			req.Header.Set("X-H"+strings.Repeat("x", i), "v")
		}
		resp, body := mustDo(t, req)
		problemOf(t, resp, body)
		if resp.StatusCode != 431 {
			t.Errorf("status = %d, want 431", resp.StatusCode)
		}
	})
	t.Run("large header section is 431", func(t *testing.T) {
		req := mustRequest(t, "GET", tg.srv.URL+"/small/x", nil)
		req.Header.Set("X-Big", strings.Repeat("b", 3000))
		resp, body := mustDo(t, req)
		problemOf(t, resp, body)
		if resp.StatusCode != 431 {
			t.Errorf("status = %d, want 431", resp.StatusCode)
		}
	})
	t.Run("declared body over the cap is 413 before proxying", func(t *testing.T) {
		resp, body := mustDo(t, mustRequest(t, "POST", tg.srv.URL+"/small/x", strings.NewReader(strings.Repeat("x", 2000))))
		problemOf(t, resp, body)
		if resp.StatusCode != 413 {
			t.Errorf("status = %d, want 413", resp.StatusCode)
		}
	})
	t.Run("chunked body over the cap is 413", func(t *testing.T) {
		// A reader of unknown length makes the client send chunked.
		resp, body := mustDo(t, mustRequest(t, "POST", tg.srv.URL+"/small/x", io.MultiReader(strings.NewReader(strings.Repeat("x", 2000)))))
		problemOf(t, resp, body)
		if resp.StatusCode != 413 {
			t.Errorf("status = %d, want 413", resp.StatusCode)
		}
	})
	t.Run("route cap overrides the server cap", func(t *testing.T) {
		resp, body := mustDo(t, mustRequest(t, "POST", tg.srv.URL+"/big/x", strings.NewReader(strings.Repeat("x", 3000))))
		if resp.StatusCode != 200 || len(mustEchoed(t, body).Body) != 3000 {
			t.Errorf("status = %d, want 200 with the whole body upstream", resp.StatusCode)
		}
	})
}

// deadAddr returns a loopback address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestFailureMapping(t *testing.T) {
	slow := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}))
	tg := mustGateway(t, `
version: 1
services:
  dead:
    targets: ["${DEAD}"]
    retry: {attempts: 1}
    outlier: {consecutive_failures: 0}
    circuit_breaker: {failure_ratio: 0}
  slow:
    targets: ["${SLOW}"]
    timeouts: {response_header: 200ms, request: 10s}
  slowroute:
    targets: ["${SLOW}"]
    timeouts: {dial: 100ms}
routes:
  - {name: dead, path: "/dead", service: dead}
  - {name: slow, path: "/slow", service: slow}
  - {name: routetimeout, path: "/routetimeout", service: slowroute, timeout: 150ms}
`, map[string]string{"DEAD": deadAddr(t), "SLOW": slow.URL})

	cases := []struct {
		path, typ string
		status    int
	}{
		{"/dead", "upstream-failed", 502},
		{"/slow", "upstream-timeout", 504},
		{"/routetimeout", "upstream-timeout", 504},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+c.path, nil))
			p := problemOf(t, resp, body)
			if resp.StatusCode != c.status || p["type"] != "https://portico.dev/problems/"+c.typ {
				t.Errorf("got %d %v, want %d %s", resp.StatusCode, p["type"], c.status, c.typ)
			}
		})
	}
	if got := testutil.ToFloat64(tg.gw.m.upstreamErrors.WithLabelValues("dead", "connect")); got != 1 {
		t.Errorf("connect errors of dead = %v, want 1", got)
	}
	if got := testutil.ToFloat64(tg.gw.m.upstreamErrors.WithLabelValues("slow", "timeout")); got != 1 {
		t.Errorf("timeouts of slow = %v, want 1", got)
	}
}

func TestClientGoneIsLogged499(t *testing.T) {
	entered := make(chan struct{})
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
	}))
	tg := mustGateway(t, oneRoute(""), map[string]string{"A": up.URL, "TRUSTED": "192.0.2.1"})
	ctx, cancel := context.WithCancel(context.Background())
	req := mustRequest(t, "GET", tg.srv.URL+"/gone", nil).WithContext(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	cancel()
	<-done
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, rec := range tg.logs.records(t, "request") {
			if rec["path"] == "/gone" {
				if rec["status"] != float64(499) || rec["failure"] != "canceled" {
					t.Fatalf("access log = %v, want status 499 failure canceled", rec)
				}
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no access log line for the abandoned request")
}

func TestRetriesOnlyIdempotentOnConnectFailure(t *testing.T) {
	var hits atomic.Int32
	live := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		echoHandler("live").ServeHTTP(w, r)
	}))
	tg := mustGateway(t, `
version: 1
services:
  a:
    targets: ["${DEAD}", "${LIVE}"]
    retry: {attempts: 2, min_per_second: 100}
    outlier: {consecutive_failures: 0}
    circuit_breaker: {failure_ratio: 0}
routes:
  - {name: all, path: "/{rest...}", service: a}
`, map[string]string{"DEAD": deadAddr(t), "LIVE": live.URL})

	for i := range 6 {
		resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/x", nil))
		if resp.StatusCode != 200 {
			t.Fatalf("GET %d: status = %d, want 200 (retried on the live target): %s", i, resp.StatusCode, body)
		}
	}
	// Round robin advances on every pick, retries included, so each GET
	// first meets the dead target and is retried on the live one.
	if got := testutil.ToFloat64(tg.gw.m.retries.WithLabelValues("a")); got != 6 {
		t.Errorf("retries = %v, want 6", got)
	}
	failures := 0
	for range 4 {
		resp, _ := mustDo(t, mustRequest(t, "POST", tg.srv.URL+"/x", strings.NewReader("{}")))
		if resp.StatusCode == 502 {
			failures++
		}
	}
	if failures != 2 {
		t.Errorf("POSTs failed = %d, want 2 (never retried)", failures)
	}
}

func TestCircuitBreakerOpens(t *testing.T) {
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
	}))
	tg := mustGateway(t, `
version: 1
services:
  a:
    targets: ["${A}"]
    outlier: {consecutive_failures: 0}
    circuit_breaker: {failure_ratio: 0.5, min_requests: 5, window: 10s, min_open_for: 1m, open_for: 1m}
routes:
  - {name: all, path: "/{rest...}", service: a}
`, map[string]string{"A": up.URL})
	for range 5 {
		resp, _ := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/x", nil))
		if resp.StatusCode != 500 {
			t.Fatalf("status = %d, want the upstream's 500 while closed", resp.StatusCode)
		}
	}
	resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/x", nil))
	p := problemOf(t, resp, body)
	if resp.StatusCode != 503 || p["type"] != "https://portico.dev/problems/circuit-open" {
		t.Errorf("got %d %v, want 503 circuit-open", resp.StatusCode, p["type"])
	}
	// The rest of the open time, in whole seconds rounded up.
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Errorf("Retry-After %q, want the seconds left of the breaker's 1m open time", resp.Header.Get("Retry-After"))
	}
}

// TestAllUnhealthyRoutesToAll checks panic routing: when the only target
// fails its health checks, requests still go to it (and here succeed)
// rather than all being refused with 503, and the gauge and the log say so.
func TestAllUnhealthyRoutesToAll(t *testing.T) {
	var healthy atomic.Bool
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && !healthy.Load() {
			w.WriteHeader(503)
			return
		}
		_, _ = io.WriteString(w, "served")
	}))
	tg := mustGateway(t, `
version: 1
services:
  a:
    targets: ["${A}"]
    health_check: {path: /healthz, interval: 1h, timeout: 1s, unhealthy_threshold: 2, healthy_threshold: 1}
routes:
  - {name: all, path: "/{rest...}", service: a}
`, map[string]string{"A": up.URL})
	// The checks run here, not on the loop's clock (whose first check may
	// land any time: with two failures needed, a late one cannot undo the
	// recovery below).
	svc := tg.gw.rt.Load().services["a"]
	svc.up.CheckHealth(t.Context())
	svc.up.CheckHealth(t.Context())
	if st := svc.up.Snapshot(); st.Targets[0].Healthy || !st.PanicRouting {
		t.Fatalf("got %+v, want the target unhealthy and panic routing on", st)
	}
	for range 3 {
		resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/x", nil))
		if resp.StatusCode != 200 || string(body) != "served" {
			t.Fatalf("got %d %q, want the unhealthy target's 200: panic routing sends to it", resp.StatusCode, body)
		}
	}
	if got := testutil.ToFloat64(tg.gw.m.panicRouting.WithLabelValues("a")); got != 1 {
		t.Errorf("panic routing gauge: got %v, want 1", got)
	}
	if got := tg.logs.records(t, "upstream service has no eligible target; sending requests to all of its targets (panic routing)"); len(got) != 1 {
		t.Errorf("got %d panic routing log lines, want 1", len(got))
	}

	healthy.Store(true)
	svc.up.CheckHealth(t.Context())
	if got := testutil.ToFloat64(tg.gw.m.panicRouting.WithLabelValues("a")); got != 0 {
		t.Errorf("panic routing gauge with the target healthy again: got %v, want 0", got)
	}
}

func TestCORS(t *testing.T) {
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*") // overridden by the route's policy
		echoHandler("a").ServeHTTP(w, r)
	}))
	tg := mustGateway(t, `
version: 1
services:
  a: {targets: ["${A}"]}
routes:
  - name: api
    methods: [GET, PUT]
    path: "/api/{rest...}"
    service: a
    cors:
      allow_origins: ["https://app.example.com"]
      allow_headers: [Content-Type, Authorization]
      expose_headers: [X-Request-Id]
      allow_credentials: true
      max_age: 10m
`, map[string]string{"A": up.URL})

	t.Run("preflight from an allowed origin", func(t *testing.T) {
		req := mustRequest(t, "OPTIONS", tg.srv.URL+"/api/x", nil)
		req.Header.Set("Origin", "https://app.example.com")
		req.Header.Set("Access-Control-Request-Method", "PUT")
		resp, _ := mustDo(t, req)
		if resp.StatusCode != 204 {
			t.Fatalf("status = %d, want 204", resp.StatusCode)
		}
		want := map[string]string{
			"Access-Control-Allow-Origin":      "https://app.example.com",
			"Access-Control-Allow-Credentials": "true",
			"Access-Control-Allow-Methods":     "GET, PUT",
			"Access-Control-Allow-Headers":     "Content-Type, Authorization",
			"Access-Control-Max-Age":           "600",
		}
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
	})
	t.Run("preflight from another origin gets no grant", func(t *testing.T) {
		req := mustRequest(t, "OPTIONS", tg.srv.URL+"/api/x", nil)
		req.Header.Set("Origin", "https://evil.example.com")
		req.Header.Set("Access-Control-Request-Method", "PUT")
		resp, _ := mustDo(t, req)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Access-Control-Allow-Origin = %q, want none", got)
		}
	})
	t.Run("actual request", func(t *testing.T) {
		req := mustRequest(t, "GET", tg.srv.URL+"/api/x", nil)
		req.Header.Set("Origin", "https://app.example.com")
		resp, _ := mustDo(t, req)
		if got := resp.Header.Values("Access-Control-Allow-Origin"); len(got) != 1 || got[0] != "https://app.example.com" {
			t.Errorf("Access-Control-Allow-Origin = %q, want exactly the origin", got)
		}
		if got := resp.Header.Get("Access-Control-Expose-Headers"); got != "X-Request-Id" {
			t.Errorf("Access-Control-Expose-Headers = %q, want X-Request-Id", got)
		}
		if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
			t.Error("no Vary: Origin")
		}
	})
}

func TestReload(t *testing.T) {
	a := mustUpstream(t, echoHandler("a"))
	b := mustUpstream(t, echoHandler("b"))
	vars := map[string]string{"A": a.URL, "B": b.URL}
	tg := mustGateway(t, `
version: 1
services:
  a: {targets: ["${A}"]}
routes:
  - {name: one, path: "/one", service: a}
`, vars)

	good := mustConfig(t, `
version: 1
services:
  b: {targets: ["${B}"]}
routes:
  - {name: two, path: "/two", service: b}
`, vars)
	if err := tg.gw.Reload(good); err != nil {
		t.Fatalf("reload: %v", err)
	}
	resp, _ := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/one", nil))
	if resp.StatusCode != 404 {
		t.Errorf("/one after reload: status = %d, want 404", resp.StatusCode)
	}
	resp, _ = mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/two", nil))
	if resp.StatusCode != 200 || resp.Header.Get("X-Upstream") != "b" {
		t.Errorf("/two after reload: status = %d from %q, want 200 from b", resp.StatusCode, resp.Header.Get("X-Upstream"))
	}
	if got := testutil.ToFloat64(tg.gw.m.reloads.WithLabelValues("success")); got != 1 {
		t.Errorf("successful reloads = %v, want 1", got)
	}
}

func TestCORSAnyMethod(t *testing.T) {
	up := mustUpstream(t, echoHandler("a"))
	tg := mustGateway(t, `
version: 1
services:
  a: {targets: ["${A}"]}
routes:
  - name: api
    path: "/api/{rest...}"
    service: a
    cors: {allow_origins: ["*"]}
`, map[string]string{"A": up.URL})
	req := mustRequest(t, "OPTIONS", tg.srv.URL+"/api/x", nil)
	req.Header.Set("Origin", "https://any.example")
	req.Header.Set("Access-Control-Request-Method", "PATCH")
	resp, _ := mustDo(t, req)
	if got := resp.Header.Get("Access-Control-Allow-Methods"); got != "PATCH" {
		t.Errorf("Access-Control-Allow-Methods = %q, want PATCH", got)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
	}
}

func TestPanicBecomesA500Problem(t *testing.T) {
	up := mustUpstream(t, echoHandler("a"))
	tg := mustGateway(t, oneRoute(""), map[string]string{"A": up.URL, "TRUSTED": "192.0.2.1"})
	// A bug anywhere on the request's path: here, in the response hook.
	rte, _, _ := tg.gw.rt.Load().router.Match("GET", "x", "/x", new(routerParams))
	orig := rte.proxy.ModifyResponse
	rte.proxy.ModifyResponse = func(*http.Response) error { panic("bug") }
	defer func() { rte.proxy.ModifyResponse = orig }()

	resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/x", nil))
	p := problemOf(t, resp, body)
	if resp.StatusCode != 500 || p["type"] != "https://portico.dev/problems/internal" {
		t.Errorf("got %d %v, want 500 internal", resp.StatusCode, p["type"])
	}
	if strings.Contains(string(body), "bug") {
		t.Error("the panic value reached the client")
	}
	if len(tg.logs.records(t, "panic serving request")) != 1 {
		t.Error("the panic was not logged")
	}
}

func TestReloadLetsInFlightRequestsFinishOnTheOldConfig(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "old")
	}))
	other := mustUpstream(t, echoHandler("new"))
	vars := map[string]string{"A": slow.URL, "B": other.URL}
	tg := mustGateway(t, `
version: 1
services:
  a: {targets: ["${A}"]}
routes:
  - {name: one, path: "/one", service: a}
`, vars)
	done := make(chan string, 1)
	go func() {
		resp, err := http.Get(tg.srv.URL + "/one")
		if err != nil {
			done <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- resp.Status + " " + string(b)
	}()
	<-entered
	if err := tg.gw.Reload(mustConfig(t, `
version: 1
services:
  b: {targets: ["${B}"]}
routes:
  - {name: two, path: "/two", service: b}
`, vars)); err != nil {
		t.Fatal(err)
	}
	if resp, _ := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/one", nil)); resp.StatusCode != 404 {
		t.Errorf("new request to /one after reload: %d, want 404", resp.StatusCode)
	}
	close(release)
	if got := <-done; got != "200 OK old" {
		t.Errorf("in-flight request = %q, want 200 OK old", got)
	}
}
