package observability

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

// mustLogger returns a JSON logger at debug level writing into buf.
func mustLogger(tb testing.TB, buf *bytes.Buffer) *slog.Logger {
	tb.Helper()
	l, err := NewLogger(buf, "debug", "json")
	if err != nil {
		tb.Fatalf("NewLogger: %v", err)
	}
	return l
}

// mustRecords decodes every JSON line in buf.
func mustRecords(tb testing.TB, buf *bytes.Buffer) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			tb.Fatalf("decode log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// mustOneRecord decodes the single JSON line in buf.
func mustOneRecord(tb testing.TB, buf *bytes.Buffer) map[string]any {
	tb.Helper()
	recs := mustRecords(tb, buf)
	if len(recs) != 1 {
		tb.Fatalf("got %d log records, want 1:\n%s", len(recs), buf)
	}
	return recs[0]
}

// mustSpanContext returns ctx carrying a remote span context with the given
// hex ids.
func mustSpanContext(tb testing.TB, ctx context.Context, traceID, spanID string, sampled bool) context.Context {
	tb.Helper()
	tid, err := trace.TraceIDFromHex(traceID)
	if err != nil {
		tb.Fatalf("trace id: %v", err)
	}
	sid, err := trace.SpanIDFromHex(spanID)
	if err != nil {
		tb.Fatalf("span id: %v", err)
	}
	var flags trace.TraceFlags
	if sampled {
		flags = trace.FlagsSampled
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags, Remote: true})
	return trace.ContextWithRemoteSpanContext(ctx, sc)
}
