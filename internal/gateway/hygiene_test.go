package gateway

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestOnlyWebSocketUpgradesPass sends upgrade requests that are not
// WebSocket ones — h2c above all, whose upgrade would leave the gateway
// copying an HTTP/2 connection it no longer routes or checks — and checks
// that each reaches the upstream as an ordinary request, with no Upgrade,
// no HTTP2-Settings and no "upgrade" in Connection.
func TestOnlyWebSocketUpgradesPass(t *testing.T) {
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Upstream-Connection", strings.Join(r.Header.Values("Connection"), ","))
		echoHandler("a").ServeHTTP(w, r)
	}))
	plain := mustGateway(t, proxyConfig(""), map[string]string{"A": up.URL})
	// With cleartext HTTP/2 on, net/http still upgrades nothing itself
	// (prior knowledge only), and the request reaches the gateway.
	h2c := mustGateway(t, proxyConfig("  h2c: true\n"), map[string]string{"A": up.URL})

	cases := map[string]string{
		"h2c":                             "Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n",
		"h2c with settings not named":     "Upgrade: h2c\r\nConnection: Upgrade\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n",
		"TLS":                             "Upgrade: TLS/1.0\r\nConnection: Upgrade\r\n",
		"websocket in a list":             "Upgrade: websocket, h2c\r\nConnection: Upgrade\r\n",
		"websocket and another field":     "Upgrade: websocket\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n",
		"websocket with a version":        "Upgrade: websocket/13\r\nConnection: Upgrade\r\n",
		"websocket without the token":     "Upgrade: websocket\r\nConnection: keep-alive\r\n",
		"connection token without header": "Connection: Upgrade, X-Hop\r\nX-Hop: 1\r\n",
	}
	for name, fields := range cases {
		for server, tg := range map[string]*testGateway{"": plain, " with h2c served": h2c} {
			t.Run(name+server, func(t *testing.T) {
				checkPlainRequest(t, tg.srv.Listener.Addr().String(), fields)
			})
		}
	}
}

// checkPlainRequest sends a request with fields and checks that the
// upstream got it as an ordinary request.
func checkPlainRequest(t *testing.T, addr, fields string) {
	t.Helper()
	resp, body := mustRaw(t, addr, "GET /x HTTP/1.1\r\nHost: gw.example\r\n"+fields+"\r\n")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200 from the upstream as an ordinary request (body %q)", resp.StatusCode, body)
	}
	h := mustEchoed(t, body).Header
	for _, k := range []string{"Upgrade", "Http2-Settings", "X-Hop"} {
		if v, ok := h[k]; ok {
			t.Errorf("upstream received %s: %q", k, v)
		}
	}
	if c := resp.Header.Get("X-Upstream-Connection"); strings.Contains(strings.ToLower(c), "upgrade") {
		t.Errorf("upstream received Connection: %q", c)
	}
}

// TestWebSocketUpgradeTokenIsCaseInsensitive checks the one upgrade that
// passes, spelt as some clients spell it, on a raw connection.
func TestWebSocketUpgradeTokenIsCaseInsensitive(t *testing.T) {
	upgrader := websocket.Upgrader{}
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c.Close()
	}))
	tg := mustGateway(t, proxyConfig("  body_read_timeout: 100ms\n"), map[string]string{"A": up.URL})
	c, err := net.Dial("tcp", tg.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: gw.example\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		t.Errorf("got %d with Upgrade %q, want 101 websocket", resp.StatusCode, resp.Header.Get("Upgrade"))
	}
}

