package server

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"

	"github.com/portico-gw/portico/internal/platform/problem"
	"github.com/portico-gw/portico/internal/platform/requestid"
)

// Recover turns a panic in next into a 500 internal problem. The panic
// value and the stack are logged with the request id, never sent to the
// client. A panic with http.ErrAbortHandler is passed on, so handlers can
// still abort a response that way; so is any panic after the response
// headers were sent, as http.ErrAbortHandler, because the client can then
// only be told by cutting the response short.
func Recover(logger *slog.Logger, next http.Handler) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			attrs := []any{
				"panic", fmt.Sprint(v),
				"method", r.Method,
				"path", r.URL.Path,
				"stack", string(debug.Stack()),
			}
			if requestid.From(r.Context()) == "" {
				// The logger adds the id from the context; without one,
				// use what the response carries.
				attrs = append(attrs, "request_id", w.Header().Get(requestid.Header))
			}
			logger.ErrorContext(r.Context(), "handler panicked", attrs...)
			switch {
			case tw.hijacked:
				// The connection is the handler's; nothing to answer on.
			case tw.wroteHeader:
				panic(http.ErrAbortHandler)
			default:
				problem.Write(w, r, problem.Internal())
			}
		}()
		next.ServeHTTP(tw, r)
	})
}

// trackingWriter remembers whether the response has started. It passes
// flushing and hijacking through and unwraps for http.ResponseController.
type trackingWriter struct {
	http.ResponseWriter
	wroteHeader bool
	hijacked    bool
}

func (w *trackingWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.wroteHeader = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *trackingWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

func (w *trackingWriter) ReadFrom(r io.Reader) (int64, error) {
	w.wroteHeader = true
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{w.ResponseWriter}, r)
}

func (w *trackingWriter) Flush() {
	w.wroteHeader = true
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *trackingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return conn, rw, err
}

func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var (
	_ http.Flusher  = (*trackingWriter)(nil)
	_ http.Hijacker = (*trackingWriter)(nil)
	_ io.ReaderFrom = (*trackingWriter)(nil)
)
