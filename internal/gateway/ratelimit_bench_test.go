package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkRateLimitDecision measures what rate limiting adds to a
// request on a route with two policies in memory (per client address and
// per route): building both keys, the decision, the RateLimit fields and
// the metrics, over 10 000 client addresses. The rest of the request is
// BenchmarkProxy's.
func BenchmarkRateLimitDecision(b *testing.B) {
	cfg := mustConfig(b, `
version: 1
services:
  a: {targets: ["http://127.0.0.1:1"]}
rate_limits:
  policies:
    per-address: {key: [client_address], rate: 1000000/s, burst: 1000000000}
    per-route: {key: [route], rate: 1000000/s, burst: 1000000000}
routes:
  - {name: login, path: /login, service: a, rate_limits: [per-address, per-route]}
`, nil)
	gw := benchGateway(b, cfg)
	rt := gw.rt.Load()
	var params routerParams
	rte, _, _ := rt.router.Match("GET", "gw.example", "/login", &params)
	req := httptest.NewRequest("GET", "http://gw.example/login", nil)
	st := getState(httptest.NewRecorder())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		st.client = clientAddrs[i%len(clientAddrs)]
		clear(st.Header())
		if !gw.limitRate(req.Context(), rt.rate, rte, st, req, &params, nil) {
			b.Fatal("refused")
		}
		i++
	}
}

// clientAddrs are 10 000 client addresses.
var clientAddrs = func() []netip.Addr {
	out := make([]netip.Addr, 10000)
	for i := range out {
		out[i] = netip.MustParseAddr("198.51." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256))
	}
	return out
}()

// BenchmarkProxyRateLimited is BenchmarkProxy (the same 20 routes, the
// same request and answer) with a default policy per client address in
// memory on every route: the difference is what rate limiting adds to a
// proxied request.
func BenchmarkProxyRateLimited(b *testing.B) {
	body := strings.Repeat("x", 1024)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	defer up.Close()
	var routes strings.Builder
	for _, p := range []string{"orgs", "members", "configs", "integrations", "keys", "sessions", "metrics", "beacons", "profiles"} {
		routes.WriteString("  - {name: " + p + ", methods: [GET], path: \"/v1/" + p + "/{id}\", service: a}\n")
		routes.WriteString("  - {name: " + p + "-list, methods: [GET, POST], path: /v1/" + p + ", service: a}\n")
	}
	routes.WriteString("  - {name: items, methods: [GET], path: \"/v1/items/{id}\", service: a}\n")
	cfg := mustConfig(b, `
version: 1
services:
  a: {targets: ["${A}"]}
rate_limits:
  policies:
    per-address: {key: [client_address], rate: 1000000/s, burst: 1000000000}
  default_policies: [per-address]
routes:
`+routes.String(), map[string]string{"A": up.URL})
	gw := benchGateway(b, cfg)

	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "http://gw.example/v1/items/42?x=1", nil)
		req.RemoteAddr = "192.0.2.10:5555"
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "bench")
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