// TestUnderscoreHeaders checks each server.underscore_headers policy with
// a raw request carrying underscored spellings of a forwarding header and
// of identity headers, which CGI-style services read as the real ones.
func TestUnderscoreHeaders(t *testing.T) {
	const raw = "GET /x HTTP/1.1\r\nHost: gw.example\r\n" +
		"X_Forwarded_For: 203.0.113.66\r\n" +
		"X_Portico_Identity: staff\r\n" +
		"X-Portico_Org: o1\r\n" +
		"Accept_Language: fr\r\n" +
		"Accept-Language: en\r\n\r\n"
	var hits atomic.Int32
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		echoHandler("a").ServeHTTP(w, r)
	}))
	underscored := func(h map[string][]string) []string {
		var out []string
		for k := range h {
			if strings.Contains(k, "_") {
				out = append(out, k)
			}
		}
		return out
	}

	t.Run("drop is the default", func(t *testing.T) {
		tg := mustGateway(t, oneRoute(""), map[string]string{"A": up.URL, "TRUSTED": "192.0.2.1"})
		resp, body := mustRaw(t, tg.srv.Listener.Addr().String(), raw)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d, want 200 (body %q)", resp.StatusCode, body)
		}
		h := mustEchoed(t, body).Header
		if got := underscored(h); len(got) > 0 {
			t.Errorf("upstream received %v", got)
		}
		if got := strings.Join(h["Accept-Language"], ","); got != "en" {
			t.Errorf("Accept-Language = %q, want en", got)
		}
		if got := strings.Join(h["X-Forwarded-For"], ","); got != "127.0.0.1" {
			t.Errorf("X-Forwarded-For = %q, want only the peer", got)
		}
	})
	t.Run("reject", func(t *testing.T) {
		tg := mustGateway(t, proxyConfig("  underscore_headers: reject\n"), map[string]string{"A": up.URL})
		before := hits.Load()
		resp, body := mustRaw(t, tg.srv.Listener.Addr().String(), raw)
		mustProblem(t, resp, body, http.StatusBadRequest, "bad-request")
		if hits.Load() != before {
			t.Error("the upstream received the request")
		}
		resp, body = mustRaw(t, tg.srv.Listener.Addr().String(), "GET /x HTTP/1.1\r\nHost: gw.example\r\nAccept-Language: en\r\n\r\n")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("without underscores: status = %d, want 200 (body %q)", resp.StatusCode, body)
		}
	})
	t.Run("pass keeps identity spellings out", func(t *testing.T) {
		tg := mustGateway(t, proxyConfig("  underscore_headers: pass\n"), map[string]string{"A": up.URL})
		resp, body := mustRaw(t, tg.srv.Listener.Addr().String(), raw)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d, want 200 (body %q)", resp.StatusCode, body)
		}
		h := mustEchoed(t, body).Header
		for _, k := range []string{"X_forwarded_for", "Accept_language"} {
			if _, ok := h[k]; !ok {
				t.Errorf("upstream did not receive %s; got %v", k, underscored(h))
			}
		}
		for _, k := range []string{"X_portico_identity", "X-Portico_org"} {
			if v, ok := h[k]; ok {
				t.Errorf("upstream received identity header %s: %q", k, v)
			}
		}
	})
}

func TestHasIdentityPrefix(t *testing.T) {
	for k, want := range map[string]bool{
		"X-Portico-Identity": true,
		"x-portico-org":      true,
		"X_Portico_Identity": true,
		"X-portico_":         true,
		"X-Portico":          false,
		"X-Porticos-A":       false,
		"X.Portico-A":        false,
		"Y-Portico-A":        false,
	} {
		if got := hasIdentityPrefix(k); got != want {
			t.Errorf("hasIdentityPrefix(%q) = %v, want %v", k, got, want)
		}
	}
}

// TestHygieneDoesNotAllocate keeps the checks every request pays free of
// allocations when the request has nothing to remove.
func TestHygieneDoesNotAllocate(t *testing.T) {
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(
		"GET /v1/items/42?x=1 HTTP/1.1\r\nHost: api.example.com\r\nAccept: application/json\r\nUser-Agent: bench\r\nX-Request-Id: rid-1\r\n\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	l := newLimits(&mustConfig(t, proxyConfig(""), map[string]string{"A": "http://127.0.0.1:1"}).Server)
	n := testing.AllocsPerRun(100, func() {
		if p, _ := l.check(r); p != nil || !validRequestHost(r) || !applyUnderscores(r.Header, l.underscores) {
			t.Fatal("refused")
		}
		stripIdentityHeaders(r.Header)
		if sanitizeUpgrade(r.Header) {
			t.Fatal("upgrade")
		}
	})
	if n != 0 {
		t.Errorf("got %v allocations per request, want 0", n)
	}
}
