//go:build !portico_nofastpath

package gateway

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// forwardConfig has a fast_path service behind a route with header rules
// and strip_query, and a catch-all route.
const forwardConfig = `
version: 1
server:
  trusted_proxies: ["${TRUSTED}"]
services:
  a:
    targets: ["${A}"]
    fast_path: true
    retry: {attempts: 1}
routes:
  - name: ruled
    path: /ruled
    service: a
    strip_query: true
    request_headers: {set: {X-Set: v}, add: {X-Add: w}, remove: [X-Remove]}
    response_headers: {set: {X-Resp: r}, remove: [X-Up-Remove]}
  - name: all
    path: /{rest...}
    service: a
`

// countingTransport counts the requests httputil.ReverseProxy sends.
type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int32
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// mustProxyPair starts two gateways on forwardConfig: one whose routes
// forward what they can (the forwarder), counting what still goes through
// httputil.ReverseProxy, and one whose routes always use the ReverseProxy,
// the reference.
func mustProxyPair(t *testing.T, vars map[string]string) (fast, ref *testGateway, viaProxy *atomic.Int32) {
	t.Helper()
	fast, ref, viaProxy = mustGateway(t, forwardConfig, vars), mustGateway(t, forwardConfig, vars), new(atomic.Int32)
	for _, name := range []string{"ruled", "all"} {
		path := "/" + name
		f, _, _ := fast.gw.rt.Load().router.Match("GET", "x", path, new(routerParams))
		r, _, _ := ref.gw.rt.Load().router.Match("GET", "x", path, new(routerParams))
		if f == nil || r == nil || !f.proxy.fast || !r.proxy.fast {
			t.Fatalf("route %s: not a fast path route", name)
		}
		f.proxy.Transport = countingTransport{next: f.proxy.Transport, n: viaProxy}
		r.proxy.fast = false
	}
	return fast, ref, viaProxy
}

// forwardUpstream echoes the request, with hop-by-hop and other fields
// the gateway must remove from its answer; /trailers answers with an
// announced trailer and one not announced, /trailers-announced with the
// announced one only, /empty with 204.
func forwardUpstream() http.Handler {
	echo := echoHandler("a")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Connection", "X-Up-Hop")
		h.Set("X-Up-Hop", "secret")
		h.Set("Keep-Alive", "timeout=5")
		h.Set("X-Up-Remove", "1")
		h.Set("X-Portico-Internal", "never to clients")
		h.Set("X-Request-Id", "upstream-own")
		h.Add("Vary", "Accept")
		h.Add("Vary", "Origin")
		switch r.URL.Path {
		case "/trailers":
			h.Set("Trailer", "X-Sum")
			io.WriteString(w, "body")
			h.Set("X-Sum", "42")
			h.Set(http.TrailerPrefix+"X-Late", "unannounced")
			return
		case "/trailers-announced":
			h.Set("Trailer", "X-Sum")
			io.WriteString(w, "body")
			h.Set("X-Sum", "42")
			return
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
			return
		}
		echo.ServeHTTP(w, r)
	})
}

