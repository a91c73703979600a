package aggregate

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// countingObserver records the outcomes it is told.
type countingObserver struct{ got []string }

func (o *countingObserver) StepDone(plan, step string, kind Kind, d time.Duration) {
	o.got = append(o.got, plan+"/"+step+"="+string(kind))
}

func TestObserver(t *testing.T) {
	d := mustDoer(t, map[string]*httptest.Server{"a": mustServer(t, jsonHandler(`{}`)), "f": mustServer(t, statusHandler(404))})
	obs := &countingObserver{}
	p, err := Compile(PlanSpec{Name: "dash", Budget: time.Second, Steps: []StepSpec{
		{Name: "a", Service: "a", Path: "/", Into: "a"},
		{Name: "f", Service: "f", Path: "/", Into: "f", OnFailure: Optional},
	}}, Options{Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	mustExecute(t, context.Background(), p, nil, d)
	if got, want := strings.Join(obs.got, " "), "dash/a=ok dash/f=status_4xx"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	var mu sync.Mutex
	parents := map[string]string{}
	upstream := func(name, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			parents[name] = r.Header.Get("Traceparent")
			mu.Unlock()
			jsonHandler(body)(w, r)
		}
	}
	d := mustDoer(t, map[string]*httptest.Server{
		"a": mustServer(t, upstream("a", `{}`)),
		"b": mustServer(t, upstream("b", `{"x":1}`)),
	})
	p, err := Compile(PlanSpec{Name: "dash", Budget: time.Second, Steps: []StepSpec{
		{Name: "a", Service: "a", Path: "/", Into: "a"},
		{Name: "b", Service: "b", Path: "/", Into: "b"},
	}}, Options{Tracer: tp.Tracer("test"), Propagator: propagation.TraceContext{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, root := tp.Tracer("test").Start(context.Background(), "route")
	mustExecute(t, ctx, p, nil, d)
	root.End()
	spans := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		spans[s.Name()] = s
	}
	for _, step := range []string{"a", "b"} {
		s, ok := spans["aggregate "+step]
		if !ok {
			t.Fatalf("got spans %v, want one named %q", spans, "aggregate "+step)
		}
		if s.Parent().SpanID() != root.SpanContext().SpanID() {
			t.Errorf("step %s: got parent %s, want the route's span", step, s.Parent().SpanID())
		}
		if want := "00-" + s.SpanContext().TraceID().String() + "-" + s.SpanContext().SpanID().String() + "-01"; parents[step] != want {
			t.Errorf("step %s: got traceparent %q, want %q (the step's span)", step, parents[step], want)
		}
		var outcome string
		for _, kv := range s.Attributes() {
			if kv.Key == attribute.Key("portico.outcome") {
				outcome = kv.Value.AsString()
			}
		}
		if outcome != "ok" {
			t.Errorf("step %s: got outcome attribute %q, want ok", step, outcome)
		}
	}
}
