package configshttp

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// benchSDK returns a handler serving an integration with a property, and
// a request for its SDK config from an allowed origin.
func benchSDK(b *testing.B) (*Handler, *http.Request) {
	e := newEnv(b, Options{})
	id, key := e.mustIntegration(b, "Bench")
	e.put(b, id, e.editor(b), `"v1"`, `{"document":{"activation_ratio":0.5,"properties":{"live":{"activation_threshold":3}}}}`)
	r := httptest.NewRequestWithContext(b.Context(), "GET", "/v1/sdk/config/"+key+"?property=live", nil)
	r.Header.Set("Origin", "https://www.example.com")
	return e.h, r
}

// nullWriter is a ResponseWriter that keeps only its header map, which
// it clears between requests, so the benchmark measures the handler and
// not a recorder.
type nullWriter struct {
	h    http.Header
	code int
}

func (w *nullWriter) Header() http.Header         { return w.h }
func (w *nullWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nullWriter) WriteHeader(code int)        { w.code = code }

func benchServe(b *testing.B, h *Handler, r *http.Request, want int) {
	w := &nullWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
		if w.code != want {
			b.Fatalf("got status %d, want %d", w.code, want)
		}
	}
}

// BenchmarkSDKConfig200 serves the SDK config of an allowed origin.
func BenchmarkSDKConfig200(b *testing.B) {
	h, r := benchSDK(b)
	b.Run("handler", func(b *testing.B) { benchServe(b, h, r, http.StatusOK) })
	b.Run("recorder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				b.Fatalf("got %d", rec.Code)
			}
		}
	})
}

// BenchmarkSDKConfig304 answers a player whose cached copy is current.
func BenchmarkSDKConfig304(b *testing.B) {
	h, r := benchSDK(b)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	r.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	b.Run("handler", func(b *testing.B) { benchServe(b, h, r, http.StatusNotModified) })
	b.Run("recorder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusNotModified {
				b.Fatalf("got %d", rec.Code)
			}
		}
	})
}
