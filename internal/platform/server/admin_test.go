package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// mustAdmin serves AdminHandler(o) and returns its base URL.
func mustAdmin(tb testing.TB, o AdminOptions) string {
	tb.Helper()
	srv := httptest.NewServer(AdminHandler(o))
	tb.Cleanup(srv.Close)
	return srv.URL
}

func mustDoRequest(tb testing.TB, method, url string, header http.Header) *http.Response {
	tb.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	return resp
}

func TestAdminHealthz(t *testing.T) {
	base := mustAdmin(t, AdminOptions{Health: NewHealth()}) // not ready: liveness does not care
	status, body := mustGet(t, http.DefaultClient, base+"/healthz")
	if status != http.StatusOK || body != `{"status":"ok"}`+"\n" {
		t.Errorf("got %d %q, want 200 {\"status\":\"ok\"}", status, body)
	}
	resp := mustDoRequest(t, "POST", base+"/healthz", nil)
	p := mustProblem(t, resp)
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("got %d Allow %q, want 405 Allow GET, HEAD", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if got := p["type"]; got != "https://portico.dev/problems/method-not-allowed" {
		t.Errorf("got type %v, want method-not-allowed", got)
	}
}

func TestAdminReadyz(t *testing.T) {
	const internalText = "dial tcp 10.1.2.3:5432: password authentication failed"
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	tests := []struct {
		name       string
		ready      bool
		checks     map[string]func(context.Context) error
		wantStatus int
		wantFailed []string
	}{
		{name: "not ready", ready: false, wantStatus: 503, wantFailed: []string{}},
		{name: "ready no checks", ready: true, wantStatus: 200},
		{name: "ready checks pass", ready: true, wantStatus: 200, checks: map[string]func(context.Context) error{
			"db": func(context.Context) error { return nil },
		}},
		{name: "failing checks", ready: true, wantStatus: 503, wantFailed: []string{"auth", "db"}, checks: map[string]func(context.Context) error{
			"db":    func(context.Context) error { return errors.New(internalText) },
			"auth":  func(context.Context) error { return errors.New(internalText) },
			"cache": func(context.Context) error { return nil },
		}},
		{name: "check too slow", ready: true, wantStatus: 503, wantFailed: []string{"slow"}, checks: map[string]func(context.Context) error{
			"slow": func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
		}},
		{name: "check ignores deadline", ready: true, wantStatus: 503, wantFailed: []string{"stuck"}, checks: map[string]func(context.Context) error{
			"stuck": func(context.Context) error { <-stuck; return nil },
		}},
		{name: "check panics", ready: true, wantStatus: 503, wantFailed: []string{"boom"}, checks: map[string]func(context.Context) error{
			"boom": func(context.Context) error { panic(internalText) },
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHealth()
			h.SetReady(tt.ready)
			for name, fn := range tt.checks {
				h.AddCheck(name, fn)
			}
			var logs bytes.Buffer
			base := mustAdmin(t, AdminOptions{Health: h, ReadyTimeout: 50 * time.Millisecond, Logger: mustTestLogger(t, &logs)})
			resp := mustDoRequest(t, "GET", base+"/readyz", nil)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("got status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusOK {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if got := string(body); got != `{"status":"ready"}`+"\n" {
					t.Errorf("got body %q, want {\"status\":\"ready\"}", got)
				}
				return
			}
			p := mustProblem(t, resp)
			if got := p["type"]; got != "https://portico.dev/problems/not-ready" {
				t.Errorf("got type %v, want not-ready", got)
			}
			failed, _ := p["failed_checks"].([]any)
			if len(failed) != len(tt.wantFailed) {
				t.Fatalf("got failed_checks %v, want %v", p["failed_checks"], tt.wantFailed)
			}
			for i, want := range tt.wantFailed {
				if failed[i] != want {
					t.Errorf("got failed_checks %v, want %v", failed, tt.wantFailed)
				}
			}
			if detail, _ := p["detail"].(string); strings.Contains(detail, "10.1.2.3") {
				t.Errorf("got detail %q, want no internal error text", detail)
			}
			for _, name := range tt.wantFailed {
				if !strings.Contains(logs.String(), `"check":"`+name+`"`) {
					t.Errorf("got logs %s, want the failure of %s logged", logs.String(), name)
				}
			}
		})
	}
}

func TestAdminReadyzWithoutHealth(t *testing.T) {
	base := mustAdmin(t, AdminOptions{})
	if status, _ := mustGet(t, http.DefaultClient, base+"/readyz"); status != http.StatusOK {
		t.Errorf("got status %d, want 200", status)
	}
}

func TestAdminMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "portico_test_things_total", Help: "Things."})
	reg.MustRegister(c)
	c.Add(3)
	base := mustAdmin(t, AdminOptions{Gatherer: reg})

	tests := []struct{ name, accept, wantType, wantLine string }{
		{name: "text", accept: "", wantType: "text/plain", wantLine: "portico_test_things_total 3"},
		{name: "openmetrics", accept: "application/openmetrics-text; version=1.0.0", wantType: "application/openmetrics-text", wantLine: "portico_test_things_total 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.accept != "" {
				h.Set("Accept", tt.accept)
			}
			resp := mustDoRequest(t, "GET", base+"/metrics", h)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, tt.wantType) {
				t.Errorf("got Content-Type %q, want %s", got, tt.wantType)
			}
			if !strings.Contains(string(body), tt.wantLine) {
				t.Errorf("got body %s, want a line %q", body, tt.wantLine)
			}
		})
	}
	t.Run("absent without gatherer", func(t *testing.T) {
		resp := mustDoRequest(t, "GET", mustAdmin(t, AdminOptions{})+"/metrics", nil)
		mustProblem(t, resp)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("got status %d, want 404", resp.StatusCode)
		}
	})
}

func TestAdminPprof(t *testing.T) {
	t.Run("absent by default", func(t *testing.T) {
		base := mustAdmin(t, AdminOptions{})
		for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap"} {
			resp := mustDoRequest(t, "GET", base+path, nil)
			mustProblem(t, resp)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: got status %d, want 404", path, resp.StatusCode)
			}
		}
	})
	t.Run("present when enabled", func(t *testing.T) {
		base := mustAdmin(t, AdminOptions{Pprof: true})
		for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap?debug=1"} {
			if status, _ := mustGet(t, http.DefaultClient, base+path); status != http.StatusOK {
				t.Errorf("GET %s: got status %d, want 200", path, status)
			}
		}
	})
}

func TestAdminExtraAndUnknown(t *testing.T) {
	base := mustAdmin(t, AdminOptions{Extra: map[string]http.Handler{
		"GET /config": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "cfg") }),
	}})
	if status, body := mustGet(t, http.DefaultClient, base+"/config"); status != http.StatusOK || body != "cfg" {
		t.Errorf("got %d %q, want 200 cfg", status, body)
	}
	resp := mustDoRequest(t, "GET", base+"/nope", nil)
	p := mustProblem(t, resp)
	if resp.StatusCode != http.StatusNotFound || p["type"] != "https://portico.dev/problems/not-found" || p["instance"] != "/nope" {
		t.Errorf("got %d %v, want a not-found problem for /nope", resp.StatusCode, p)
	}
}
