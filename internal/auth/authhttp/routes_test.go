package authhttp

import (
	"bytes"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/openapitest"
)

// loadOpenAPI returns api/auth.yaml, for checking that what is served is
// what is described: the routes (TestRoutesMatchOpenAPI) and every
// response the tests see (checked wraps every handler they call).
func loadOpenAPI(tb testing.TB) *openapitest.Doc {
	tb.Helper()
	return openapitest.Load(tb, filepath.Join("..", "..", "..", "api", "auth.yaml"))
}

// TestRoutesMatchOpenAPI checks that api/auth.yaml describes exactly the
// routes the handler serves.
func TestRoutesMatchOpenAPI(t *testing.T) {
	env := newTestServer(t, auth.Options{}, Options{})
	var served []string
	for _, rt := range NewHandler(env.Service, Options{}).routes() {
		served = append(served, rt.pattern)
	}
	loadOpenAPI(t).CheckRoutes(t, served)
}

// checked serves h, checking every answer of a route against
// api/auth.yaml. It reports with Errorf only, so it may serve on the
// goroutines of an httptest.Server.
func checked(tb testing.TB, h *Handler) http.Handler {
	tb.Helper()
	api := loadOpenAPI(tb)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := h.mux.Handler(r)
		rec := &recordingWriter{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if pattern == "" {
			return
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		_, path, _ := strings.Cut(pattern, " ")
		api.CheckResponse(tb, r.Method, path, status, w.Header(), rec.body.Bytes())
	})
}

// recordingWriter keeps the status and body it writes through.
type recordingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *recordingWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
