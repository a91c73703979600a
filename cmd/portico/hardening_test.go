package main

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/platform/problem"
)

// seen is what the recording upstream received of one request.
type seen struct {
	path    string
	header  http.Header
	body    int   // bytes of the body read
	bodyErr error // why reading the body failed; nil when it ended cleanly
}

// recorder counts the requests a recording upstream received and hands
// over what it saw of each, in order.
type recorder struct {
	hits atomic.Int32
	seen chan seen
}

// wsAccept is the Sec-WebSocket-Accept answer to key (RFC 6455 §4.2.2).
func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC11B85"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// mustRecordingUpstream starts an upstream that records every request it
// receives. It reads each body to its end (a body cut off reads as an
// error, never as a short success) and answers 200; a WebSocket upgrade it
// accepts on a hijacked connection, then echoes one line back.
func mustRecordingUpstream(t *testing.T) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{seen: make(chan seen, 64)}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.hits.Add(1)
		s := seen{path: r.URL.Path, header: r.Header.Clone()}
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			rec.seen <- s
			c, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second)) // a bound for a broken gateway only
			io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
				"Sec-WebSocket-Accept: "+wsAccept(r.Header.Get("Sec-WebSocket-Key"))+"\r\n\r\n")
			if line, err := brw.ReadString('\n'); err == nil {
				io.WriteString(c, "echo: "+line)
			}
			return
		}
		b, err := io.ReadAll(r.Body)
		s.body, s.bodyErr = len(b), err
		rec.seen <- s
		if err == nil {
			fmt.Fprintf(w, "upstream got %d", len(b))
		}
	}))
	t.Cleanup(up.Close)
	return up, rec
}

// mustSeen waits for the upstream's record of a request to path; each
// subtest uses its own path, so a record of another one is a request
// forwarded that should not have been. The wait is only a bound for a
// broken gateway, not a measurement.
func (rec *recorder) mustSeen(t *testing.T, path string) seen {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case s := <-rec.seen:
			if s.path == path {
				return s
			}
			t.Errorf("upstream received an unexpected request to %s with header %v", s.path, s.header)
		case <-timeout:
			t.Fatalf("the upstream never received the request to %s", path)
			return seen{}
		}
	}
}

// mustNotSeen checks that the upstream received nothing since hits was
// read. It is called after the gateway answered, which it does only once
// the upstream has recorded any request forwarded to it.
func (rec *recorder) mustNotSeen(t *testing.T, hits int32) {
	t.Helper()
	if got := rec.hits.Load(); got != hits {
		t.Errorf("upstream request count = %d, want %d: the request was forwarded", got, hits)
	}
	for {
		select {
		case s := <-rec.seen:
			t.Errorf("upstream received a request to %s with header %v", s.path, s.header)
		default:
			return
		}
	}
}

// mustDial opens a raw connection to addr, closed when the test ends. The
// deadline only keeps a broken gateway from hanging the test.
func mustDial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c, bufio.NewReader(c)
}

// mustRaw writes raw, hand-written request bytes to addr on a new
// connection and reads one response, so that no client normalises the
// request.
func mustRaw(t *testing.T, addr, raw string) (*http.Response, []byte) {
	t.Helper()
	c, br := mustDial(t, addr)
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatalf("write: %v", err)
	}
	return mustReadResponse(t, br)
}

// mustReadResponse reads one response and its body from br.
func mustReadResponse(t *testing.T, br *bufio.Reader) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response body: %v", err)
	}
	return resp, body
}

// mustProblem checks that resp is a problem document of the given status
// and type (the part after problem.TypeBase).
func mustProblem(t *testing.T, resp *http.Response, body []byte, status int, typ string) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != problem.ContentType {
		t.Errorf("got %d with Content-Type %q, want a %d problem document (body %q)", resp.StatusCode, ct, status, body)
		return
	}
	var p struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Errorf("problem body %q: %v", body, err)
		return
	}
	if resp.StatusCode != status || p.Type != problem.TypeBase+typ {
		t.Errorf("got %d %s, want %d %s (body %s)", resp.StatusCode, p.Type, status, problem.TypeBase+typ, body)
	}
}

