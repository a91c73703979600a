package gateway

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func oneRoute(extra string) string {
	return `
version: 1
server:
  trusted_proxies: ["${TRUSTED}"]
services:
  a:
    targets: ["${A}"]
routes:
  - name: all
    path: /{rest...}
    service: a
` + extra
}

func TestHopByHopAndIdentityHeaders(t *testing.T) {
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "X-Up-Hop")
		w.Header().Set("X-Up-Hop", "secret")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Portico-Internal", "never to clients")
		echoHandler("a").ServeHTTP(w, r)
	}))
	tg := mustGateway(t, oneRoute(""), map[string]string{"A": up.URL, "TRUSTED": "192.0.2.1"})

	req := mustRequest(t, "GET", tg.srv.URL+"/x", nil)
	req.Header.Set("Connection", "X-Client-Hop, Keep-Alive")
	req.Header.Set("X-Client-Hop", "1")
	req.Header.Set("Keep-Alive", "timeout=5")
	req.Header.Set("Te", "trailers, deflate")
	req.Header.Set("Proxy-Authorization", "Basic Zm9vOmJhcg==")
	req.Header.Set("X-Portico-Identity", "staff")
	req.Header.Set("x-portico-org", "o1")
	resp, body := mustDo(t, req)
	e := mustEchoed(t, body)
	for _, h := range []string{"X-Client-Hop", "Keep-Alive", "Proxy-Authorization", "X-Portico-Identity", "X-Portico-Org"} {
		if v, ok := e.Header[h]; ok {
			t.Errorf("upstream received %s: %q", h, v)
		}
	}
	if te := e.Header["Te"]; len(te) > 0 && te[0] != "trailers" {
		t.Errorf("upstream TE = %q, want at most trailers", te)
	}
	for _, h := range []string{"X-Up-Hop", "Keep-Alive", "X-Portico-Internal"} {
		if v := resp.Header.Get(h); v != "" {
			t.Errorf("client received %s: %q", h, v)
		}
	}
}

func TestForwardedHeaders(t *testing.T) {
	up := mustUpstream(t, echoHandler("a"))

	t.Run("untrusted peer cannot claim an address", func(t *testing.T) {
		tg := mustGateway(t, oneRoute(""), map[string]string{"A": up.URL, "TRUSTED": "192.0.2.1"})
		req := mustRequest(t, "GET", tg.srv.URL+"/x", nil)
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("X-Forwarded-Host", "evil.example")
		req.Header.Set("Forwarded", "for=203.0.113.9;proto=https")
		req.Header.Set("X-Real-IP", "203.0.113.9")
		_, body := mustDo(t, req)
		h := mustEchoed(t, body).Header
		if got := strings.Join(h["X-Forwarded-For"], ","); got != "127.0.0.1" {
			t.Errorf("X-Forwarded-For = %q, want 127.0.0.1", got)
		}
		if got := strings.Join(h["X-Forwarded-Proto"], ","); got != "http" {
			t.Errorf("X-Forwarded-Proto = %q, want http", got)
		}
		if got := strings.Join(h["X-Forwarded-Host"], ","); strings.Contains(got, "evil") {
			t.Errorf("X-Forwarded-Host = %q, want the request's Host", got)
		}
		if got := strings.Join(h["Forwarded"], ","); !strings.HasPrefix(got, "for=127.0.0.1;proto=http") {
			t.Errorf("Forwarded = %q, want only the gateway's element", got)
		}
		if _, ok := h["X-Real-Ip"]; ok {
			t.Error("X-Real-IP from an untrusted client reached the upstream")
		}
	})

	t.Run("trusted proxy's chain is extended", func(t *testing.T) {
		tg := mustGateway(t, oneRoute(""), map[string]string{"A": up.URL, "TRUSTED": "127.0.0.0/8"})
		req := mustRequest(t, "GET", tg.srv.URL+"/x", nil)
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("Forwarded", "for=203.0.113.9;proto=https")
		_, body := mustDo(t, req)
		h := mustEchoed(t, body).Header
		if got := strings.Join(h["X-Forwarded-For"], ","); got != "203.0.113.9, 127.0.0.1" {
			t.Errorf("X-Forwarded-For = %q, want 203.0.113.9, 127.0.0.1", got)
		}
		if got := strings.Join(h["X-Forwarded-Proto"], ","); got != "https" {
			t.Errorf("X-Forwarded-Proto = %q, want https", got)
		}
		if got := strings.Join(h["Forwarded"], ","); !strings.HasPrefix(got, "for=203.0.113.9;proto=https, for=127.0.0.1") {
			t.Errorf("Forwarded = %q, want the prior element then the gateway's", got)
		}
	})
}

