package frontdoor

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testServer is a frontdoor Server on 127.0.0.1 with its net/http
// fallback, logging into a buffer.
type testServer struct {
	t      *testing.T
	s      *Server
	srv    *http.Server
	addr   string
	log    *syncBuffer
	served chan struct{} // closed when Serve returned
	err    error         // what Serve returned, once served is closed
}

// syncBuffer is a bytes.Buffer for a logger written by the server's
// goroutines and read by the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTestServer(t *testing.T, h http.Handler, configure ...func(*http.Server)) *testServer {
	t.Helper()
	logBuf := &syncBuffer{}
	srv := &http.Server{Handler: h, ErrorLog: log.New(logBuf, "", 0)}
	for _, f := range configure {
		f(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, s: New(srv), srv: srv, addr: ln.Addr().String(), log: logBuf, served: make(chan struct{})}
	go func() {
		ts.err = ts.s.Serve(ln)
		close(ts.served)
	}()
	t.Cleanup(func() {
		ts.s.Close()
		if err := ts.serveErr(5 * time.Second); !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
		}
	})
	return ts
}

// serveErr waits for Serve to return, at most d.
func (ts *testServer) serveErr(d time.Duration) error {
	select {
	case <-ts.served:
		return ts.err
	case <-time.After(d):
		return errors.New("Serve did not return")
	}
}

// clientConn is a raw client connection with a reader over it.
type clientConn struct {
	t *testing.T
	net.Conn
	br *bufio.Reader
}

func (ts *testServer) dial() *clientConn {
	ts.t.Helper()
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		ts.t.Fatal(err)
	}
	// Nothing in these tests takes this long: a hang fails, not blocks.
	c.SetDeadline(time.Now().Add(10 * time.Second))
	ts.t.Cleanup(func() { c.Close() })
	return &clientConn{t: ts.t, Conn: c, br: bufio.NewReader(c)}
}

func (c *clientConn) write(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.Conn, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// response is one response read whole, with its body.
type testResponse struct {
	*http.Response
	body string
}

func (c *clientConn) read(method string) testResponse {
	c.t.Helper()
	r, err := c.tryRead(method)
	if err != nil {
		c.t.Fatalf("reading the response to %s: %v", method, err)
	}
	return r
}

func (c *clientConn) tryRead(method string) (testResponse, error) {
	res, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		return testResponse{}, err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return testResponse{}, err
	}
	return testResponse{res, string(b)}, nil
}

// expectClosed reads until the server closes the connection and reports
// how long that took; bytes read meanwhile fail the test.
func (c *clientConn) expectClosed() time.Duration {
	c.t.Helper()
	start := time.Now()
	b, err := io.ReadAll(c.br)
	if len(b) > 0 {
		c.t.Errorf("read %q before the close", b)
	}
	if err != nil && !isConnReset(err) {
		c.t.Errorf("waiting for the close: %v", err)
	}
	return time.Since(start)
}

func isConnReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}

func get(path string) string { return "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n" }

// via is what served the request: the front door or net/http.
func via(w http.ResponseWriter) string {
	if _, ok := w.(*response); ok {
		return "frontdoor"
	}
	return "net/http"
}

// echo answers with the request's method, path and body, and says what
// served it.
func echo(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("X-Via", via(w))
	w.Header().Set("X-Remote", r.RemoteAddr)
	fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.RequestURI(), b)
}

func checkResponse(t *testing.T, r testResponse, status int, body, via string) {
	t.Helper()
	if r.StatusCode != status || r.body != body || (via != "" && r.Header.Get("X-Via") != via) {
		t.Errorf("got %d %q via %q, want %d %q via %q", r.StatusCode, r.body, r.Header.Get("X-Via"), status, body, via)
	}
}

