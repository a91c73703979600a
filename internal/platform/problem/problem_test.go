package problem

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	r := httptest.NewRequest("GET", "/v1/x", nil)
	w := httptest.NewRecorder()
	w.Header().Set("X-Request-Id", "rid")
	Write(w, r, NotFound("No route matches the request.").With("service", "a").With("status", 999))
	if w.Code != 404 || w.Header().Get("Content-Type") != ContentType || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("got %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"))
	}
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("body is not JSON: %q", w.Body.String())
	}
	want := map[string]any{
		"type": TypeBase + "not-found", "title": "Not found", "status": float64(404),
		"detail": "No route matches the request.", "instance": "/v1/x", "request_id": "rid", "service": "a",
	}
	if len(got) != len(want) {
		t.Errorf("members = %v, want %v (an extension cannot override a standard member)", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if n := w.Header().Get("Content-Length"); n != itoa(w.Body.Len()) {
		t.Errorf("Content-Length = %s, body %d bytes", n, w.Body.Len())
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func BenchmarkWrite(b *testing.B) {
	r := httptest.NewRequest("GET", "/v1/x", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		w.Body.Reset()
		Write(w, r, NotFound("No route matches the request."))
	}
}