// The forwarder sends upstream, and answers, exactly what
// httputil.ReverseProxy with the route's hooks does: forwarding fields,
// hop-by-hop and Connection-listed fields both ways, query cleaning,
// strip_query, header rules, User-Agent, bodies, trailers.
func TestForwarderMatchesReverseProxy(t *testing.T) {
	up := mustUpstream(t, forwardUpstream())
	type request struct {
		name, method, target string
		header               map[string]string
		body                 io.Reader
		proxied              bool // served by the ReverseProxy even so
	}
	cases := []request{
		{name: "plain", method: "GET", target: "/x?a=1&b=2"},
		{name: "semicolon and bad escape in query", method: "GET", target: "/x?a=1;b=2&c=%zz"},
		{name: "rules and strip_query", method: "GET", target: "/ruled?q=1", header: map[string]string{"X-Remove": "1", "X-Add": "first"}},
		{name: "Connection-listed fields", method: "GET", target: "/x", header: map[string]string{
			"Connection":       "X-Client-Hop, Keep-Alive, X-Forwarded-For, Forwarded, X-Request-Id",
			"X-Client-Hop":     "1",
			"Keep-Alive":       "timeout=5",
			"X-Forwarded-For":  "203.0.113.9",
			"Forwarded":        "for=203.0.113.9",
			"Proxy-Connection": "keep-alive",
		}},
		{name: "hop-by-hop fields", method: "GET", target: "/x", header: map[string]string{
			"Te": "gzip", "Proxy-Authorization": "Basic Zm9vOmJhcg==", "X-Portico-Identity": "staff",
		}},
		{name: "TE trailers", method: "GET", target: "/x", header: map[string]string{"Te": "trailers"}, proxied: true},
		{name: "no User-Agent", method: "GET", target: "/x", header: map[string]string{"User-Agent": ""}},
		{name: "body with length", method: "POST", target: "/x", body: strings.NewReader("hello")},
		{name: "chunked body", method: "PUT", target: "/x", body: io.MultiReader(strings.NewReader("hel"), strings.NewReader("lo"))},
		{name: "response trailers", method: "GET", target: "/trailers"},
		{name: "announced response trailers", method: "GET", target: "/trailers-announced"},
		{name: "no content", method: "DELETE", target: "/empty"},
		{name: "HEAD", method: "HEAD", target: "/x"},
	}
	for _, trusted := range []string{"127.0.0.0/8", "192.0.2.1"} {
		fast, ref, viaProxy := mustProxyPair(t, map[string]string{"A": up.URL, "TRUSTED": trusted})
		for _, c := range cases {
			t.Run(c.name+" trusting "+trusted, func(t *testing.T) {
				var bodyText string
				if c.body != nil {
					b, _ := io.ReadAll(c.body)
					bodyText = string(b)
				}
				do := func(tg *testGateway) (*http.Response, []byte) {
					var body io.Reader
					if bodyText != "" {
						body = strings.NewReader(bodyText)
						if c.method == "PUT" {
							body = io.MultiReader(body) // unknown length: chunked
						}
					}
					req := mustRequest(t, c.method, tg.srv.URL+c.target, body)
					req.Host = "api.example"
					req.Header.Set("X-Request-Id", "rid-"+strings.ReplaceAll(c.name, " ", "-"))
					for k, v := range c.header {
						req.Header.Set(k, v)
					}
					return mustDo(t, req)
				}
				before := viaProxy.Load()
				gotResp, gotBody := do(fast)
				wantResp, wantBody := do(ref)
				if n := viaProxy.Load() - before; (n > 0) != c.proxied {
					t.Fatalf("%d requests went through the ReverseProxy, want proxied=%v", n, c.proxied)
				}
				if gotResp.StatusCode != wantResp.StatusCode {
					t.Errorf("status = %d, want %d", gotResp.StatusCode, wantResp.StatusCode)
				}
				for _, h := range []http.Header{gotResp.Header, wantResp.Header} {
					delete(h, "Date")
				}
				if !reflect.DeepEqual(gotResp.Header, wantResp.Header) {
					t.Errorf("response header = %v\nwant %v", gotResp.Header, wantResp.Header)
				}
				if !reflect.DeepEqual(gotResp.Trailer, wantResp.Trailer) {
					t.Errorf("trailer = %v, want %v", gotResp.Trailer, wantResp.Trailer)
				}
				if strings.HasPrefix(wantResp.Header.Get("Content-Type"), "application/json") && c.method != "HEAD" {
					got, want := mustEchoed(t, gotBody), mustEchoed(t, wantBody)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("upstream received %+v\nwant %+v", got, want)
					}
					for _, h := range []string{"X-Client-Hop", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "X-Portico-Identity", "Connection"} {
						if v, ok := got.Header[h]; ok {
							t.Errorf("upstream received %s: %q", h, v)
						}
					}
				} else if string(gotBody) != string(wantBody) {
					t.Errorf("body = %q, want %q", gotBody, wantBody)
				}
				gone := []string{"X-Up-Hop", "Keep-Alive", "X-Portico-Internal"}
				if strings.HasPrefix(c.target, "/ruled") {
					gone = append(gone, "X-Up-Remove")
				}
				for _, h := range gone {
					if v := gotResp.Header.Get(h); v != "" {
						t.Errorf("client received %s: %q", h, v)
					}
				}
			})
		}
	}
}

// With an https target, the fast path's service sends through net/http,
// and the forwarder works the same over it: the client's body arrives,
// and a request without User-Agent gets none, not Go's.
func TestForwarderOverNetHTTP(t *testing.T) {
	up := httptest.NewTLSServer(forwardUpstream())
	t.Cleanup(up.Close)
	fast, _, viaProxy := mustProxyPair(t, map[string]string{"A": up.URL, "TRUSTED": "192.0.2.1"})
	fast.gw.rt.Load().services["a"].transport.rt.TLSClientConfig = up.Client().Transport.(*http.Transport).TLSClientConfig
	for _, method := range []string{"GET", "POST"} {
		req := mustRequest(t, method, fast.srv.URL+"/x", strings.NewReader("hello"))
		req.Header.Set("User-Agent", "")
		resp, body := mustDo(t, req)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d: %s", method, resp.StatusCode, body)
		}
		e := mustEchoed(t, body)
		if e.Body != "hello" {
			t.Errorf("%s: upstream received body %q, want hello", method, e.Body)
		}
		if ua, ok := e.Header["User-Agent"]; ok {
			t.Errorf("%s: upstream received User-Agent %q, want none", method, ua)
		}
	}
	if n := viaProxy.Load(); n != 0 {
		t.Errorf("%d requests went through the ReverseProxy, want 0", n)
	}
}