func TestConnKeepAlive(t *testing.T) {
	ts := newTestServer(t, http.HandlerFunc(echo))
	c := ts.dial()
	for i := range 5 {
		path := "/k/" + strconv.Itoa(i) + "?q=" + strconv.Itoa(i)
		c.write(get(path))
		r := c.read("GET")
		checkResponse(t, r, 200, "GET "+path+" ", "frontdoor")
		if r.Close {
			t.Fatalf("response %d closes the connection", i)
		}
		if got := r.Header.Get("X-Remote"); got != c.LocalAddr().String() {
			t.Errorf("RemoteAddr %q, want the client's %q", got, c.LocalAddr())
		}
		if r.ContentLength != int64(len(r.body)) {
			t.Errorf("Content-Length %d for a body of %d", r.ContentLength, len(r.body))
		}
	}
	// HEAD, and a client asking to close.
	c.write("HEAD /h HTTP/1.1\r\nHost: test\r\n\r\n")
	r := c.read("HEAD")
	checkResponse(t, r, 200, "", "frontdoor")
	c.write("GET /last HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
	r = c.read("GET")
	checkResponse(t, r, 200, "GET /last ", "frontdoor")
	if !r.Close {
		t.Error("the response to Connection: close does not close")
	}
	c.expectClosed()
}

func TestConnPipelined(t *testing.T) {
	ts := newTestServer(t, http.HandlerFunc(echo))
	c := ts.dial()
	c.write(get("/a") + "POST /b HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nxyz" + get("/c"))
	checkResponse(t, c.read("GET"), 200, "GET /a ", "frontdoor")
	checkResponse(t, c.read("POST"), 200, "POST /b xyz", "frontdoor")
	checkResponse(t, c.read("GET"), 200, "GET /c ", "frontdoor")
	// A plain request, then one for net/http, in one write.
	c.write(get("/d") + "GET /e HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" + get("/f"))
	checkResponse(t, c.read("GET"), 200, "GET /d ", "frontdoor")
	checkResponse(t, c.read("GET"), 200, "GET /e abc", "net/http")
	checkResponse(t, c.read("GET"), 200, "GET /f ", "net/http")
}

func TestConnSplitHead(t *testing.T) {
	ts := newTestServer(t, http.HandlerFunc(echo), func(s *http.Server) {
		s.ReadHeaderTimeout = 2 * time.Second
	})
	c := ts.dial()
	for range 2 {
		for _, part := range []string{"GE", "T /split HTTP/1.1\r", "\nHost: te", "st\r\n\r", "\n"} {
			c.write(part)
			time.Sleep(5 * time.Millisecond) // separate reads, most likely
		}
		checkResponse(t, c.read("GET"), 200, "GET /split ", "frontdoor")
	}
	// A head whose end comes with the next request's start.
	c.write("GET /x HTTP/1.1\r\nHost: test\r\n")
	time.Sleep(5 * time.Millisecond)
	c.write("\r\nGET /y HTTP/1.1\r\n")
	time.Sleep(5 * time.Millisecond)
	c.write("Host: test\r\n\r\n")
	checkResponse(t, c.read("GET"), 200, "GET /x ", "frontdoor")
	checkResponse(t, c.read("GET"), 200, "GET /y ", "frontdoor")
}

func TestConnSlowloris(t *testing.T) {
	const timeout = 150 * time.Millisecond
	ts := newTestServer(t, http.HandlerFunc(echo), func(s *http.Server) {
		s.ReadHeaderTimeout = timeout
	})
	// A first request's partial head.
	c := ts.dial()
	c.write("GET / HTTP/1.1\r\nHost: te")
	if d := c.expectClosed(); d < timeout/2 || d > 5*time.Second {
		t.Errorf("first head: closed after %v, ReadHeaderTimeout is %v", d, timeout)
	}
	// A kept-alive connection's next head.
	c = ts.dial()
	c.write(get("/1"))
	c.read("GET")
	c.write("GET /2 HTTP/1.1\r\n")
	if d := c.expectClosed(); d < timeout/2 || d > 5*time.Second {
		t.Errorf("second head: closed after %v, ReadHeaderTimeout is %v", d, timeout)
	}
	// Bytes trickling in do not extend the deadline.
	c = ts.dial()
	start := time.Now()
	for _, b := range []byte("GET / HTTP/1.1\r\nHost: test\r\nX: y\r\n") {
		if _, err := c.Write([]byte{b}); err != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
		if time.Since(start) > 3*timeout {
			break
		}
	}
	c.expectClosed()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("trickled head: closed after %v, ReadHeaderTimeout is %v", d, timeout)
	}
}

func TestConnReadTimeoutHead(t *testing.T) {
	// Without ReadHeaderTimeout, ReadTimeout bounds the head.
	const timeout = 150 * time.Millisecond
	ts := newTestServer(t, http.HandlerFunc(echo), func(s *http.Server) {
		s.ReadTimeout = timeout
	})
	c := ts.dial()
	c.write("GET / HTTP/1.1\r\n")
	if d := c.expectClosed(); d < timeout/2 || d > 5*time.Second {
		t.Errorf("closed after %v, ReadTimeout is %v", d, timeout)
	}
}