func TestServerSentEventsStream(t *testing.T) {
	release := make(chan struct{})
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, "data: second\n\n")
	}))
	tg := mustGateway(t, oneRoute(""), map[string]string{"A": up.URL, "TRUSTED": "192.0.2.1"})
	resp, err := http.Get(tg.srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "data: first\n" {
		t.Fatalf("first event = %q, %v; want it before the upstream finishes", line, err)
	}
	close(release)
	rest, _ := io.ReadAll(br)
	if !strings.Contains(string(rest), "data: second") {
		t.Errorf("rest = %q, want the second event", rest)
	}
}

func TestWebSocketPassthrough(t *testing.T) {
	upgrader := websocket.Upgrader{}
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			c.WriteMessage(mt, append([]byte("echo:"), msg...))
		}
	}))
	tg := mustGateway(t, oneRoute(""), map[string]string{"A": up.URL, "TRUSTED": "192.0.2.1"})
	c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(tg.srv.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatalf("dial through gateway: %v (response %v)", err, resp)
	}
	defer c.Close()
	for i := range 3 {
		msg := fmt.Sprintf("hello %d", i)
		if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != "echo:"+msg {
			t.Errorf("got %q, want %q", got, "echo:"+msg)
		}
	}
}

// rawExchange writes raw bytes to the gateway and returns everything it
// answers until it closes the connection or goes quiet.
func rawExchange(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	out, _ := io.ReadAll(c)
	return string(out)
}

func TestMessageFraming(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("ok"))
	}))
	tg := mustGateway(t, oneRoute(""), map[string]string{"A": up.URL, "TRUSTED": "192.0.2.1"})
	addr := tg.srv.Listener.Addr().String()

	cases := []struct {
		name, raw  string
		wantStatus string
		closes     bool
	}{
		{
			name:       "conflicting content lengths are refused",
			raw:        "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
			wantStatus: "HTTP/1.1 400",
		},
		{
			name:       "content length with chunked closes the connection after answering",
			raw:        "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
			wantStatus: "HTTP/1.1 200",
			closes:     true,
		},
		{
			name:       "unknown transfer coding is refused",
			raw:        "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
			wantStatus: "HTTP/1.1 501",
		},
		{
			name:       "space before colon is refused",
			raw:        "GET /a HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello",
			wantStatus: "HTTP/1.1 400",
		},
		{
			name:       "invalid chunk size is refused",
			raw:        "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
			wantStatus: "HTTP/1.1 ",
			closes:     true,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			out := rawExchange(t, addr, c.raw)
			if !strings.HasPrefix(out, c.wantStatus) {
				t.Fatalf("answer = %q, want it to start with %q", out, c.wantStatus)
			}
			if n := strings.Count(out, "HTTP/1.1 "); n != 1 {
				t.Errorf("got %d responses, want exactly 1: %q", n, out)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, s := range seen {
				if strings.Contains(s, "smuggled") {
					t.Errorf("upstream received a smuggled request: %q", s)
				}
			}
		})
	}
}

func TestMalformedUpstreamResponseIs502(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				bufio.NewReader(c).ReadString('\n')
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
			}()
		}
	}()
	tg := mustGateway(t, oneRoute(""), map[string]string{"A": "http://" + ln.Addr().String(), "TRUSTED": "192.0.2.1"})
	resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/x", nil))
	p := problemOf(t, resp, body)
	if resp.StatusCode != 502 || p["type"] != "https://portico.dev/problems/upstream-failed" {
		t.Errorf("got %d %v, want 502 upstream-failed", resp.StatusCode, p["type"])
	}
	if strings.Contains(string(body), "Content-Length") {
		t.Errorf("problem leaks the upstream error: %s", body)
	}
}

func TestUpstreamRequestIDIsNotDuplicated(t *testing.T) {
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", r.Header.Get("X-Request-Id"))
		w.Header().Add("X-Request-Id", "upstream-own")
	}))
	tg := mustGateway(t, oneRoute(""), map[string]string{"A": up.URL, "TRUSTED": "192.0.2.1"})
	req := mustRequest(t, "GET", tg.srv.URL+"/x", nil)
	req.Header.Set("X-Request-Id", "rid-1")
	resp, _ := mustDo(t, req)
	if got := resp.Header.Values("X-Request-Id"); len(got) != 1 || got[0] != "rid-1" {
		t.Errorf("X-Request-Id = %q, want exactly [rid-1]", got)
	}
}
