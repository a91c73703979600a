//go:build !portico_nofastpath

package gateway

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fastRoute is oneRoute with the fast path on for service a, said
// explicitly, and one attempt per request.
const fastRoute = `
version: 1
services:
  a:
    targets: ["${A}"]
    fast_path: true
    retry: {attempts: 1}
routes:
  - name: all
    path: /{rest...}
    service: a
`

// With fast_path, responses come through the gateway's own client over
// kept-alive connections.
func TestFastPathProxies(t *testing.T) {
	url, conns := rawUpstream(t, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Up: 1\r\nContent-Length: 5\r\n\r\nhello")
	tg := mustGateway(t, fastRoute, map[string]string{"A": url})
	for range 5 {
		resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/x", nil))
		if resp.StatusCode != 200 || string(body) != "hello" || resp.Header.Get("X-Up") != "1" {
			t.Fatalf("got %d %q %v", resp.StatusCode, body, resp.Header)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("got %d upstream connections for 5 requests, want 1", n)
	}
	if !tg.gw.rt.Load().services["a"].transport.usesFastPath() {
		t.Error("service a has no fast path")
	}
}

// A malformed response is a 502 problem, counted as a protocol failure, and
// its connection is not used again.
func TestFastPathMalformedResponseIs502(t *testing.T) {
	for name, reply := range map[string]string{
		"garbage":             "NOT HTTP AT ALL\r\n\r\n",
		"conflicting lengths": "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy",
		"length and chunked":  "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"obs-fold":            "HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\nContent-Length: 0\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			url, conns := rawUpstream(t, reply)
			tg := mustGateway(t, fastRoute, map[string]string{"A": url})
			for range 2 {
				resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/x", nil))
				mustProblem(t, resp, body, http.StatusBadGateway, "upstream-failed")
			}
			if got := testutil.ToFloat64(tg.gw.m.upstreamErrors.WithLabelValues("a", string(kindProtocol))); got != 2 {
				t.Errorf("got %v protocol failures, want 2", got)
			}
			if n := conns.Load(); n != 2 {
				t.Errorf("got %d upstream connections, want 2", n)
			}
		})
	}
}

// Requests with a body from the client, after the connection sat idle in
// the pool for longer than an exchange's grace, are written and answered:
// a pooled connection keeps the last exchange's deadline, past by then,
// until the next exchange replaces it.
func TestFastPathBodyAfterIdle(t *testing.T) {
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, r.Method+" "+string(b))
	}))
	tg := mustGateway(t, fastRoute, map[string]string{"A": up.URL})
	for _, tt := range []struct{ method, body string }{{"GET", ""}, {"POST", "one"}, {"PUT", "two"}, {"POST", "three"}} {
		time.Sleep(20 * time.Millisecond) // several times the fast path's grace
		var body io.Reader
		if tt.body != "" {
			body = strings.NewReader(tt.body)
		}
		resp, got := mustDo(t, mustRequest(t, tt.method, tg.srv.URL+"/x", body))
		if want := tt.method + " " + tt.body; resp.StatusCode != 200 || string(got) != want {
			t.Fatalf("%s after idle: got %d %q, want %q", tt.method, resp.StatusCode, got, want)
		}
	}
}