func TestConnIdleTimeout(t *testing.T) {
	const idle = 150 * time.Millisecond
	ts := newTestServer(t, http.HandlerFunc(echo), func(s *http.Server) {
		s.IdleTimeout = idle
	})
	c := ts.dial()
	c.write(get("/"))
	c.read("GET")
	if d := c.expectClosed(); d < idle/2 || d > 5*time.Second {
		t.Errorf("idle connection closed after %v, IdleTimeout is %v", d, idle)
	}

	// IdleTimeout ends with a request's first bytes: without a header
	// timeout, the rest of the head may take longer, as with net/http.
	c = ts.dial()
	c.write(get("/1"))
	c.read("GET")
	c.write("GET /2 HTTP/1.1\r\n")
	time.Sleep(2 * idle)
	c.write("Host: test\r\n\r\n")
	checkResponse(t, c.read("GET"), 200, "GET /2 ", "frontdoor")
}

func TestConnIdleTimeoutAfterWatch(t *testing.T) {
	// A request long enough to be watched, then an idle wait.
	const idle = 150 * time.Millisecond
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			watchedConn(t, w)
		}
		echo(w, r)
	}), func(s *http.Server) {
		s.IdleTimeout = idle
	})
	c := ts.dial()
	c.write(get("/slow"))
	checkResponse(t, c.read("GET"), 200, "GET /slow ", "frontdoor")
	c.write("GET /next HTTP/1.1\r\n")
	time.Sleep(2 * idle)
	c.write("Host: test\r\n\r\n")
	checkResponse(t, c.read("GET"), 200, "GET /next ", "frontdoor")
	if d := c.expectClosed(); d < idle/2 || d > 5*time.Second {
		t.Errorf("idle connection closed after %v, IdleTimeout is %v", d, idle)
	}
}

func TestConnFallback(t *testing.T) {
	big := strings.Repeat("b", 5000)
	for _, tc := range []struct {
		name    string
		request string
		method  string
		status  int
		body    string
		closes  bool
	}{
		{"big head", "GET /big HTTP/1.1\r\nHost: test\r\nX-Big: " + big + "\r\n\r\n", "GET", 200, "GET /big ", false},
		{"big head with body", "POST /big HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nX-Big: " + big + "\r\n\r\nhello", "POST", 200, "POST /big hello", false},
		{"HTTP/1.0", "GET /old HTTP/1.0\r\n\r\n", "GET", 200, "GET /old ", true},
		{"HTTP/1.0 keep-alive", "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET", 200, "GET /old ", false},
		{"chunked", "POST /chunked HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "POST", 200, "POST /chunked hello world", false},
		{"absolute form", "GET http://test/abs?x=1 HTTP/1.1\r\nHost: test\r\n\r\n", "GET", 200, "GET /abs?x=1 ", false},
		{"no Host", "GET / HTTP/1.1\r\n\r\n", "GET", 400, "400 Bad Request: missing required Host header", true},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "GET", 400, "400 Bad Request", true},
		{"bad field", "GET / HTTP/1.1\r\nHost: test\r\nBad Field\r\n\r\n", "GET", 400, "400 Bad Request", true},
		{"NUL in value", "GET / HTTP/1.1\r\nHost: test\r\nX: a\x00b\r\n\r\n", "GET", 400, "400 Bad Request", true},
		{"bad method", "G(T / HTTP/1.1\r\nHost: test\r\n\r\n", "GET", 400, "400 Bad Request", true},
		{"unknown TE", "POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip\r\n\r\n", "POST", 501, "Unsupported transfer encoding", true},
		{"bare LF", "GET /lf HTTP/1.1\nHost: test\n\n", "GET", 200, "GET /lf ", false},
		{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: test\r\n\r\n", "GET", 505, "505 HTTP Version Not Supported: unsupported protocol version", true},
	} {
		for _, first := range []bool{false, true} {
			name := tc.name
			if first {
				name += " after a plain request"
			}
			t.Run(name, func(t *testing.T) {
				ts := newTestServer(t, http.HandlerFunc(echo))
				c := ts.dial()
				if first {
					c.write(get("/first"))
					checkResponse(t, c.read("GET"), 200, "GET /first ", "frontdoor")
				}
				c.write(tc.request)
				r := c.read(tc.method)
				wantVia := "net/http"
				if tc.status != 200 {
					wantVia = ""
				}
				checkResponse(t, r, tc.status, tc.body, wantVia)
				if tc.closes {
					c.expectClosed()
					return
				}
				if r.Close {
					t.Fatal("the response closes the connection")
				}
				// net/http serves the connection from then on.
				c.write(get("/after"))
				checkResponse(t, c.read("GET"), 200, "GET /after ", "net/http")
			})
		}
	}
}

func TestConnExpectContinue(t *testing.T) {
	ts := newTestServer(t, http.HandlerFunc(echo))
	for _, first := range []bool{false, true} {
		c := ts.dial()
		if first {
			c.write(get("/first"))
			c.read("GET")
		}
		c.write("POST /up HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
		r := c.read("POST")
		if r.StatusCode != http.StatusContinue {
			t.Fatalf("got %d before the body, want 100", r.StatusCode)
		}
		c.write("hello")
		checkResponse(t, c.read("POST"), 200, "POST /up hello", "net/http")
	}
}

func TestConnUpgradeHijack(t *testing.T) {
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			echo(w, r)
			return
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\nX-Via: " + via(w) + "\r\n\r\n")
		rw.Flush()
		for {
			line, err := rw.ReadString('\n')
			if err != nil {
				return
			}
			rw.WriteString("echo: " + line)
			rw.Flush()
		}
	}))
	for _, first := range []bool{false, true} {
		c := ts.dial()
		if first {
			c.write(get("/first"))
			checkResponse(t, c.read("GET"), 200, "GET /first ", "frontdoor")
		}
		// The first message comes with the head: it must reach the handler.
		c.write("GET /ws HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nhello\n")
		r, err := http.ReadResponse(c.br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.StatusCode != 101 || r.Header.Get("X-Via") != "net/http" {
			t.Fatalf("got %d via %q, want 101 via net/http", r.StatusCode, r.Header.Get("X-Via"))
		}
		for _, msg := range []string{"hello\n", "world\n"} {
			if msg != "hello\n" {
				c.write(msg)
			}
			line, err := c.br.ReadString('\n')
			if err != nil || line != "echo: "+msg {
				t.Fatalf("got %q, %v; want %q", line, err, "echo: "+msg)
			}
		}
		c.Close()
	}
}

