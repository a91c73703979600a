package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/portico-gw/portico/internal/platform/requestid"
)

const panicText = "boom: dsn host=db password=hunter2"

func TestRecoverTurnsPanicIntoProblem(t *testing.T) {
	var logs bytes.Buffer
	h := requestid.Middleware(Recover(mustTestLogger(t, &logs), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(panicText)
	})))
	req := httptest.NewRequest("GET", "/things/1", nil)
	req.Header.Set(requestid.Header, "req-42")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	resp := rec.Result()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("got status %d, want 500", resp.StatusCode)
	}
	body := rec.Body.String()
	if strings.Contains(body, "boom") || strings.Contains(body, "goroutine") {
		t.Errorf("got body %s, want neither the panic value nor the stack", body)
	}
	p := mustProblem(t, resp)
	if p["type"] != "https://portico.dev/problems/internal" || p["request_id"] != "req-42" {
		t.Errorf("got problem %v, want type internal with request_id req-42", p)
	}
	rec2 := mustOneLogRecord(t, &logs)
	for key, want := range map[string]string{"msg": "handler panicked", "request_id": "req-42", "path": "/things/1"} {
		if got := rec2[key]; got != want {
			t.Errorf("got log %s %v, want %q", key, got, want)
		}
	}
	if got, _ := rec2["panic"].(string); !strings.HasPrefix(got, "boom") || strings.Contains(got, "hunter2") {
		t.Errorf("got log panic %q, want the panic value with secrets redacted", got)
	}
	if got, _ := rec2["stack"].(string); !strings.Contains(got, "middleware_test.go") {
		t.Errorf("got log stack %q, want the handler's stack", got)
	}
}

func TestRecoverWithoutRequestIDInContext(t *testing.T) {
	var logs bytes.Buffer
	h := Recover(mustTestLogger(t, &logs), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(requestid.Header, "from-header")
		panic("boom")
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if got := mustOneLogRecord(t, &logs)["request_id"]; got != "from-header" {
		t.Errorf("got log request_id %v, want from-header", got)
	}
}

func TestRecoverPassesAborts(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wantLog bool
	}{
		{name: "ErrAbortHandler", handler: func(w http.ResponseWriter, r *http.Request) {
			panic(http.ErrAbortHandler)
		}},
		{name: "panic after headers", wantLog: true, handler: func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "partial")
			http.NewResponseController(w).Flush()
			panic("late boom")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var logs bytes.Buffer
			srv := httptest.NewServer(Recover(mustTestLogger(t, &lockedWriter{mu: &mu, w: &logs}), tt.handler))
			defer srv.Close()

			resp, err := http.Get(srv.URL)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if err == nil {
				t.Errorf("got a complete response, want it cut short")
			}
			srv.Close() // waits for the handler, so the log is complete
			mu.Lock()
			defer mu.Unlock()
			if got := strings.Contains(logs.String(), "handler panicked"); got != tt.wantLog {
				t.Errorf("got panic logged %v, want %v; log %s", got, tt.wantLog, logs.String())
			}
		})
	}
}

func TestRecoverKeepsFlusher(t *testing.T) {
	h := Recover(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(http.Flusher); !ok {
			t.Error("got a writer without Flush, want http.Flusher")
		}
		io.WriteString(w, "ok")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "ok" {
		t.Errorf("got %d %q, want 200 ok", rec.Code, rec.Body.String())
	}
}

func BenchmarkRecover(b *testing.B) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	req := httptest.NewRequest("GET", "/", nil)
	w := httptest.NewRecorder()
	b.Run("bare handler", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			next.ServeHTTP(w, req)
		}
	})
	b.Run("with recover", func(b *testing.B) {
		h := Recover(nil, next)
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, req)
		}
	})
}