// A 101 that nothing asked for (net/http passes it on; the fast path's
// client refuses it itself) is a 502 problem on both proxies.
func TestForwarderRefusesUnaskedUpgrade(t *testing.T) {
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
	}))
	t.Cleanup(up.Close)
	fast, ref, viaProxy := mustProxyPair(t, map[string]string{"A": up.URL, "TRUSTED": "192.0.2.1"})
	for _, tg := range []*testGateway{fast, ref} {
		tg.gw.rt.Load().services["a"].transport.rt.TLSClientConfig = up.Client().Transport.(*http.Transport).TLSClientConfig
		resp, body := mustDo(t, mustRequest(t, "GET", tg.srv.URL+"/x", nil))
		mustProblem(t, resp, body, http.StatusBadGateway, "upstream-failed")
	}
	if n := viaProxy.Load(); n != 0 {
		t.Errorf("%d requests went through the ReverseProxy, want 0", n)
	}
}

// The header of a streamed response, and each piece of its body, reach
// the client as soon as the upstream sends them: for event streams and
// for bodies of unknown length, as httputil.ReverseProxy does.
func TestForwarderFlushesStreams(t *testing.T) {
	for name, ct := range map[string]string{"event stream": "text/event-stream; charset=utf-8", "unknown length": "application/octet-stream"} {
		t.Run(name, func(t *testing.T) {
			release := make(chan struct{})
			up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", ct)
				if strings.HasPrefix(ct, "text/event-stream") {
					// A known length: only the media type asks for flushing.
					w.Header().Set("Content-Length", "13")
				}
				w.WriteHeader(200)
				w.(http.Flusher).Flush()
				for _, piece := range []string{"first\n", "second\n"} {
					select {
					case <-release:
					case <-r.Context().Done():
						return
					}
					io.WriteString(w, piece)
					w.(http.Flusher).Flush()
				}
			}))
			fast, _, viaProxy := mustProxyPair(t, map[string]string{"A": up.URL, "TRUSTED": "192.0.2.1"})
			// The deadline only keeps a gateway that never flushes from
			// hanging the test.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req := mustRequest(t, "GET", fast.srv.URL+"/stream", nil).WithContext(ctx)
			resp, err := http.DefaultTransport.RoundTrip(req) // returns once the header came
			if err != nil {
				t.Fatalf("no response header before the body: %v", err)
			}
			defer resp.Body.Close()
			br := bufio.NewReader(resp.Body)
			for _, want := range []string{"first\n", "second\n"} {
				release <- struct{}{}
				line, err := br.ReadString('\n')
				if err != nil || line != want {
					t.Fatalf("got %q, %v; want %q before the upstream finishes", line, err, want)
				}
			}
			if n := viaProxy.Load(); n != 0 {
				t.Errorf("%d requests went through the ReverseProxy, want 0", n)
			}
		})
	}
}

// A client that leaves in the middle of a streamed body ends the upstream
// exchange: the forwarder aborts the response and closes the upstream
// connection, and the access log records the failure the ReverseProxy's
// would.
func TestForwarderClientGoneMidBody(t *testing.T) {
	upstreamDone := make(chan error, 1)
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1073741824") // more than any socket buffers
		chunk := []byte(strings.Repeat("x", 32<<10))
		for {
			if _, err := w.Write(chunk); err != nil {
				upstreamDone <- err
				return
			}
		}
	}))
	fast, ref, viaProxy := mustProxyPair(t, map[string]string{"A": up.URL, "TRUSTED": "192.0.2.1"})
	leave := func(tg *testGateway) map[string]any {
		t.Helper()
		c, err := net.Dial("tcp", tg.srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second)) // only against a hang
		io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(resp.Body, make([]byte, 64<<10)); err != nil {
			t.Fatalf("first bytes of the body: %v", err)
		}
		c.Close()
		select {
		case <-upstreamDone:
		case <-time.After(10 * time.Second): // only against a hang
			t.Fatal("the upstream kept sending after the client left")
		}
		var recs []map[string]any
		for range 1000 { // the log line follows the upstream's end closely
			if recs = tg.logs.records(t, "request"); len(recs) > 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if len(recs) != 1 {
			t.Fatalf("access log = %v, want one line", recs)
		}
		return recs[0]
	}
	got, want := leave(fast), leave(ref)
	if n := viaProxy.Load(); n != 0 {
		t.Errorf("%d requests went through the ReverseProxy, want 0", n)
	}
	if got["failure"] == nil || got["failure"] != want["failure"] || got["status"] != want["status"] {
		t.Errorf("access log: failure %v, status %v; want %v, %v", got["failure"], got["status"], want["failure"], want["status"])
	}
}
