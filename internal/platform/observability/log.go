package observability

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/trace"

	"github.com/portico-gw/portico/internal/platform/requestid"
)

// Keys of the attributes the logger adds to records logged with a context.
const (
	RequestIDKey = "request_id"
	TraceIDKey   = "trace_id"
	SpanIDKey    = "span_id"
)

// NewLogger returns a logger writing to w at the given level (debug, info,
// warn or error; "" means info) in the given format (json or text; "" means
// json). Every record logged with a context carries request_id when the
// context holds a request id and trace_id and span_id when it holds a valid
// span context, at the top level whatever groups are open. Secrets are kept
// out of the output as RedactAttr describes.
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lvl, ReplaceAttr: RedactAttr}
	var h slog.Handler
	switch strings.ToLower(format) {
	case "", "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q: want json or text", format)
	}
	return slog.New(&contextHandler{inner: h}), nil
}

// ParseLevel parses debug, info, warn (or warning) and error, in any case;
// "" means info.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log level %q: want debug, info, warn or error", s)
}

// contextHandler adds the request and trace ids found in the context to each
// record. It keeps groups itself rather than passing WithGroup down, because
// the ids must stay at the top level and slog offers no way to leave a group
// once the inner handler has opened it.
type contextHandler struct {
	// inner has every WithAttrs applied before the first WithGroup.
	inner slog.Handler
	// pending holds the WithGroup and WithAttrs calls from the first
	// WithGroup on, oldest first; nil while no group is open.
	pending []groupOrAttrs
}

// groupOrAttrs is one WithGroup (group set) or WithAttrs (attrs set) call.
type groupOrAttrs struct {
	group string
	attrs []slog.Attr
}

func (h *contextHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	if len(h.pending) == 0 {
		return &contextHandler{inner: h.inner.WithAttrs(as)}
	}
	return &contextHandler{inner: h.inner, pending: append(slices.Clip(h.pending), groupOrAttrs{attrs: slices.Clone(as)})}
}

func (h *contextHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &contextHandler{inner: h.inner, pending: append(slices.Clip(h.pending), groupOrAttrs{group: name})}
}

func (h *contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if len(h.pending) > 0 {
		r = h.nest(r)
	} else {
		// Clone so that adding attributes cannot write into storage shared
		// with a copy of r held by someone else.
		r = r.Clone()
	}
	if id := requestid.From(ctx); id != "" {
		r.AddAttrs(slog.String(RequestIDKey, id))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		traceID, spanID := hexIDs(sc)
		r.AddAttrs(slog.String(TraceIDKey, traceID), slog.String(SpanIDKey, spanID))
	}
	return h.inner.Handle(ctx, r)
}

// hexIDs returns the trace and span ids of sc in hex, sharing one
// allocation.
func hexIDs(sc trace.SpanContext) (traceID, spanID string) {
	tid, sid := sc.TraceID(), sc.SpanID()
	var buf [2*len(tid) + 2*len(sid)]byte
	hex.Encode(buf[:2*len(tid)], tid[:])
	hex.Encode(buf[2*len(tid):], sid[:])
	s := string(buf[:])
	return s[:2*len(tid)], s[2*len(tid):]
}

// nest returns a copy of r whose attributes sit inside the pending groups,
// preceded at each level by the attributes added at that level.
func (h *contextHandler) nest(r slog.Record) slog.Record {
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, a)
		return true
	})
	for i := len(h.pending) - 1; i >= 0; i-- {
		if g := h.pending[i]; g.group != "" {
			attrs = []slog.Attr{{Key: g.group, Value: slog.GroupValue(attrs...)}}
		} else {
			attrs = append(slices.Clip(g.attrs), attrs...)
		}
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(attrs...)
	return out
}

var _ slog.Handler = (*contextHandler)(nil)
