package h1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawUpstream is a TCP server whose every connection is handled by serve,
// for upstreams that misbehave in ways net/http cannot.
func rawUpstream(tb testing.TB, serve func(c net.Conn, rd *bufio.Reader)) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	tb.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	return ln.Addr().String()
}

// readRequest reads one request's header from rd, the body left unread.
func readRequest(rd *bufio.Reader) (*http.Request, error) {
	return http.ReadRequest(rd)
}

// countingClient is a client whose dials are counted.
func countingClient(opts Options) (*Client, *atomic.Int64) {
	var dials atomic.Int64
	d := &net.Dialer{}
	opts.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return d.DialContext(ctx, network, addr)
	}
	return NewClient(opts), &dials
}

func mustGet(tb testing.TB, c *Client, url string) (*http.Response, string) {
	tb.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := c.RoundTrip(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		tb.Fatalf("GET %s: body: %v", url, err)
	}
	return resp, string(body)
}

func TestClientReusesConnections(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Path", r.URL.RequestURI())
		io.WriteString(w, "hello "+r.Host)
	}))
	defer srv.Close()
	c, dials := countingClient(Options{})
	for i := range 5 {
		resp, body := mustGet(t, c, srv.URL+"/a%2Fb?q=1")
		if resp.StatusCode != 200 || !strings.HasPrefix(body, "hello 127.0.0.1:") || resp.Header.Get("X-Path") != "/a%2Fb?q=1" {
			t.Fatalf("request %d: got %d %q %v", i, resp.StatusCode, body, resp.Header)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("got %d dials for 5 sequential requests, want 1", n)
	}
}

func TestClientRequestBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Length", r.Header.Get("Content-Length"))
		w.Header().Set("X-Coding", strings.Join(r.TransferEncoding, ","))
		w.Write(b)
	}))
	defer srv.Close()
	c, dials := countingClient(Options{})
	large := strings.Repeat("0123456789", 10_000)
	tests := []struct {
		name, body      string
		length          int64
		wantLen, wantTE string
	}{
		{"small", "hello", 5, "5", ""},
		{"large", large, int64(len(large)), "100000", ""},
		{"unknown length", large, -1, "", "chunked"},
		{"empty post", "", 0, "0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tt.body)
			if tt.length < 0 {
				body = io.MultiReader(body) // hides the length
			}
			if tt.length == 0 {
				body = nil
			}
			req, _ := http.NewRequest("POST", srv.URL+"/echo", body)
			req.ContentLength = tt.length
			resp, err := c.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(got) != tt.body {
				t.Fatalf("got %d bytes, %v; want the %d sent", len(got), err, len(tt.body))
			}
			if resp.Header.Get("X-Length") != tt.wantLen || resp.Header.Get("X-Coding") != tt.wantTE {
				t.Errorf("upstream saw Content-Length %q, Transfer-Encoding %q; want %q, %q",
					resp.Header.Get("X-Length"), resp.Header.Get("X-Coding"), tt.wantLen, tt.wantTE)
			}
		})
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("got %d dials, want 1", n)
	}
}