func TestConnHijackPlain(t *testing.T) {
	hijacked := make(chan error, 1)
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hijack" {
			echo(w, r)
			return
		}
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			hijacked <- err
			return
		}
		defer conn.Close()
		if _, _, err := w.(http.Hijacker).Hijack(); !errors.Is(err, http.ErrHijacked) {
			t.Errorf("second Hijack: %v, want http.ErrHijacked", err)
		}
		if _, err := w.Write([]byte("x")); !errors.Is(err, http.ErrHijacked) {
			t.Errorf("Write after Hijack: %v, want http.ErrHijacked", err)
		}
		// The bytes the client sent after the head come first.
		line, err := rw.ReadString('\n')
		if err != nil {
			hijacked <- err
			return
		}
		rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(line)) + "\r\nConnection: close\r\n\r\n" + line)
		hijacked <- rw.Flush()
	}))
	c := ts.dial()
	c.write(get("/first"))
	checkResponse(t, c.read("GET"), 200, "GET /first ", "frontdoor")
	c.write(get("/hijack") + "raw bytes\n")
	r := c.read("GET")
	if err := <-hijacked; err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != 200 || r.body != "raw bytes\n" {
		t.Errorf("got %d %q", r.StatusCode, r.body)
	}
	c.expectClosed()
	// The server goes on serving.
	c = ts.dial()
	c.write(get("/after"))
	checkResponse(t, c.read("GET"), 200, "GET /after ", "frontdoor")
}

func TestConnHijackWatched(t *testing.T) {
	// Hijack while the watch reads the connection: the bytes the watch
	// read are the hijacker's.
	started := make(chan struct{})
	proceed := make(chan struct{})
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-proceed
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		line, _ := rw.ReadString('\n')
		rw.WriteString("got " + line)
		rw.Flush()
	}))
	c := ts.dial()
	c.write(get("/"))
	<-started
	end := waitWatched(t, ts.s)
	c.write("after the head\n")
	<-end // the watch read a byte and stopped
	close(proceed)
	line, err := c.br.ReadString('\n')
	if err != nil || line != "got after the head\n" {
		t.Errorf("got %q, %v", line, err)
	}
}

// watchedConn waits, in a handler, until the front door watches the
// handler's connection, and returns the watch's end.
func watchedConn(t *testing.T, w http.ResponseWriter) <-chan struct{} {
	c := w.(*response).c
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		st, end := c.state, c.watchEnd
		c.mu.Unlock()
		if st == stateWatched && end != nil {
			return end
		}
		time.Sleep(time.Millisecond)
	}
	t.Error("the connection was not watched")
	return nil
}

// waitWatched waits until the server's one connection is watched, and
// returns the watch's end.
func waitWatched(t *testing.T, s *Server) <-chan struct{} {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		for c := range s.conns {
			c.mu.Lock()
			st, end := c.state, c.watchEnd
			c.mu.Unlock()
			if st == stateWatched && end != nil {
				s.mu.Unlock()
				return end
			}
		}
		s.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the connection was not watched")
	return nil
}

