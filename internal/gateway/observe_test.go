package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

const incomingTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestTraceparentPassesThroughWithTracingOff(t *testing.T) {
	up := mustUpstream(t, echoHandler("a"))
	tg := mustGateway(t, oneRoute(""), map[string]string{"A": up.URL, "TRUSTED": "192.0.2.1"})
	req := mustRequest(t, "GET", tg.srv.URL+"/x", nil)
	req.Header.Set("Traceparent", incomingTraceparent)
	_, body := mustDo(t, req)
	if got := mustEchoed(t, body).Header["Traceparent"]; len(got) != 1 || got[0] != incomingTraceparent {
		t.Errorf("upstream traceparent = %q, want %q", got, incomingTraceparent)
	}
}

func TestTracingCreatesAServerSpanAndPropagatesIt(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	up := mustUpstream(t, echoHandler("a"))
	cfg := mustConfig(t, oneRoute(""), map[string]string{"A": up.URL, "TRUSTED": "192.0.2.1"})
	gw, err := New(cfg, Options{
		Logger:         slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Registerer:     prometheus.NewRegistry(),
		TracerProvider: tp,
		Propagator:     propagation.TraceContext{},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	srv := httptest.NewServer(gw)
	defer srv.Close()

	req := mustRequest(t, "GET", srv.URL+"/traced", nil)
	req.Header.Set("Traceparent", incomingTraceparent)
	_, body := mustDo(t, req)
	got := mustEchoed(t, body).Header["Traceparent"]
	if len(got) != 1 || !strings.HasPrefix(got[0], "00-4bf92f3577b34da6a3ce929d0e0e4736-") || got[0] == incomingTraceparent {
		t.Fatalf("upstream traceparent = %q, want the same trace with the gateway's span as parent", got)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("ended spans = %d, want 1", len(spans))
	}
	s := spans[0]
	if s.Name() != "all" || s.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("span %q in trace %s, want route name all in the incoming trace", s.Name(), s.SpanContext().TraceID())
	}
	if s.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("span parent = %s, want the incoming span", s.Parent().SpanID())
	}
	if !strings.Contains(got[0], s.SpanContext().SpanID().String()) {
		t.Errorf("upstream parent %q is not the gateway span %s", got[0], s.SpanContext().SpanID())
	}
}

func TestAccessLogAndRouteMetrics(t *testing.T) {
	up := mustUpstream(t, echoHandler("a"))
	tg := mustGateway(t, oneRoute(""), map[string]string{"A": up.URL, "TRUSTED": "192.0.2.1"})
	req := mustRequest(t, "GET", tg.srv.URL+"/logged/./path?token=secret", nil)
	req.Header.Set("X-Request-Id", "req-1")
	mustDo(t, req)
	recs := tg.logs.records(t, "request")
	if len(recs) != 1 {
		t.Fatalf("access log lines = %d, want 1", len(recs))
	}
	r := recs[0]
	want := map[string]any{
		"request_id": "req-1", "method": "GET", "path": "/logged/path",
		"route": "all", "service": "a", "status": float64(200), "client": "127.0.0.1",
	}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("access log %s = %v, want %v", k, r[k], v)
		}
	}
	if strings.Contains(tg.logs.String(), "secret") {
		t.Error("the query string (which may carry secrets) reached the log")
	}
	if got := testutil.ToFloat64(tg.gw.m.requests.WithLabelValues("all", "a", "200")); got != 1 {
		t.Errorf("requests_total{route=all,code=200} = %v, want 1", got)
	}
}

func TestH2CUpstream(t *testing.T) {
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	}))
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	up.Config.Protocols = &p
	up.Start()
	defer up.Close()
	tg := mustGateway(t, `
version: 1
services:
  a:
    targets: ["${A}"]
    h2c: true
routes:
  - {name: all, path: "/{rest...}", service: a}
`, map[string]string{"A": up.URL})
	resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/x", nil))
	if resp.StatusCode != 200 || string(body) != "HTTP/2.0" {
		t.Errorf("upstream saw %q (status %d), want HTTP/2.0", body, resp.StatusCode)
	}
}

func TestDNSDiscoveredTargets(t *testing.T) {
	up := mustUpstream(t, echoHandler("a"))
	port := up.Listener.Addr().(*netTCPAddr).Port
	tg := mustGateway(t, `
version: 1
services:
  a:
    dns: {name: localhost, port: `+itoa(port)+`, refresh: 1s}
routes:
  - {name: all, path: "/{rest...}", service: a}
`, nil)
	resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/x", nil))
	if resp.StatusCode != 200 {
		t.Errorf("status = %d, want 200 from the target resolved from localhost: %s", resp.StatusCode, body)
	}
}