// mustOK checks that resp is the recording upstream's 200.
func mustOK(t *testing.T, resp *http.Response, body []byte) {
	t.Helper()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "upstream got ") {
		t.Errorf("got %d %q, want 200 from the upstream", resp.StatusCode, body)
	}
}

// TestBinaryHardening sends hand-written requests, as an attacker would,
// to the real binary in front of an upstream that records what reaches
// it, and checks both the client's answer and what the upstream saw.
func TestBinaryHardening(t *testing.T) {
	up, rec := mustRecordingUpstream(t)
	cfg := filepath.Join(t.TempDir(), "portico.yaml")
	// h2c is on so that the server able to speak cleartext HTTP/2 is the
	// one shown not to upgrade an HTTP/1.1 request to it.
	const server = "  h2c: true\n  body_read_timeout: 300ms\n  max_header_count: 10"
	mustWrite(t, cfg, gatewayConfig(up.URL, `"/{rest...}"`, server))
	p := mustStart(t, "gateway", "--config", cfg)
	addr := p.addrs["public"]

	t.Run("h2c upgrade is served as an ordinary request", func(t *testing.T) {
		resp, body := mustRaw(t, addr, "GET /h2c HTTP/1.1\r\nHost: gw.example\r\n"+
			"Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
		mustOK(t, resp, body)
		h := rec.mustSeen(t, "/h2c").header
		for _, k := range []string{"Upgrade", "Http2-Settings"} {
			if v, ok := h[k]; ok {
				t.Errorf("upstream received %s: %q", k, v)
			}
		}
		for _, v := range h.Values("Connection") {
			if strings.Contains(strings.ToLower(v), "upgrade") || strings.Contains(strings.ToLower(v), "http2-settings") {
				t.Errorf("upstream received Connection: %q", v)
			}
		}
	})

	t.Run("websocket upgrade passes", func(t *testing.T) {
		c, br := mustDial(t, addr)
		io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: gw.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("read response: %v", err)
		}
		switched := resp.StatusCode == http.StatusSwitchingProtocols && strings.EqualFold(resp.Header.Get("Upgrade"), "websocket")
		if !switched {
			t.Errorf("got %d with Upgrade %q, want 101 websocket", resp.StatusCode, resp.Header.Get("Upgrade"))
		}
		h := rec.mustSeen(t, "/ws").header
		if !strings.EqualFold(h.Get("Upgrade"), "websocket") || !strings.Contains(strings.ToLower(h.Get("Connection")), "upgrade") {
			t.Errorf("upstream received Upgrade %q, Connection %q; want websocket, upgrade", h.Get("Upgrade"), h.Get("Connection"))
		}
		if !switched {
			return
		}
		io.WriteString(c, "ping\n")
		if line, err := br.ReadString('\n'); err != nil || line != "echo: ping\n" {
			t.Errorf("through the upgraded connection: got %q, %v; want the upstream's echo", line, err)
		}
	})

	t.Run("invalid hosts are refused", func(t *testing.T) {
		cases := []struct {
			name, raw string
			// byGateway says net/http lets the request through and the
			// gateway must refuse it with a problem document; otherwise
			// net/http may refuse it first with its plain 400.
			byGateway bool
		}{
			{"list", "GET /host HTTP/1.1\r\nHost: a,b\r\n\r\n", true},
			{"user information", "GET /host HTTP/1.1\r\nHost: user@host\r\n\r\n", false},
			{"empty port", "GET /host HTTP/1.1\r\nHost: host:\r\n\r\n", true},
			{"port out of range", "GET /host HTTP/1.1\r\nHost: host:99999\r\n\r\n", true},
			{"two host fields", "GET /host HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				hits := rec.hits.Load()
				resp, body := mustRaw(t, addr, c.raw)
				switch {
				case c.byGateway || resp.Header.Get("Content-Type") == problem.ContentType:
					mustProblem(t, resp, body, http.StatusBadRequest, "bad-request")
				case resp.StatusCode != http.StatusBadRequest:
					t.Errorf("got %d %q, want 400", resp.StatusCode, body)
				}
				rec.mustNotSeen(t, hits)
			})
		}
		t.Run("a valid host passes", func(t *testing.T) {
			resp, body := mustRaw(t, addr, "GET /valid-host HTTP/1.1\r\nHost: host:8080\r\n\r\n")
			mustOK(t, resp, body)
			rec.mustSeen(t, "/valid-host")
		})
	})

	t.Run("stalled body is 408 and the upstream sees it broken", func(t *testing.T) {
		c, br := mustDial(t, addr)
		io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: gw.example\r\nContent-Length: 100\r\n\r\n"+strings.Repeat("x", 10))
		// Then nothing more: the gateway must give up on the body.
		resp, body := mustReadResponse(t, br)
		mustProblem(t, resp, body, http.StatusRequestTimeout, "request-timeout")
		if s := rec.mustSeen(t, "/upload"); s.bodyErr == nil {
			t.Errorf("upstream read %d body bytes and no error: a cut-off body passed as complete", s.body)
		}
	})

	// fields is a request of n header fields as the gateway counts them:
	// Host plus n-1 more.
	fields := func(n int) string {
		var b strings.Builder
		b.WriteString("GET /count HTTP/1.1\r\nHost: gw.example\r\n")
		for i := range n - 1 {
			fmt.Fprintf(&b, "X-F%d: v\r\n", i)
		}
		return b.String() + "\r\n"
	}
	t.Run("header count at the limit passes", func(t *testing.T) {
		resp, body := mustRaw(t, addr, fields(10))
		mustOK(t, resp, body)
		if h := rec.mustSeen(t, "/count").header; h.Get("X-F8") != "v" {
			t.Errorf("upstream did not receive the tenth field; header %v", h)
		}
	})
	t.Run("header count past the limit is 431", func(t *testing.T) {
		hits := rec.hits.Load()
		resp, body := mustRaw(t, addr, fields(11))
		mustProblem(t, resp, body, http.StatusRequestHeaderFieldsTooLarge, "headers-too-large")
		rec.mustNotSeen(t, hits)
	})

	// Underscored spellings of a forwarding and an identity header, which
	// CGI-style services read as the real ones.
	const underscored = "GET /underscore HTTP/1.1\r\nHost: gw.example\r\nX_Forwarded_For: 1.2.3.4\r\nX_Portico_Subject: admin\r\n\r\n"
	t.Run("underscore headers are dropped by default", func(t *testing.T) {
		resp, body := mustRaw(t, addr, underscored)
		mustOK(t, resp, body)
		for k, vs := range rec.mustSeen(t, "/underscore").header {
			norm := strings.ToLower(strings.ReplaceAll(k, "_", "-"))
			if strings.Contains(k, "_") || norm == "x-portico-subject" {
				t.Errorf("upstream received %s: %q", k, vs)
			}
			for _, v := range vs {
				if strings.Contains(v, "1.2.3.4") || strings.EqualFold(strings.TrimSpace(v), "admin") {
					t.Errorf("upstream received the client's value in %s: %q", k, v)
				}
			}
		}
	})
	t.Run("underscore headers are rejected after a reload", func(t *testing.T) {
		n := p.logCount()
		mustWrite(t, cfg, gatewayConfig(up.URL, `"/{rest...}"`, server+"\n  underscore_headers: reject"))
		p.waitLog(t, "configuration reloaded", n)
		hits := rec.hits.Load()
		resp, body := mustRaw(t, addr, underscored)
		mustProblem(t, resp, body, http.StatusBadRequest, "bad-request")
		rec.mustNotSeen(t, hits)

		resp, body = mustRaw(t, addr, "GET /plain HTTP/1.1\r\nHost: gw.example\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n")
		mustOK(t, resp, body)
		rec.mustSeen(t, "/plain")
	})
}