func TestConnRequestBody(t *testing.T) {
	ts := newTestServer(t, http.HandlerFunc(echo))
	c := ts.dial()
	c.write("POST /b HTTP/1.1\r\nHost: test\r\nContent-Length: 11\r\n\r\nhello world")
	checkResponse(t, c.read("POST"), 200, "POST /b hello world", "frontdoor")

	// A body arriving slowly.
	c.write("PUT /slow HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n")
	for _, part := range []string{"01", "234", "5678", "9"} {
		time.Sleep(10 * time.Millisecond)
		c.write(part)
	}
	checkResponse(t, c.read("PUT"), 200, "PUT /slow 0123456789", "frontdoor")

	// A body bigger than the read buffer.
	body := strings.Repeat("0123456789abcdef", 1000)
	c.write("POST /big HTTP/1.1\r\nHost: test\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	checkResponse(t, c.read("POST"), 200, "POST /big "+body, "frontdoor")

	// Content-Length: 0 and a GET with a body.
	c.write("POST /empty HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n")
	checkResponse(t, c.read("POST"), 200, "POST /empty ", "frontdoor")
	c.write("GET /get HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc")
	checkResponse(t, c.read("GET"), 200, "GET /get abc", "frontdoor")
}

func TestConnUnreadBody(t *testing.T) {
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/half":
			b := make([]byte, 3)
			io.ReadFull(r.Body, b)
		case "/close", "/big-close":
			if err := r.Body.Close(); err != nil {
				t.Errorf("Body.Close: %v", err)
			}
			if n, err := r.Body.Read(make([]byte, 1)); n != 0 || !errors.Is(err, http.ErrBodyReadAfterClose) {
				t.Errorf("Read after Close: %d, %v", n, err)
			}
		}
		w.Header().Set("X-Via", via(w))
		io.WriteString(w, "ok "+r.URL.Path)
	}))
	// A small body left unread is dropped: the connection goes on.
	c := ts.dial()
	c.write("POST /ignore HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n0123456789")
	checkResponse(t, c.read("POST"), 200, "ok /ignore", "frontdoor")
	c.write("POST /half HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n0123456789")
	checkResponse(t, c.read("POST"), 200, "ok /half", "frontdoor")
	// Closed by the handler unread: dropped as well, as net/http.
	c.write("POST /close HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n0123456789")
	checkResponse(t, c.read("POST"), 200, "ok /close", "frontdoor")
	c.write(get("/next"))
	r := c.read("GET")
	checkResponse(t, r, 200, "ok /next", "frontdoor")
	if r.Close {
		t.Error("the connection closes after bodies left unread")
	}

	// A big one closes the connection, and the client gets the response
	// although it is still sending: the server reads on a while before
	// closing, so that the connection is not reset under the client.
	for _, path := range []string{"/big", "/big-close"} {
		c = ts.dial()
		const size = 1 << 20
		c.write("POST " + path + " HTTP/1.1\r\nHost: test\r\nContent-Length: " + strconv.Itoa(size) + "\r\n\r\n")
		sent := make(chan error, 1)
		go func() {
			chunk := make([]byte, 64<<10)
			for n := 0; n < size; n += len(chunk) {
				if _, err := c.Conn.Write(chunk); err != nil {
					sent <- err
					return
				}
			}
			sent <- nil
		}()
		if err := <-sent; err != nil {
			t.Errorf("%s: sending the body: %v", path, err)
		}
		r := c.read("POST")
		checkResponse(t, r, 200, "ok "+path, "frontdoor")
		if !r.Close {
			t.Errorf("%s: the response leaves the connection open with 4 MiB unread", path)
		}
		c.Close()
	}
}

func TestConnClientGone(t *testing.T) {
	started := make(chan struct{}, 1)
	ended := make(chan error, 1)
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		started <- struct{}{}
		select {
		case <-r.Context().Done():
			ended <- nil
		case <-time.After(5 * time.Second):
			ended <- errors.New("the request's context did not end")
		}
	}))
	for _, req := range []string{
		get("/wait"),
		"POST /wait HTTP/1.1\r\nHost: test\r\nContent-Length: 4\r\n\r\nbody",
	} {
		c := ts.dial()
		c.write(req)
		<-started
		start := time.Now()
		c.Close()
		if err := <-ended; err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the handler ended %v after the client left", d)
		}
	}
	// The body sent in parts: the watch starts once it is read.
	c := ts.dial()
	c.write("POST /wait HTTP/1.1\r\nHost: test\r\nContent-Length: 8\r\n\r\nbo")
	time.Sleep(20 * time.Millisecond)
	c.write("dy..")
	time.Sleep(20 * time.Millisecond)
	c.write("..")
	<-started
	c.Close()
	if err := <-ended; err != nil {
		t.Fatal(err)
	}
}

