package observability

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// TracingOptions configures NewTracerProvider.
type TracingOptions struct {
	// OTLPEndpoint is the base URL of an OTLP/HTTP receiver, such as
	// "http://otel-collector:4318"; spans go to its /v1/traces unless the
	// URL has a path of its own. Empty means tracing is off: nothing is
	// recorded or exported, but trace context still propagates.
	OTLPEndpoint string
	// SampleRatio is the fraction, 0 to 1, of new traces that are sampled.
	// A request whose caller sent a traceparent follows the caller's
	// sampling decision instead.
	SampleRatio float64
	// ServiceName and Version become the resource's service.name and
	// service.version.
	ServiceName, Version string

	// BatchTimeout is the longest a finished span waits before it is
	// exported; zero means 5 s.
	BatchTimeout time.Duration
	// ExportTimeout bounds one export request; zero means 10 s.
	ExportTimeout time.Duration
	// MaxQueueSize is how many finished spans wait for export at most;
	// spans beyond it are dropped. Zero means 2048.
	MaxQueueSize int
	// MaxExportBatchSize is how many spans one export request carries at
	// most; zero means 512.
	MaxExportBatchSize int
}

// Defaults of TracingOptions for zero fields.
const (
	DefaultBatchTimeout       = 5 * time.Second
	DefaultExportTimeout      = 10 * time.Second
	DefaultMaxQueueSize       = 2048
	DefaultMaxExportBatchSize = 512
)

// NewTracerProvider returns the component's tracer provider and a function
// that flushes and stops it, to be called once on the way out.
//
// With an empty OTLPEndpoint the provider is a no-op: it records and exports
// nothing, and a span it starts carries the span context of its parent, so a
// traceparent extracted from an incoming request with Propagator is injected
// unchanged (same trace id, same parent id) into outgoing requests. A
// request that arrived without one gets no trace context at all: outgoing
// requests carry no traceparent and its logs no trace_id.
//
// With an endpoint, spans are batched and sent with OTLP over HTTP, sampled
// with ParentBased(TraceIDRatioBased(SampleRatio)); a request without a
// traceparent starts a new trace, which is propagated (with its sampled flag)
// even when it is not sampled.
//
// Nothing is installed globally; pass the provider to whatever needs it.
func NewTracerProvider(ctx context.Context, o TracingOptions) (trace.TracerProvider, func(context.Context) error, error) {
	if o.OTLPEndpoint == "" {
		return noop.NewTracerProvider(), func(context.Context) error { return nil }, nil
	}
	if o.SampleRatio < 0 || o.SampleRatio > 1 {
		return nil, nil, fmt.Errorf("tracing: sample ratio %v: want 0 to 1", o.SampleRatio)
	}
	if o.ServiceName == "" {
		return nil, nil, errors.New("tracing: service name is empty")
	}
	endpoint, err := tracesURL(o.OTLPEndpoint)
	if err != nil {
		return nil, nil, err
	}
	exp, err := otlptracehttp.New(ctx,
		otlptracehttp.WithEndpointURL(endpoint),
		otlptracehttp.WithTimeout(orDuration(o.ExportTimeout, DefaultExportTimeout)),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: otlp exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithTelemetrySDK(),
		resource.WithAttributes(semconv.ServiceName(o.ServiceName), semconv.ServiceVersion(o.Version)),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp,
			sdktrace.WithBatchTimeout(orDuration(o.BatchTimeout, DefaultBatchTimeout)),
			sdktrace.WithExportTimeout(orDuration(o.ExportTimeout, DefaultExportTimeout)),
			sdktrace.WithMaxQueueSize(orInt(o.MaxQueueSize, DefaultMaxQueueSize)),
			sdktrace.WithMaxExportBatchSize(orInt(o.MaxExportBatchSize, DefaultMaxExportBatchSize)),
		),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(o.SampleRatio))),
		sdktrace.WithResource(res),
	)
	shutdown := func(ctx context.Context) error {
		if err := tp.Shutdown(ctx); err != nil {
			return fmt.Errorf("tracing: shutdown: %w", err)
		}
		return nil
	}
	return tp, shutdown, nil
}

// Propagator returns the W3C trace context and baggage propagator.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// tracesURL checks endpoint and gives it the OTLP traces path when it has
// no path.
func tracesURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("tracing: endpoint: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("tracing: endpoint %q: want an http or https URL with a host", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}

func orDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func orInt(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}