// A request without a body is written and its response awaited in one
// pass through the poller (writeWait); one larger than the socket's
// buffers can take at once is finished the ordinary way, and its response
// read as usual.
func TestClientRequestLargerThanSocketBuffers(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Length", strconv.Itoa(len(r.Header.Get("X-Big"))))
		io.WriteString(w, "ok")
	}))
	srv.Config.MaxHeaderBytes = 64 << 20
	srv.Start()
	defer srv.Close()
	c, dials := countingClient(Options{ResponseHeaderTimeout: time.Minute})
	for _, size := range []int{10, 8 << 20, 10} {
		req, _ := http.NewRequest("GET", srv.URL+"/", nil)
		req.Header.Set("X-Big", strings.Repeat("b", size))
		resp, err := c.RoundTrip(req)
		if err != nil {
			t.Fatalf("%d bytes of header: %v", size, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(body) != "ok" || resp.Header.Get("X-Length") != strconv.Itoa(size) {
			t.Fatalf("%d bytes of header: got %q, %v, upstream saw %s bytes", size, body, err, resp.Header.Get("X-Length"))
		}
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("got %d dials, want 1", n)
	}
}

// Each misbehaving upstream gives a request an error, and its connection
// is not reused: the next request dials again.
func TestClientMisbehavingUpstreams(t *testing.T) {
	huge := "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("x", 2000) + "\r\nContent-Length: 0\r\n\r\n"
	tests := []struct {
		name   string
		reply  string // written after the request, then the connection closes
		inBody bool   // the error comes while reading the body
		want   error  // nil: any *ProtocolError
	}{
		{name: "garbage", reply: "SSH-2.0-OpenSSH_9.6\r\n\r\n"},
		{name: "early close", reply: "", want: io.EOF},
		{name: "close in the header", reply: "HTTP/1.1 200 OK\r\nContent-Len", want: errTruncatedHeader},
		{name: "close mid-body", reply: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", inBody: true, want: io.ErrUnexpectedEOF},
		{name: "close mid-chunk", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\npartial", inBody: true, want: io.ErrUnexpectedEOF},
		{name: "conflicting lengths", reply: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy", want: errConflictLength},
		{name: "length and chunked", reply: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", want: errLengthAndChunked},
		{name: "huge header", reply: huge, want: errHeaderTooLarge},
		{name: "bad chunk", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", inBody: true},
		{name: "unasked upgrade", reply: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", want: errSwitching},
		{name: "endless 1xx", reply: strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 6) + "HTTP/1.1 200 OK\r\n\r\n", want: errTooMany1xx},
	}
	for _, tt := range tests {
		for _, mode := range []string{"RoundTrip", "RoundTripHead"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				addr := rawUpstream(t, func(c net.Conn, rd *bufio.Reader) {
					if _, err := readRequest(rd); err != nil {
						return
					}
					io.WriteString(c, tt.reply)
				})
				c, dials := countingClient(Options{Limits: Limits{MaxHeaderBytes: 1024}})
				req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
				_, body, err := exchange(c, req, mode == "RoundTripHead")
				if tt.inBody {
					if err != nil {
						t.Fatalf("got %v before the body", err)
					}
					_, err = io.ReadAll(body)
					body.Close()
				}
				if err == nil {
					t.Fatal("got no error")
				}
				var pe *ProtocolError
				if tt.want == nil && !errors.As(err, &pe) {
					t.Errorf("got %v, want a *ProtocolError", err)
				}
				if tt.want != nil && !errors.Is(err, tt.want) {
					t.Errorf("got %v, want %v", err, tt.want)
				}
				c.RoundTrip(req) // whatever it gets, on a connection of its own
				if n := dials.Load(); n != 2 {
					t.Errorf("got %d dials, want 2: the broken connection must not be reused", n)
				}
			})
		}
	}
}

// exchange sends req with RoundTrip, or with RoundTripHead when head is
// set, and returns what RoundTripHead gives: the head and the body.
func exchange(c *Client, req *http.Request, head bool) (Head, io.ReadCloser, error) {
	var h Head
	if head {
		body, err := c.RoundTripHead(req, &h)
		return h, body, err
	}
	resp, err := c.RoundTrip(req)
	if err != nil {
		return h, nil, err
	}
	h = Head{StatusCode: resp.StatusCode, ContentLength: resp.ContentLength}
	if ct := resp.Header["Content-Type"]; len(ct) > 0 {
		h.ContentType = ct[0]
	}
	return h, resp.Body, nil
}

// RoundTripHead reads what RoundTrip reads, for every way a response can
// be framed, and reuses connections as RoundTrip does: the same head, body
// and dials on both.
func TestRoundTripHeadMatchesRoundTrip(t *testing.T) {
	replies := map[string]string{
		"/length":      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
		"/chunked":     "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.api+json\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\n[1,\r\n2\r\n2]\r\n0\r\nX-Sum: 3\r\n\r\n",
		"/no-type":     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
		"/two-type":    "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\nhi",
		"/204":         "HTTP/1.1 204 No Content\r\nContent-Type: application/json\r\n\r\n",
		"/304":         "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
		"/early":       "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nContent-Type: text/plain\r\n\r\noops",
		"/close":       "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nby",
		"/eof-body":    "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
		"/http10":      "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"/bad-trailer": "HTTP/1.1 200 OK\r\nTrailer: Content-Length\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	}
	upstream := func() string {
		return rawUpstream(t, func(c net.Conn, rd *bufio.Reader) {
			for {
				req, err := readRequest(rd)
				if err != nil {
					return
				}
				reply := replies[req.URL.Path]
				io.WriteString(c, reply)
				if strings.Contains(reply, "close") || strings.HasPrefix(reply, "HTTP/1.0") {
					return
				}
			}
		})
	}
	for path := range replies {
		for _, method := range []string{"GET", "HEAD"} {
			t.Run(method+path, func(t *testing.T) {
				type result struct {
					head  Head
					body  string
					err   string
					dials int64
				}
				var got [2]result
				for i, head := range []bool{false, true} {
					addr := upstream()
					c, dials := countingClient(Options{})
					for range 2 {
						h, body, err := exchange(c, mustRequest(t, method, "http://"+addr+path, nil), head)
						r := result{head: h}
						if err != nil {
							r.err = err.Error()
						} else {
							b, err := io.ReadAll(body)
							body.Close()
							r.body = string(b)
							if err != nil {
								r.err = err.Error()
							}
						}
						r.dials = dials.Load()
						got[i] = r
					}
				}
				if got[0] != got[1] {
					t.Errorf("RoundTrip: %+v\nRoundTripHead: %+v", got[0], got[1])
				}
			})
		}
	}
}

// keepAliveUpstream answers every request on a connection with body, with
// Content-Length, until the client closes; after answering "after"
// requests it writes extra and closes.
func keepAliveUpstream(tb testing.TB, body string, after int, extra string) string {
	return rawUpstream(tb, func(c net.Conn, rd *bufio.Reader) {
		for i := 1; ; i++ {
			req, err := readRequest(rd)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
			if i == after {
				io.WriteString(c, extra)
				return
			}
		}
	})
}

// A pooled connection the upstream closed after its response: the next
// idempotent request is sent again on a new connection, and succeeds.
func TestClientRetriesStaleConnection(t *testing.T) {
	addr := keepAliveUpstream(t, "ok", 1, "")
	c, dials := countingClient(Options{})
	for i := range 3 {
		if _, body := mustGet(t, c, "http://"+addr+"/"); body != "ok" {
			t.Fatalf("request %d: got %q", i, body)
		}
	}
	if n := dials.Load(); n != 3 {
		t.Errorf("got %d dials, want 3: one per response, as the upstream closes each", n)
	}
	// The close is seen when the connection is taken from the pool, before
	// anything is sent: a POST goes on a new connection too.
	mustGet(t, c, "http://"+addr+"/") // pools a connection the upstream closes
	waitIdleClosed(t, c)
	resp, err := c.RoundTrip(mustRequest(t, "POST", "http://"+addr+"/", strings.NewReader("x")))
	if err != nil {
		t.Fatalf("POST after the upstream closed a pooled connection: %v", err)
	}
	resp.Body.Close()
}

// waitIdleClosed waits until the upstream's close of c's one idle
// connection has reached it: the upstream closes after its answer, which
// the client may read before.
func waitIdleClosed(tb testing.TB, c *Client) {
	tb.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range c.hosts {
		h.mu.Lock()
		idle := slices.Clone(h.idle)
		h.mu.Unlock()
		if len(idle) != 1 {
			tb.Fatalf("got %d idle connections, want 1", len(idle))
		}
		for range 500 { // only against a hang
			if !idle[0].idle.clean() {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		tb.Fatal("the upstream's close never came")
	}
}

// A response the upstream sends on an idle connection, unasked, is never
// taken for the next request's: the connection is dropped when taken.
func TestClientUnsolicitedResponseOnIdleConnection(t *testing.T) {
	sent := make(chan struct{})
	var accepted atomic.Int32
	addr := rawUpstream(t, func(c net.Conn, rd *bufio.Reader) {
		first := accepted.Add(1) == 1
		for i := 0; ; i++ {
			if _, err := readRequest(rd); err != nil {
				return
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nmine")
			if first && i == 0 {
				// After the client pooled the connection: on loopback the
				// bytes are in its socket when the write returns.
				<-sent
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray")
				sent <- struct{}{}
			}
		}
	})
	c, dials := countingClient(Options{})
	if _, body := mustGet(t, c, "http://"+addr+"/"); body != "mine" {
		t.Fatalf("got %q", body)
	}
	sent <- struct{}{}
	<-sent
	if _, body := mustGet(t, c, "http://"+addr+"/"); body != "mine" {
		t.Fatalf("got %q, the stray response", body)
	}
	if n := dials.Load(); n != 2 {
		t.Errorf("got %d dials, want 2", n)
	}
}

func mustRequest(tb testing.TB, method, url string, body io.Reader) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		tb.Fatal(err)
	}
	return req
}

// Bytes after a response's body that nobody asked for: the connection is
// dropped rather than pooled.
func TestClientDropsConnectionWithUnaskedBytes(t *testing.T) {
	addr := rawUpstream(t, func(c net.Conn, rd *bufio.Reader) {
		for {
			if _, err := readRequest(rd); err != nil {
				return
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n")
		}
	})
	c, dials := countingClient(Options{})
	for range 2 {
		if _, body := mustGet(t, c, "http://"+addr+"/"); body != "ok" {
			t.Fatalf("got %q", body)
		}
	}
	if n := dials.Load(); n != 2 {
		t.Errorf("got %d dials, want 2", n)
	}
}

// A body closed before its end closes the connection; one read to its end
// does not.
func TestClientReuseOnlyAfterWholeBody(t *testing.T) {
	addr := keepAliveUpstream(t, strings.Repeat("b", 10_000), 0, "")
	c, dials := countingClient(Options{})
	resp, err := c.RoundTrip(mustRequest(t, "GET", "http://"+addr+"/", nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Read(make([]byte, 10))
	resp.Body.Close()
	if _, err := resp.Body.Read(make([]byte, 1)); err == nil {
		t.Error("got no error reading a closed body")
	}
	mustGet(t, c, "http://"+addr+"/")
	mustGet(t, c, "http://"+addr+"/")
	if n := dials.Load(); n != 2 {
		t.Errorf("got %d dials, want 2", n)
	}
}

func TestClientInformationalResponses(t *testing.T) {
	addr := rawUpstream(t, func(c net.Conn, rd *bufio.Reader) {
		for {
			if _, err := readRequest(rd); err != nil {
				return
			}
			io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"+
				"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	c, dials := countingClient(Options{})
	for range 2 {
		resp, body := mustGet(t, c, "http://"+addr+"/")
		if resp.StatusCode != 200 || body != "ok" || resp.Header["Link"] != nil {
			t.Fatalf("got %d %q %v", resp.StatusCode, body, resp.Header)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("got %d dials, want 1", n)
	}
}

// Informational responses reach the Got1xxResponse hook of the request's
// client trace, as with net/http: httputil.ReverseProxy forwards them so.
func TestClientInformationalTrace(t *testing.T) {
	addr := rawUpstream(t, func(c net.Conn, rd *bufio.Reader) {
		if _, err := readRequest(rd); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	var got []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		got = append(got, strconv.Itoa(code)+" "+h.Get("Link"))
		return nil
	}}
	req := mustRequest(t, "GET", "http://"+addr+"/", nil)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	c := NewClient(Options{})
	resp, err := c.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if strings.Join(got, ",") != "103 </a>" {
		t.Errorf("got %q, want the 103 with its Link", got)
	}
}

// A response to HEAD, a 204 and a 304 have no body: the connection is
// pooled at once.
func TestClientBodylessResponses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(204)
		case "/304":
			w.WriteHeader(304)
		default:
			w.Header().Set("Content-Length", "42")
		}
	}))
	defer srv.Close()
	c, dials := countingClient(Options{})
	for _, tt := range []struct{ method, path string }{{"HEAD", "/"}, {"GET", "/204"}, {"GET", "/304"}, {"HEAD", "/"}} {
		resp, err := c.RoundTrip(mustRequest(t, tt.method, srv.URL+tt.path, nil))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Body != http.NoBody {
			t.Errorf("%s %s: got a body", tt.method, tt.path)
		}
		if tt.method == "HEAD" && resp.ContentLength != 42 {
			t.Errorf("HEAD: got ContentLength %d, want 42", resp.ContentLength)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("got %d dials, want 1", n)
	}
}

// A slow body: the request's context ends the read it blocks in.
func TestClientSlowBodyCanceled(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	addr := rawUpstream(t, func(c net.Conn, rd *bufio.Reader) {
		if _, err := readRequest(rd); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nslow")
		<-release
	})
	c, _ := countingClient(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	req := mustRequest(t, "GET", "http://"+addr+"/", nil).WithContext(ctx)
	resp, err := c.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if n, err := io.ReadFull(resp.Body, buf); n != 4 || err != nil {
		t.Fatalf("got %d, %v", n, err)
	}
	cancel()
	if _, err := resp.Body.Read(buf); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	resp.Body.Close()
}

// An upstream that never answers: the response header timeout ends the
// wait, as a timeout.
func TestClientResponseHeaderTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	addr := rawUpstream(t, func(c net.Conn, rd *bufio.Reader) {
		readRequest(rd)
		<-release
	})
	c, _ := countingClient(Options{ResponseHeaderTimeout: 50 * time.Millisecond})
	_, err := c.RoundTrip(mustRequest(t, "GET", "http://"+addr+"/", nil))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("got %v, want a timeout", err)
	}
}

// A deadline on the request's context bounds the wait as well, and reads
// as the context's error: one past the grace of watchAfter, and one
// within it, which is then the connection's deadline.
func TestClientContextDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	addr := rawUpstream(t, func(c net.Conn, rd *bufio.Reader) {
		readRequest(rd)
		<-release
	})
	c, _ := countingClient(Options{})
	for name, d := range map[string]time.Duration{"after the grace": 50 * time.Millisecond, "within the grace": watchAfter / 5} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			_, err := c.RoundTrip(mustRequest(t, "GET", "http://"+addr+"/", nil).WithContext(ctx))
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v, want context.DeadlineExceeded", err)
			}
		})
	}
}

func TestClientDialError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := NewClient(Options{})
	_, err = c.RoundTrip(mustRequest(t, "GET", "http://"+addr+"/", nil))
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "dial" {
		t.Fatalf("got %v, want a dial *net.OpError", err)
	}
}

// With MaxConnsPerHost 1, a second request waits for the first's
// connection instead of dialing.
func TestClientMaxConnsPerHost(t *testing.T) {
	addr := keepAliveUpstream(t, "ok", 0, "")
	c, dials := countingClient(Options{MaxConnsPerHost: 1})
	first, err := c.RoundTrip(mustRequest(t, "GET", "http://"+addr+"/", nil))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	go func() {
		req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
		resp, err := c.RoundTrip(req)
		if err != nil {
			done <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- string(b)
	}()
	io.ReadAll(first.Body)
	first.Body.Close()
	if got := <-done; got != "ok" {
		t.Fatalf("second request: got %q", got)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("got %d dials, want 1", n)
	}
}

func TestClientRefusesUnsupported(t *testing.T) {
	c := NewClient(Options{})
	for name, req := range map[string]*http.Request{
		"upgrade": func() *http.Request {
			r := mustRequest(t, "GET", "http://127.0.0.1:1/", nil)
			r.Header.Set("Upgrade", "websocket")
			return r
		}(),
		"expect": func() *http.Request {
			r := mustRequest(t, "POST", "http://127.0.0.1:1/", strings.NewReader("x"))
			r.Header.Set("Expect", "100-continue")
			return r
		}(),
		"https": mustRequest(t, "GET", "https://127.0.0.1:1/", nil),
	} {
		if _, err := c.RoundTrip(req); err != ErrUnsupported {
			t.Errorf("%s: got %v, want ErrUnsupported", name, err)
		}
	}
}

// A header field net/http's Transport would refuse is refused before
// anything is written, and the connection taken for it stays in the pool.
func TestClientRefusesInvalidHeader(t *testing.T) {
	addr := keepAliveUpstream(t, "ok", 0, "")
	c, dials := countingClient(Options{})
	for _, tt := range []struct {
		name, key, value string
		want             error
	}{
		{"value", "X-Bad", "a\r\nInjected: 1", errHeaderValue},
		{"name", "X Bad", "a", errHeaderName},
		{"connection", "Connection", "x\r\ny", errHeaderValue},
	} {
		bad := mustRequest(t, "GET", "http://"+addr+"/", nil)
		bad.Header[tt.key] = []string{tt.value}
		if _, err := c.RoundTrip(bad); err != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
		if _, body := mustGet(t, c, "http://"+addr+"/"); body != "ok" {
			t.Fatalf("%s: the next request got %q", tt.name, body)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("got %d dials, want 1: a refused request must leave its connection pooled", n)
	}
}

func TestClientCloseIdleConnections(t *testing.T) {
	addr := keepAliveUpstream(t, "ok", 0, "")
	c, dials := countingClient(Options{})
	mustGet(t, c, "http://"+addr+"/")
	c.CloseIdleConnections()
	mustGet(t, c, "http://"+addr+"/")
	if n := dials.Load(); n != 2 {
		t.Errorf("got %d dials, want 2", n)
	}
}

func TestDialAddr(t *testing.T) {
	for in, want := range map[string]string{
		"http://a.internal":        "a.internal:80",
		"http://a.internal:8080":   "a.internal:8080",
		"http://[::1]":             "[::1]:80",
		"http://[::1]:81":          "[::1]:81",
		"http://127.0.0.1/x/y?z=1": "127.0.0.1:80",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := dialAddr(u); got != want {
			t.Errorf("dialAddr(%s) = %s, want %s", in, got, want)
		}
	}
}

// A body that trickles in after the header is not cut by the response
// header timeout: it bounds the header only.
func TestClientSlowBodyOutlastsHeaderTimeout(t *testing.T) {
	addr := rawUpstream(t, func(c net.Conn, rd *bufio.Reader) {
		if _, err := readRequest(rd); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
		for _, part := range []string{"slow", "ly", " done"} {
			time.Sleep(40 * time.Millisecond)
			io.WriteString(c, strconv.FormatInt(int64(len(part)), 16)+"\r\n"+part+"\r\n")
		}
		io.WriteString(c, "0\r\n\r\n")
	})
	c, _ := countingClient(Options{ResponseHeaderTimeout: 20 * time.Millisecond})
	if _, body := mustGet(t, c, "http://"+addr+"/"); body != "slowly done" {
		t.Fatalf("got %q", body)
	}
}

// A request's context canceled while it waits for the response's header
// ends the wait with context.Canceled, whether it ends within the grace
// the exchange goes without watching the context (see watchAfter) or
// after it, when the context is watched.
func TestClientCanceledAwaitingHeader(t *testing.T) {
	for name, wait := range map[string]time.Duration{
		"within the grace": 0,
		"after the grace":  4 * watchAfter,
	} {
		t.Run(name, func(t *testing.T) {
			addr, received := holdingUpstream(t)
			c, _ := countingClient(Options{ResponseHeaderTimeout: time.Hour})
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() {
				_, err := c.RoundTrip(mustRequest(t, "GET", "http://"+addr+"/", nil).WithContext(ctx))
				errc <- err
			}()
			<-received
			time.Sleep(wait)
			cancel()
			awaitCanceled(t, errc, "waits")
		})
	}
}

// A response that comes after the grace is read as any other, on a
// connection that is reused afterwards.
func TestClientResponseAfterGrace(t *testing.T) {
	addr := rawUpstream(t, func(c net.Conn, rd *bufio.Reader) {
		for {
			if _, err := readRequest(rd); err != nil {
				return
			}
			time.Sleep(3 * watchAfter)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate")
		}
	})
	c, dials := countingClient(Options{ResponseHeaderTimeout: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	for i := range 2 {
		req := mustRequest(t, "GET", "http://"+addr+"/", nil).WithContext(ctx)
		resp, err := c.RoundTrip(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(body) != "late" {
			t.Fatalf("request %d: got %q, %v", i, body, err)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("got %d dials, want 1", n)
	}
}

// A request body the upstream does not read blocks the write; the
// request's context canceled ends it.
func TestClientCanceledWritingBody(t *testing.T) {
	addr, received := holdingUpstream(t)
	c, _ := countingClient(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	body := strings.NewReader(strings.Repeat("x", 16<<20)) // more than any socket buffers
	errc := make(chan error, 1)
	go func() {
		_, err := c.RoundTrip(mustRequest(t, "POST", "http://"+addr+"/", body).WithContext(ctx))
		errc <- err
	}()
	<-received
	cancel()
	awaitCanceled(t, errc, "writes")
}

// A pool whose connections are all gone leaves the client's map, so that
// targets that went away (DNS discovery) are not kept for ever; the next
// request to the same target makes a new pool.
func TestClientForgetsEmptyPools(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	c, dials := countingClient(Options{IdleTimeout: 20 * time.Millisecond})
	pools := func() int {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.hosts)
	}
	mustGet(t, c, srv.URL+"/")
	if n := pools(); n != 1 {
		t.Fatalf("got %d pools with a connection idle, want 1", n)
	}
	for i := 0; pools() != 0; i++ {
		if i == 500 { // only against a hang
			t.Fatalf("the pool is still there after its idle connection expired")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp, body := mustGet(t, c, srv.URL+"/"); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("after the pool left: got %d %q", resp.StatusCode, body)
	}
	if n := dials.Load(); n != 2 {
		t.Errorf("got %d dials, want 2", n)
	}

	// A target that refuses connections leaves no pool behind.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	if _, err := c.RoundTrip(req); err == nil {
		t.Fatalf("a request to a closed port succeeded")
	}
	c.mu.Lock()
	_, kept := c.hosts[addr]
	c.mu.Unlock()
	if kept {
		t.Errorf("the pool of a target that refused the connection is still there")
	}
}

// Requests racing with pools that empty and leave the map (every answer
// closes its connection) all succeed, and the client never holds more
// connections than MaxConnsPerHost: a pool that left takes none.
func TestClientPoolsLeaveUnderLoad(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	var open, most atomic.Int32
	d := &net.Dialer{}
	c := NewClient(Options{MaxConnsPerHost: 2, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		n := open.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		return &closeCounted{Conn: nc, open: &open}, nil
	}})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				// A request left waiting for ever fails instead of hanging.
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/", nil)
				resp, err := c.RoundTrip(req)
				if err != nil {
					t.Errorf("request: %v", err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if m := most.Load(); m > 2 {
		t.Errorf("the client held %d connections at once, want at most MaxConnsPerHost 2", m)
	}
}

// closeCounted counts its Close in open, once.
type closeCounted struct {
	net.Conn
	open *atomic.Int32
	once sync.Once
}

func (c *closeCounted) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}

// holdingUpstream returns the address of an upstream that reads one
// request's header, closes received, and then neither reads nor answers
// until the test ends.
func holdingUpstream(t *testing.T) (string, <-chan struct{}) {
	received, release := make(chan struct{}), make(chan struct{})
	addr := rawUpstream(t, func(c net.Conn, rd *bufio.Reader) {
		if _, err := readRequest(rd); err != nil {
			return
		}
		close(received)
		<-release
	})
	// After rawUpstream's: cleanups run last first, and its waits for
	// this handler.
	t.Cleanup(func() { close(release) })
	return addr, received
}

// awaitCanceled waits for the error of a request whose context was
// canceled while it was doing something (waits, writes): it must be
// context.Canceled, and come.
func awaitCanceled(t *testing.T, errc <-chan error, doing string) {
	t.Helper()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second): // only against a hang
		t.Fatalf("the canceled request still %s", doing)
	}
}

// A response read whole with its head leaves the connection's deadline
// as it was (the exchange's grace); the connection is pooled with it. Taken
// again after that deadline has passed, it is still clean and is reused,
// and a body read after the deadline still reads.
func TestClientReusesConnectionPastItsDeadline(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "small")
	}))
	defer srv.Close()
	c, dials := countingClient(Options{})
	for i := range 3 {
		resp, err := c.RoundTrip(mustRequest(t, "GET", srv.URL, nil))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		time.Sleep(3 * watchAfter)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(body) != "small" {
			t.Fatalf("request %d: body %q, %v", i, body, err)
		}
		time.Sleep(3 * watchAfter)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("got %d dials for 3 requests, want 1: a connection past its last deadline was not reused", n)
	}

	// A body that streams is written with no deadline but the context's,
	// not under the last exchange's, past by now.
	for _, length := range []int64{6, -1} { // a declared length, then chunked
		body := io.MultiReader(strings.NewReader("strea"), strings.NewReader("m")) // not in memory, as the client's is
		req := mustRequest(t, "POST", srv.URL, body)
		req.ContentLength = length
		resp, err := c.RoundTrip(req)
		if err != nil {
			t.Fatalf("POST of a streamed body (length %d) on a connection past its deadline: %v", length, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		time.Sleep(3 * watchAfter)
	}
}