func TestConnPipelinedWhileSlow(t *testing.T) {
	started := make(chan struct{}, 2)
	proceed := make(chan struct{})
	ctxErr := make(chan error, 2)
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			started <- struct{}{}
			select {
			case <-proceed:
			case <-r.Context().Done():
			}
			ctxErr <- r.Context().Err()
		}
		echo(w, r)
	}))
	c := ts.dial()
	c.write(get("/slow"))
	<-started
	end := waitWatched(t, ts.s)
	c.write(get("/next"))
	select {
	case <-end: // the watch read the next request's first byte
	case <-time.After(5 * time.Second):
		t.Fatal("the watch did not end on the next request")
	}
	close(proceed)
	if err := <-ctxErr; err != nil {
		t.Errorf("the slow request's context ended: %v", err)
	}
	checkResponse(t, c.read("GET"), 200, "GET /slow ", "frontdoor")
	checkResponse(t, c.read("GET"), 200, "GET /next ", "frontdoor")
	// The connection goes on.
	c.write(get("/third"))
	checkResponse(t, c.read("GET"), 200, "GET /third ", "frontdoor")
}

func TestConnPanic(t *testing.T) {
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/panic":
			panic("boom in the handler")
		case "/abort":
			io.WriteString(w, "partial")
			panic(http.ErrAbortHandler)
		}
		echo(w, r)
	}))
	c := ts.dial()
	c.write(get("/first"))
	c.read("GET")
	c.write(get("/panic"))
	c.expectClosed()
	logged := ts.log.String()
	for _, want := range []string{"http: panic serving " + c.LocalAddr().String(), "boom in the handler", "goroutine "} {
		if !strings.Contains(logged, want) {
			t.Errorf("the log lacks %q:\n%s", want, logged)
		}
	}
	c = ts.dial()
	c.write(get("/abort"))
	c.expectClosed()
	if n := strings.Count(ts.log.String(), "panic serving"); n != 1 {
		t.Errorf("%d panics logged, want 1 (ErrAbortHandler is not logged)", n)
	}
	c = ts.dial()
	c.write(get("/after"))
	checkResponse(t, c.read("GET"), 200, "GET /after ", "frontdoor")
}

type ctxKey string

func TestConnContext(t *testing.T) {
	type seen struct {
		srv, local, base, conn any
		remote                 string
	}
	got := make(chan seen, 1)
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		got <- seen{
			srv:    ctx.Value(http.ServerContextKey),
			local:  ctx.Value(http.LocalAddrContextKey),
			base:   ctx.Value(ctxKey("base")),
			conn:   ctx.Value(ctxKey("conn")),
			remote: r.RemoteAddr,
		}
		echo(w, r)
	}), func(s *http.Server) {
		s.BaseContext = func(ln net.Listener) context.Context {
			return context.WithValue(context.Background(), ctxKey("base"), "base:"+ln.Addr().String())
		}
		s.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, ctxKey("conn"), "conn:"+c.RemoteAddr().String())
		}
	})
	for _, req := range []string{get("/plain"), "GET /old HTTP/1.0\r\n\r\n"} {
		c := ts.dial()
		c.write(req)
		c.read("GET")
		s := <-got
		if s.srv != ts.srv {
			t.Errorf("%q: ServerContextKey is %v", req, s.srv)
		}
		if a, ok := s.local.(net.Addr); !ok || a.String() != c.RemoteAddr().String() {
			t.Errorf("%q: LocalAddrContextKey is %v, want %v", req, s.local, c.RemoteAddr())
		}
		if s.base != "base:"+ts.addr {
			t.Errorf("%q: BaseContext value %v", req, s.base)
		}
		if s.conn != "conn:"+c.LocalAddr().String() {
			t.Errorf("%q: ConnContext value %v, want conn:%v", req, s.conn, c.LocalAddr())
		}
		if s.remote != c.LocalAddr().String() {
			t.Errorf("%q: RemoteAddr %q, want %q", req, s.remote, c.LocalAddr())
		}
	}
}

func TestConnShutdown(t *testing.T) {
	started := make(chan struct{})
	proceed := make(chan struct{})
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-proceed
		}
		echo(w, r)
	}))
	idle := ts.dial()
	idle.write(get("/idle"))
	idle.read("GET")
	busy := ts.dial()
	busy.write(get("/slow"))
	<-started

	shut := make(chan error, 1)
	go func() { shut <- ts.s.Shutdown(context.Background()) }()
	idle.expectClosed()
	if err := ts.serveErr(5 * time.Second); !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve returned %v after Shutdown", err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	case <-time.After(20 * time.Millisecond):
	}
	if _, err := net.Dial("tcp", ts.addr); err == nil {
		t.Error("the listener still accepts")
	}
	close(proceed)
	r := busy.read("GET")
	checkResponse(t, r, 200, "GET /slow ", "frontdoor")
	if !r.Close { // ReadResponse takes Connection: close out of the map
		t.Errorf("the in-flight response lacks Connection: close: %q", r.Header)
	}
	busy.expectClosed()
	select {
	case err := <-shut:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return")
	}
}

