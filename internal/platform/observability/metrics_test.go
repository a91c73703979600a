package observability

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

func TestNewRegistryHasRuntimeCollectors(t *testing.T) {
	mfs, err := NewRegistry().Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, want := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if !names[want] {
			t.Errorf("got no %s, want the Go and process collectors registered", want)
		}
	}
}

// mustMetricsServer serves mux behind the middleware of fresh metrics.
func mustMetricsServer(tb testing.TB, route func(*http.Request) string, mux http.Handler) (*HTTPMetrics, *prometheus.Registry, *httptest.Server) {
	tb.Helper()
	reg := prometheus.NewRegistry()
	m := NewHTTPMetrics(reg, "portico_test")
	srv := httptest.NewServer(m.Middleware(route, mux))
	tb.Cleanup(srv.Close)
	return m, reg, srv
}

func mustDo(tb testing.TB, method, url string) *http.Response {
	tb.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestHTTPMetricsMiddleware(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "missing" {
			http.Error(w, "no", http.StatusNotFound)
			return
		}
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("/silent", func(w http.ResponseWriter, r *http.Request) {})
	m, reg, srv := mustMetricsServer(t, nil, mux)

	mustDo(t, "GET", srv.URL+"/items/1")
	mustDo(t, "GET", srv.URL+"/items/2")
	mustDo(t, "GET", srv.URL+"/items/missing")
	mustDo(t, "POST", srv.URL+"/items")
	mustDo(t, "GET", srv.URL+"/nowhere")
	mustDo(t, "BREW", srv.URL+"/silent")

	counts := []struct {
		route, method, code string
		want                float64
	}{
		{"GET /items/{id}", "GET", "200", 2},
		{"GET /items/{id}", "GET", "404", 1},
		{"POST /items", "POST", "201", 1},
		{UnmatchedRoute, "GET", "404", 1},
		{"/silent", "OTHER", "200", 1},
	}
	for _, c := range counts {
		t.Run(c.route+" "+c.method+" "+c.code, func(t *testing.T) {
			if got := testutil.ToFloat64(m.requests.WithLabelValues(c.route, c.method, c.code)); got != c.want {
				t.Errorf("got %v requests, want %v", got, c.want)
			}
		})
	}
	if got := testutil.CollectAndCount(m.requests); got != len(counts) {
		t.Errorf("got %d request series, want %d", got, len(counts))
	}
	if got := mustHistogramCount(t, reg, "portico_test_http_request_duration_seconds", "GET /items/{id}", "GET"); got != 3 {
		t.Errorf("got histogram count %d, want 3", got)
	}
	if got := testutil.ToFloat64(m.inFlight); got != 0 {
		t.Errorf("got %v in flight, want 0", got)
	}
}

func TestHTTPMetricsRouteFunc(t *testing.T) {
	route := func(r *http.Request) string {
		if strings.HasPrefix(r.URL.Path, "/a/") {
			return "a"
		}
		return ""
	}
	m, _, srv := mustMetricsServer(t, route, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	mustDo(t, "GET", srv.URL+"/a/1")
	mustDo(t, "GET", srv.URL+"/b")
	if got := testutil.ToFloat64(m.requests.WithLabelValues("a", "GET", "200")); got != 1 {
		t.Errorf("got %v requests for route a, want 1", got)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues(UnmatchedRoute, "GET", "200")); got != 1 {
		t.Errorf("got %v unmatched requests, want 1", got)
	}
}

func TestHTTPMetricsKeepsWriterInterfaces(t *testing.T) {
	t.Run("flush", func(t *testing.T) {
		m, _, srv := mustMetricsServer(t, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f, ok := w.(http.Flusher)
			if !ok {
				t.Error("got a writer without Flush, want http.Flusher")
				return
			}
			io.WriteString(w, "a")
			f.Flush()
		}))
		mustDo(t, "GET", srv.URL+"/")
		if got := testutil.ToFloat64(m.requests.WithLabelValues(UnmatchedRoute, "GET", "200")); got != 1 {
			t.Errorf("got %v requests, want 1", got)
		}
	})
	t.Run("hijack", func(t *testing.T) {
		m := NewHTTPMetrics(prometheus.NewRegistry(), "portico_test")
		h := m.Middleware(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, rw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			defer conn.Close()
			rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n")
			rw.Flush()
		}))
		done := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer close(done)
			h.ServeHTTP(w, r)
		}))
		defer srv.Close()
		req, _ := http.NewRequest("GET", srv.URL+"/", nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "test")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("got status %d, want 101", resp.StatusCode)
		}
		<-done
		if got := testutil.ToFloat64(m.requests.WithLabelValues(UnmatchedRoute, "GET", "101")); got != 1 {
			t.Errorf("got %v requests with code 101, want 1", got)
		}
	})
}

func TestHTTPMetricsMiddlewareDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	m := NewHTTPMetrics(prometheus.NewRegistry(), "portico_test")
	h := m.Middleware(func(*http.Request) string { return "GET /items/{id}" }, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	req := httptest.NewRequest("GET", "/items/1", nil)
	w := discardWriter{header: http.Header{}}
	h.ServeHTTP(w, req) // creates the series
	if got := testing.AllocsPerRun(1000, func() { h.ServeHTTP(w, req) }); got != 0 {
		t.Errorf("got %v allocations per request, want 0", got)
	}
}

func BenchmarkHTTPMetricsMiddleware(b *testing.B) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	req := httptest.NewRequest("GET", "/items/1", nil)
	w := discardWriter{header: http.Header{}}
	route := func(*http.Request) string { return "GET /items/{id}" }
	b.Run("bare handler", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			next.ServeHTTP(w, req)
		}
	})
	b.Run("with metrics", func(b *testing.B) {
		h := NewHTTPMetrics(prometheus.NewRegistry(), "bench").Middleware(route, next)
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, req)
		}
	})
	b.Run("with metrics parallel", func(b *testing.B) {
		h := NewHTTPMetrics(prometheus.NewRegistry(), "bench").Middleware(route, next)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				h.ServeHTTP(w, req)
			}
		})
	})
}

// discardWriter is a ResponseWriter that keeps nothing, so benchmarks
// measure the middleware alone.
type discardWriter struct{ header http.Header }

func (w discardWriter) Header() http.Header         { return w.header }
func (w discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w discardWriter) WriteHeader(int)             {}

// mustHistogramCount returns the sample count of the histogram series name
// with the given route and method labels.
func mustHistogramCount(tb testing.TB, g prometheus.Gatherer, name, route, method string) uint64 {
	tb.Helper()
	mfs, err := g.Gather()
	if err != nil {
		tb.Fatalf("Gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		if mf.GetType() != dto.MetricType_HISTOGRAM {
			tb.Fatalf("got %s of type %v, want a histogram", name, mf.GetType())
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["route"] == route && labels["method"] == method {
				if got, want := len(m.GetHistogram().GetBucket()), len(DurationBuckets()); got != want {
					tb.Errorf("got %d buckets, want %d", got, want)
				}
				return m.GetHistogram().GetSampleCount()
			}
		}
	}
	tb.Fatalf("got no %s{route=%q,method=%q}", name, route, method)
	return 0
}
