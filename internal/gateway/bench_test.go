package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-gw/portico/internal/gateway/config"
)

// BenchmarkProxy measures the gateway's own cost per proxied request:
// routing among 20 routes, header hygiene, forwarding headers, metrics and
// the access log (to io.Discard), against a real loopback upstream. The
// client side is a recorder, so only the upstream leg crosses a socket.
// The same on a route that requires a member of an organization is
// BenchmarkProxyAuthenticated in internal/e2e.
func BenchmarkProxy(b *testing.B) { benchmarkProxy(b, false) }

// BenchmarkProxyFastPath is BenchmarkProxy with the service on the fast
// path: the forwarder and the h1 client instead of httputil.ReverseProxy
// and net/http's Transport.
func BenchmarkProxyFastPath(b *testing.B) { benchmarkProxy(b, true) }

func benchmarkProxy(b *testing.B, fast bool) {
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
  a:
    targets: ["${A}"]
    fast_path: `+strconv.FormatBool(fast)+`
routes:
`+routes.String(), map[string]string{"A": up.URL})
	gw := benchGateway(b, cfg)

	b.ReportAllocs()
	b.ResetTimer()
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

// BenchmarkReject measures a request refused before any upstream: the
// cost floor of routing, limits and the problem document.
func BenchmarkReject(b *testing.B) {
	cfg := mustConfig(b, `
version: 1
services:
  a: {targets: ["http://127.0.0.1:1"]}
routes:
  - {name: a, path: /a, service: a}
`, nil)
	gw, err := New(cfg, Options{
		Logger:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer gw.Close()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "http://gw.example/nowhere", nil)
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Code != 404 {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkComposeFastPath measures a composed route of three steps, each
// to its own service on the fast path, against one loopback upstream:
// the gateway's composition on top of BenchmarkProxyFastPath's work.
func BenchmarkComposeFastPath(b *testing.B) {
	body := `{"id":"42","name":"` + strings.Repeat("x", 1000) + `"}`
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	defer up.Close()
	cfg := mustConfig(b, `
version: 1
services:
  api: {targets: ["${A}"], fast_path: true}
  orders: {targets: ["${A}"], fast_path: true}
  users: {targets: ["${A}"], fast_path: true}
routes:
  - name: overview
    methods: [GET]
    path: /v1/overview/{id}
    aggregate:
      budget: 2s
      steps:
        - {name: item, service: api, path: "/v1/items/{path.id}", timeout: 1s, into: item}
        - {name: order, service: orders, path: "/v1/orders/{path.id}", timeout: 1s, into: order}
        - {name: user, service: users, path: "/v1/users/{path.id}", timeout: 1s, into: user}
`, map[string]string{"A": up.URL})
	gw := benchGateway(b, cfg)

	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", "http://gw.example/v1/overview/42", nil)
		req.RemoteAddr = "192.0.2.10:5555"
		req.Header.Set("Accept", "application/json")
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// benchGateway returns a gateway of cfg that logs to io.Discard, closed
// when b ends.
func benchGateway(b *testing.B, cfg *config.Config) *Gateway {
	b.Helper()
	gw, err := New(cfg, Options{
		Logger:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
		AccessLog:  io.Discard,
		Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(gw.Close)
	return gw
}