func TestConnShutdownHandedOff(t *testing.T) {
	// A connection net/http serves is shut down by net/http's Shutdown.
	started := make(chan struct{})
	proceed := make(chan struct{})
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-proceed
		}
		echo(w, r)
	}))
	c := ts.dial()
	c.write("GET /slow HTTP/1.0\r\n\r\n")
	<-started
	shut := make(chan error, 1)
	go func() { shut <- ts.s.Shutdown(context.Background()) }()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(proceed)
	checkResponse(t, c.read("GET"), 200, "GET /slow ", "net/http")
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

func TestConnShutdownContext(t *testing.T) {
	started := make(chan struct{})
	proceed := make(chan struct{})
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-proceed
		echo(w, r)
	}))
	defer close(proceed)
	c := ts.dial()
	c.write(get("/slow"))
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := ts.s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown returned %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Shutdown took %v with a context of 100ms", d)
	}
}

func TestConnClose(t *testing.T) {
	started := make(chan struct{})
	handlerCtx := make(chan error, 1)
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			select {
			case <-r.Context().Done():
				handlerCtx <- nil
			case <-time.After(5 * time.Second):
				handlerCtx <- errors.New("the context did not end")
			}
			return
		}
		echo(w, r)
	}))
	idle := ts.dial()
	idle.write(get("/idle"))
	idle.read("GET")
	handed := ts.dial()
	handed.write("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	handed.read("GET")
	busy := ts.dial()
	busy.write(get("/slow"))
	<-started
	fresh := ts.dial()

	if err := ts.s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := ts.serveErr(5 * time.Second); !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve returned %v after Close", err)
	}
	for _, c := range []*clientConn{idle, handed, busy, fresh} {
		c.expectClosed()
	}
	if err := <-handlerCtx; err != nil {
		t.Error(err)
	}
}

func TestConnWriteTimeout(t *testing.T) {
	const timeout = 100 * time.Millisecond
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/late" {
			time.Sleep(2 * timeout)
		}
		echo(w, r)
	}), func(s *http.Server) {
		s.WriteTimeout = timeout
	})
	c := ts.dial()
	c.write(get("/1"))
	checkResponse(t, c.read("GET"), 200, "GET /1 ", "frontdoor")
	// The deadline is each request's own.
	time.Sleep(2 * timeout)
	c.write(get("/2"))
	checkResponse(t, c.read("GET"), 200, "GET /2 ", "frontdoor")
	// A response after it is not written.
	c.write(get("/late"))
	if r, err := c.tryRead("GET"); err == nil {
		t.Errorf("got %d %q after WriteTimeout", r.StatusCode, r.body)
	}
}

func TestConnReadTimeoutBody(t *testing.T) {
	const timeout = 150 * time.Millisecond
	readErr := make(chan error, 1)
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		readErr <- err
		if err != nil {
			http.Error(w, "body", http.StatusBadRequest)
			return
		}
		echo(w, r)
	}), func(s *http.Server) {
		s.ReadTimeout = timeout
	})
	c := ts.dial()
	start := time.Now()
	c.write("POST /b HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n01")
	err := <-readErr
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("reading the body: %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the body's read ended after %v, ReadTimeout is %v", d, timeout)
	}
	r := c.read("POST")
	if r.StatusCode != 400 || !r.Close {
		t.Errorf("got %d, close %v; want 400 closing", r.StatusCode, r.Close)
	}
	c.expectClosed()
}

func TestConnLeadingCRLFAfterPost(t *testing.T) {
	// As net/http: empty lines after a POST's body are skipped.
	ts := newTestServer(t, http.HandlerFunc(echo))
	c := ts.dial()
	c.write("POST /p HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n\r\nab\r\n")
	checkResponse(t, c.read("POST"), 200, "POST /p ab", "frontdoor")
	c.write(get("/next"))
	checkResponse(t, c.read("GET"), 200, "GET /next ", "frontdoor")
}

func TestConnServeAfterShutdown(t *testing.T) {
	ts := newTestServer(t, http.HandlerFunc(echo))
	if err := ts.s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.s.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve after Shutdown: %v", err)
	}
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(time.Second))
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Serve: %v; Serve left its listener open", err)
	}
}

