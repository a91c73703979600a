package observability

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

const testTraceparent = "00-" + testTraceID + "-" + testSpanID + "-01"

func TestNoopTracerProviderPropagates(t *testing.T) {
	tp, shutdown, err := NewTracerProvider(context.Background(), TracingOptions{})
	if err != nil {
		t.Fatalf("NewTracerProvider: %v", err)
	}
	defer shutdown(context.Background())
	prop := Propagator()
	tracer := tp.Tracer("test")

	t.Run("incoming traceparent", func(t *testing.T) {
		in := http.Header{"Traceparent": {testTraceparent}, "Baggage": {"tenant=acme"}}
		ctx := prop.Extract(context.Background(), propagation.HeaderCarrier(in))
		ctx, span := tracer.Start(ctx, "handle")
		defer span.End()
		if span.IsRecording() {
			t.Error("got a recording span, want the no-op provider to record nothing")
		}
		out := http.Header{}
		prop.Inject(ctx, propagation.HeaderCarrier(out))
		if got := out.Get("Traceparent"); got != testTraceparent {
			t.Errorf("got outgoing traceparent %q, want %q", got, testTraceparent)
		}
		if got := out.Get("Baggage"); got != "tenant=acme" {
			t.Errorf("got outgoing baggage %q, want tenant=acme", got)
		}
	})
	t.Run("no traceparent", func(t *testing.T) {
		ctx, span := tracer.Start(context.Background(), "handle")
		defer span.End()
		out := http.Header{}
		prop.Inject(ctx, propagation.HeaderCarrier(out))
		if got := out.Get("Traceparent"); got != "" {
			t.Errorf("got outgoing traceparent %q, want none", got)
		}
	})
}

func TestNewTracerProviderRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		o    TracingOptions
	}{
		{name: "ratio above one", o: TracingOptions{OTLPEndpoint: "http://127.0.0.1:4318", SampleRatio: 1.5, ServiceName: "x"}},
		{name: "negative ratio", o: TracingOptions{OTLPEndpoint: "http://127.0.0.1:4318", SampleRatio: -0.1, ServiceName: "x"}},
		{name: "no service name", o: TracingOptions{OTLPEndpoint: "http://127.0.0.1:4318", SampleRatio: 1}},
		{name: "no scheme", o: TracingOptions{OTLPEndpoint: "127.0.0.1:4318", SampleRatio: 1, ServiceName: "x"}},
		{name: "grpc scheme", o: TracingOptions{OTLPEndpoint: "grpc://collector:4317", SampleRatio: 1, ServiceName: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := NewTracerProvider(context.Background(), tt.o); err == nil {
				t.Error("got no error, want one")
			}
		})
	}
}

// otlpReceiver is an OTLP/HTTP trace receiver that keeps what it is sent.
type otlpReceiver struct {
	mu       sync.Mutex
	requests []*coltracepb.ExportTraceServiceRequest
}

func (rc *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		http.Error(w, "content type "+ct, http.StatusUnsupportedMediaType)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := new(coltracepb.ExportTraceServiceRequest)
	if err := proto.Unmarshal(raw, req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.requests = append(rc.requests, req)
	rc.mu.Unlock()
	resp, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(resp)
}

// spans returns every span received, with its resource's service.name.
func (rc *otlpReceiver) spans() (spans []*tracepb.Span, services []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, req := range rc.requests {
		for _, rs := range req.GetResourceSpans() {
			var service string
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.GetKey() == "service.name" {
					service = kv.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					spans = append(spans, s)
					services = append(services, service)
				}
			}
		}
	}
	return spans, services
}

func mustReceiver(tb testing.TB) (*otlpReceiver, string) {
	tb.Helper()
	rc := &otlpReceiver{}
	srv := httptest.NewServer(rc)
	tb.Cleanup(srv.Close)
	return rc, srv.URL
}

func TestTracerProviderExportsOTLP(t *testing.T) {
	rc, endpoint := mustReceiver(t)
	// Ratio 0: only spans whose remote parent was sampled are kept, which
	// shows the sampler is parent based.
	tp, shutdown, err := NewTracerProvider(context.Background(), TracingOptions{
		OTLPEndpoint: endpoint, SampleRatio: 0, ServiceName: "portico-test", Version: "1.2.3",
	})
	if err != nil {
		t.Fatalf("NewTracerProvider: %v", err)
	}
	prop := Propagator()
	tracer := tp.Tracer("test")

	in := http.Header{"Traceparent": {testTraceparent}}
	ctx := prop.Extract(context.Background(), propagation.HeaderCarrier(in))
	ctx, span := tracer.Start(ctx, "sampled child", trace.WithSpanKind(trace.SpanKindServer))
	out := http.Header{}
	prop.Inject(ctx, propagation.HeaderCarrier(out))
	span.End()
	if got := out.Get("Traceparent"); !strings.HasPrefix(got, "00-"+testTraceID+"-") || strings.Contains(got, testSpanID) {
		t.Errorf("got outgoing traceparent %q, want trace %s with a new span id", got, testTraceID)
	}

	rootCtx, root := tracer.Start(context.Background(), "unsampled root")
	root.End()
	rootSC := trace.SpanContextFromContext(rootCtx)
	if !rootSC.IsValid() || rootSC.IsSampled() {
		t.Errorf("got root span context valid=%v sampled=%v, want valid and not sampled", rootSC.IsValid(), rootSC.IsSampled())
	}

	if err := shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	spans, services := rc.spans()
	if len(spans) != 1 {
		t.Fatalf("got %d spans exported, want 1", len(spans))
	}
	s := spans[0]
	if got := hex.EncodeToString(s.GetTraceId()); got != testTraceID {
		t.Errorf("got trace id %s, want %s", got, testTraceID)
	}
	if got := hex.EncodeToString(s.GetParentSpanId()); got != testSpanID {
		t.Errorf("got parent span id %s, want %s", got, testSpanID)
	}
	if got := s.GetName(); got != "sampled child" {
		t.Errorf("got span name %q, want %q", got, "sampled child")
	}
	if got := services[0]; got != "portico-test" {
		t.Errorf("got service.name %q, want portico-test", got)
	}
}

func TestTracerProviderSamplesNewTraces(t *testing.T) {
	rc, endpoint := mustReceiver(t)
	tp, shutdown, err := NewTracerProvider(context.Background(), TracingOptions{
		OTLPEndpoint: endpoint + "/", SampleRatio: 1, ServiceName: "portico-test",
	})
	if err != nil {
		t.Fatalf("NewTracerProvider: %v", err)
	}
	ctx, span := tp.Tracer("test").Start(context.Background(), "root")
	span.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	spans, _ := rc.spans()
	if len(spans) != 1 {
		t.Fatalf("got %d spans exported, want 1", len(spans))
	}
	want := trace.SpanContextFromContext(ctx).TraceID().String()
	if got := hex.EncodeToString(spans[0].GetTraceId()); got != want {
		t.Errorf("got trace id %s, want %s", got, want)
	}
}