func TestConnReadFromWatchedThenNextRequests(t *testing.T) {
	// Several watched requests in a row on one connection: the watch's
	// deadlines do not leak into the next request's reads.
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		watchedConn(t, w) // once the body is read; the handler's end ends it
		w.Header().Set("X-Via", via(w))
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.RequestURI(), b)
	}), func(s *http.Server) {
		s.ReadHeaderTimeout = time.Second
		s.IdleTimeout = time.Second
	})
	c := ts.dial()
	for i := range 3 {
		c.write("POST /w HTTP/1.1\r\nHost: test\r\nContent-Length: 1\r\n\r\n")
		time.Sleep(5 * time.Millisecond)
		c.write(strconv.Itoa(i))
		checkResponse(t, c.read("POST"), 200, "POST /w "+strconv.Itoa(i), "frontdoor")
	}
}

// failingListener fails its Accept for good after the first.
type failingListener struct {
	net.Listener
	accepted bool
}

var errAccept = errors.New("accept failed for good")

func (l *failingListener) Accept() (net.Conn, error) {
	if l.accepted {
		return nil, errAccept
	}
	l.accepted = true
	return l.Listener.Accept()
}

func TestConnServeAcceptError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(&http.Server{Handler: http.HandlerFunc(echo)})
	defer s.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := s.Serve(&failingListener{Listener: ln}); !errors.Is(err, errAccept) {
		t.Errorf("Serve returned %v, want the accept error", err)
	}
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(time.Second))
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Serve: %v; Serve left its listener open", err)
	}
	// The connection accepted before is served still.
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, get("/x"))
	cc := &clientConn{t: t, Conn: c, br: bufio.NewReader(c)}
	checkResponse(t, cc.read("GET"), 200, "GET /x ", "frontdoor")
}

func TestConnConcurrent(t *testing.T) {
	// Many connections at once, plain requests, bodies, watched ones and
	// hand-offs mixed, under the race detector.
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("wait") != "" {
			time.Sleep(7 * time.Millisecond) // past the watch's grace
		}
		echo(w, r)
	}), func(s *http.Server) {
		s.ReadHeaderTimeout = 5 * time.Second
		s.IdleTimeout = 5 * time.Second
	})
	var wg sync.WaitGroup
	for i := range 16 {
		c := ts.dial()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 12 {
				path := fmt.Sprintf("/c%d/%d", i, j)
				var req, method, body, wantVia string
				switch (i + j) % 4 {
				case 0:
					req, method, body, wantVia = get(path), "GET", "GET "+path+" ", "frontdoor"
				case 1:
					path += "?wait=1"
					req, method, body, wantVia = get(path), "GET", "GET "+path+" ", "frontdoor"
				case 2:
					req = "PUT " + path + " HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello"
					method, body, wantVia = "PUT", "PUT "+path+" hello", "frontdoor"
				case 3:
					if j < 8 {
						continue // hand-offs last: the connection stays net/http's
					}
					req = "POST " + path + " HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
					method, body, wantVia = "POST", "POST "+path+" hi", "net/http"
				}
				if _, err := io.WriteString(c.Conn, req); err != nil {
					t.Error(err)
					return
				}
				r, err := c.tryRead(method)
				if err != nil {
					t.Error(err)
					return
				}
				if r.StatusCode != 200 || r.body != body || (wantVia == "net/http" && r.Header.Get("X-Via") != wantVia) {
					t.Errorf("got %d %q via %q, want %q", r.StatusCode, r.body, r.Header.Get("X-Via"), body)
				}
			}
		}()
	}
	wg.Wait()
}

func TestConnBodyClosedAtLimit(t *testing.T) {
	// As net/http: a handler's Body.Close reads a rest of up to 256 KiB;
	// a rest of exactly 256 KiB is read and closes the connection all
	// the same, without a Connection field; one byte less keeps it.
	ts := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.Body.Close(); err != nil {
			t.Errorf("Body.Close: %v", err)
		}
		w.Header().Set("X-Via", via(w))
		io.WriteString(w, "ok")
	}))
	for _, size := range []int{maxPostHandlerReadBytes - 1, maxPostHandlerReadBytes} {
		c := ts.dial()
		c.write("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: " + strconv.Itoa(size) + "\r\n\r\n" + strings.Repeat("x", size))
		r := c.read("POST")
		checkResponse(t, r, 200, "ok", "frontdoor")
		if r.Close {
			t.Errorf("%d bytes: the response has Connection: close", size)
		}
		if size < maxPostHandlerReadBytes {
			c.write(get("/next"))
			checkResponse(t, c.read("GET"), 200, "ok", "frontdoor")
			continue
		}
		c.expectClosed()
	}
}
