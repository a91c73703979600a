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
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The differential test: each case's handler is served by a plain
// net/http server and by the front door, the same raw request goes to
// each over a raw TCP connection, and what comes back must be the same:
// status lines, header lines in order (the Date value aside), the decoded
// body and trailers, whether the response was whole, whether the
// connection carries a second request, what the handler's writes
// returned and what the servers logged.

// diffEnv is what a case's handler gets besides the request.
type diffEnv struct {
	side *diffSide
}

// note records what the handler saw, for comparing between the servers.
func (e *diffEnv) note(format string, args ...any) {
	e.side.add(&e.side.notes, fmt.Sprintf(format, args...))
}

func (e *diffEnv) write(w http.ResponseWriter, p []byte) {
	n, err := w.Write(p)
	e.note("Write(%d) = %d, %v", len(p), n, err)
}

func (e *diffEnv) writeString(w http.ResponseWriter, s string) {
	n, err := io.WriteString(w, s)
	e.note("WriteString(%d) = %d, %v", len(s), n, err)
}

func (e *diffEnv) flush(w http.ResponseWriter) {
	e.note("Flush() = %v", http.NewResponseController(w).Flush())
}

// shutdown starts the server's Shutdown and returns once it refuses
// connections: keep-alives are off from then on.
func (e *diffEnv) shutdown() {
	s := e.side
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.shutdownErr <- s.shutdownFn(ctx)
	}()
	for {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(time.Millisecond)
	}
}

// diffSide is one of the two servers of a case.
type diffSide struct {
	name        string
	frontdoor   bool
	addr        string
	shutdownFn  func(context.Context) error
	shutdownErr chan error
	inflight    atomic.Int32

	mu    sync.Mutex
	notes []string
	logs  []string
}

func (s *diffSide) add(to *[]string, line string) {
	s.mu.Lock()
	*to = append(*to, line)
	s.mu.Unlock()
}

func (s *diffSide) Write(p []byte) (int, error) { // the server's ErrorLog
	s.add(&s.logs, strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// handler serves "/next", the second request of a connection, itself,
// and the case's handler for every other path.
func (s *diffSide) handler(h func(http.ResponseWriter, *http.Request, *diffEnv)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inflight.Add(1)
		defer s.inflight.Add(-1)
		if _, ok := w.(*response); ok != s.frontdoor {
			s.add(&s.notes, fmt.Sprintf("served by %T", w))
		}
		if r.URL.Path == "/next" {
			io.WriteString(w, "next")
			return
		}
		h(w, r, &diffEnv{side: s})
	})
}

// idle waits for the handlers to return, so that notes and logs are whole.
func (s *diffSide) idle(t *testing.T) {
	deadline := time.Now().Add(5 * time.Second)
	for s.inflight.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s: a handler did not return", s.name)
		}
		time.Sleep(time.Millisecond)
	}
}

type diffCase struct {
	name string
	req  string // the first request; a GET of / when empty
	raw  bool   // compare the whole byte stream (Date aside): the handler hijacks
	h    func(w http.ResponseWriter, r *http.Request, e *diffEnv)
	// setup, if set, configures both servers' http.Server.
	setup func(*http.Server)
	// outside names a known difference from net/http, and why: the case
	// must differ until it is mended, and the mark removed.
	outside string
}

// diffExchange is what a client saw of one connection, and what the handler
// and the server recorded.
type diffExchange struct {
	Responses []diffResp
	End       string // kept (the second request was answered), closed, or what went wrong
	Raw       string
	Notes     []string
	Logs      []string
}

type diffResp struct {
	Status  string
	Header  []string // lines in order, the Date value made *
	Body    string
	BodyErr string
	Trailer []string
}

const (
	diffHost = "example.com"
	diffGET  = "GET / HTTP/1.1\r\nHost: " + diffHost + "\r\n\r\n"
	diffHEAD = "HEAD / HTTP/1.1\r\nHost: " + diffHost + "\r\n\r\n"
	diffNext = "GET /next HTTP/1.1\r\nHost: " + diffHost + "\r\n\r\n"
)

func diffPOST(n int) string {
	return "POST / HTTP/1.1\r\nHost: " + diffHost + "\r\nContent-Length: " + strconv.Itoa(n) + "\r\n\r\n" + strings.Repeat("b", n)
}

var diffDateField = regexp.MustCompile(`(?m)^Date: [^\r\n]*`)

var diffBoundary = regexp.MustCompile(`boundary=([0-9a-f]{16,})`)

// runDiffCase serves c.h with both servers and returns what each exchange was.
func runDiffCase(t *testing.T, c diffCase) (std, fd diffExchange) {
	t.Helper()
	req := c.req
	if req == "" {
		req = diffGET
	}
	method := req[:strings.IndexByte(req, ' ')]

	stdSide := &diffSide{name: "net/http", shutdownErr: make(chan error, 1)}
	fdSide := &diffSide{name: "frontdoor", frontdoor: true, shutdownErr: make(chan error, 1)}

	stdSrv := &http.Server{Handler: stdSide.handler(c.h), ErrorLog: log.New(stdSide, "", 0)}
	fdHTTP := &http.Server{Handler: fdSide.handler(c.h), ErrorLog: log.New(fdSide, "", 0)}
	if c.setup != nil {
		c.setup(stdSrv)
		c.setup(fdHTTP)
	}
	stdLn := diffListen(t)
	stdSide.addr, stdSide.shutdownFn = stdLn.Addr().String(), stdSrv.Shutdown
	stdDone := make(chan error, 1)
	go func() { stdDone <- stdSrv.Serve(stdLn) }()

	fdSrv := New(fdHTTP)
	fdLn := diffListen(t)
	fdSide.addr, fdSide.shutdownFn = fdLn.Addr().String(), fdSrv.Shutdown
	fdDone := make(chan error, 1)
	go func() { fdDone <- fdSrv.Serve(fdLn) }()

	t.Cleanup(func() {
		stdSrv.Close()
		fdSrv.Close()
		for _, ch := range []chan error{stdDone, fdDone} {
			select {
			case <-ch:
			case <-time.After(5 * time.Second):
				t.Error("Serve did not return after Close")
			}
		}
	})

	for _, s := range []*diffSide{stdSide, fdSide} {
		ex := diffExchangeWith(t, s.addr, req, method, c.raw)
		s.idle(t)
		s.mu.Lock()
		ex.Notes, ex.Logs = s.notes, s.logs
		s.mu.Unlock()
		if s.frontdoor {
			fd = ex
		} else {
			std = ex
		}
	}
	return std, fd
}

func diffListen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// diffExchangeWith sends req on a new connection and reads the response; if
// it is whole, it sends a second request to see whether the connection
// was kept.
func diffExchangeWith(t *testing.T, addr, req, method string, raw bool) diffExchange {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	// The request is written on its own: a server may answer before it
	// reads a large body, or never read it.
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		conn.Write([]byte(req))
	}()
	defer func() {
		conn.Close()
		<-wrote
	}()

	var ex diffExchange
	if raw {
		b, err := io.ReadAll(conn)
		ex.Raw = diffDateField.ReplaceAllString(string(b), "Date: *")
		ex.End = diffEndOf(err)
		return ex
	}
	br := bufio.NewReader(conn)
	whole, end := diffReadResponses(br, method, &ex)
	if !whole {
		ex.End = end
		return ex
	}
	if _, err := conn.Write([]byte(diffNext)); err != nil {
		ex.End = diffEndOf(err)
		return ex
	}
	if _, end := diffReadResponses(br, "GET", &ex); end != "" {
		ex.End = end
		return ex
	}
	ex.End = "kept"
	return ex
}

// diffReadResponses reads a final response and the 1xx ones before it into
// ex. It reports whether the response was whole, and else how it ended.
func diffReadResponses(br *bufio.Reader, method string, ex *diffExchange) (whole bool, end string) {
	for {
		head, err := diffReadHead(br)
		if err != nil {
			return false, diffEndOf(err)
		}
		lines := strings.Split(strings.TrimSuffix(head, "\r\n\r\n"), "\r\n")
		r := diffResp{Status: lines[0]}
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, "Date: ") {
				l = "Date: *"
			}
			r.Header = append(r.Header, l)
		}
		f := strings.Fields(lines[0])
		code := 0
		if len(f) >= 2 {
			code, _ = strconv.Atoi(f[1])
		}
		if code >= 100 && code <= 199 && code != 101 {
			ex.Responses = append(ex.Responses, r)
			continue
		}
		res, err := http.ReadResponse(bufio.NewReader(io.MultiReader(strings.NewReader(head), br)), &http.Request{Method: method})
		if err != nil {
			r.BodyErr = "ReadResponse: " + err.Error()
			ex.Responses = append(ex.Responses, r)
			return false, "unreadable"
		}
		body, err := io.ReadAll(res.Body)
		r.Body = string(body)
		// A multipart boundary is random.
		for _, h := range r.Header {
			if m := diffBoundary.FindStringSubmatch(h); m != nil {
				r.Body = strings.ReplaceAll(r.Body, m[1], "BOUNDARY")
				for i := range r.Header {
					r.Header[i] = strings.ReplaceAll(r.Header[i], m[1], "BOUNDARY")
				}
			}
		}
		if err != nil {
			r.BodyErr = diffEndOf(err)
		}
		for k, vs := range res.Trailer {
			for _, v := range vs {
				r.Trailer = append(r.Trailer, k+": "+v)
			}
		}
		slices.Sort(r.Trailer)
		ex.Responses = append(ex.Responses, r)
		if err != nil {
			return false, "cut"
		}
		return true, ""
	}
}

// diffReadHead reads a response head, to its empty line.
func diffReadHead(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			if err == io.EOF && b.Len() > 0 {
				err = io.ErrUnexpectedEOF
			}
			return b.String(), err
		}
		if line == "\r\n" {
			return b.String(), nil
		}
	}
}

// diffEndOf names how reading a connection ended.
func diffEndOf(err error) string {
	var ne net.Error
	switch {
	case err == nil || err == io.EOF || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return "closed"
	case err == io.ErrUnexpectedEOF:
		return "truncated"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return err.Error()
}

func (ex diffExchange) String() string {
	var b strings.Builder
	for _, r := range ex.Responses {
		fmt.Fprintf(&b, "  %s\n", r.Status)
		for _, h := range r.Header {
			fmt.Fprintf(&b, "    %s\n", h)
		}
		body := r.Body
		if len(body) > 80 {
			body = fmt.Sprintf("%.40q... (%d bytes)", body, len(body))
		} else {
			body = strconv.Quote(body)
		}
		fmt.Fprintf(&b, "  body %s", body)
		if r.BodyErr != "" {
			fmt.Fprintf(&b, " (%s)", r.BodyErr)
		}
		if r.Trailer != nil {
			fmt.Fprintf(&b, " trailer %q", r.Trailer)
		}
		b.WriteString("\n")
	}
	if ex.Raw != "" {
		fmt.Fprintf(&b, "  raw %q\n", ex.Raw)
	}
	fmt.Fprintf(&b, "  end: %s\n", ex.End)
	for _, n := range ex.Notes {
		fmt.Fprintf(&b, "  handler: %s\n", n)
	}
	for _, l := range ex.Logs {
		fmt.Fprintf(&b, "  log: %s\n", l)
	}
	return b.String()
}

// diffReaderOnly hides a reader's WriteTo from io.Copy.
type diffReaderOnly struct{ io.Reader }

var (
	diffHTML  = "<!DOCTYPE html><html><body>hello</body></html>"
	diff100KB = strings.Repeat("0123456789abcdef", 100<<10/16)
	diffBytes = func(n int) []byte { return bytes.Repeat([]byte{'x'}, n) }
)

// diffCases are the cases; dir is a directory for the files they serve.
func diffCases(dir string) []diffCase {
	type (
		W = http.ResponseWriter
		R = *http.Request
	)
	writeN := func(n int) func(W, R, *diffEnv) {
		return func(w W, r R, e *diffEnv) { e.write(w, diffBytes(n)) }
	}
	status := func(code int, body string) func(W, R, *diffEnv) {
		return func(w W, r R, e *diffEnv) {
			w.WriteHeader(code)
			if body != "" {
				e.write(w, []byte(body))
			}
		}
	}
	big, small := filepath.Join(dir, "big.txt"), filepath.Join(dir, "small.html")
	if err := os.WriteFile(big, []byte(diff100KB), 0o644); err != nil {
		panic(err)
	}
	if err := os.WriteFile(small, []byte(diffHTML), 0o644); err != nil {
		panic(err)
	}
	modTime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []diffCase{
		// Bodies and their framing.
		{name: "body/none", h: func(w W, r R, e *diffEnv) {}},
		{name: "body/zero-length-write", h: func(w W, r R, e *diffEnv) { e.write(w, nil) }},
		{name: "body/small", h: func(w W, r R, e *diffEnv) { e.write(w, []byte("hello, world")) }},
		{name: "body/2047", h: writeN(2047)},
		{name: "body/2048", h: writeN(2048)},
		{name: "body/2049", h: writeN(2049)},
		{name: "body/100KB", h: func(w W, r R, e *diffEnv) { e.write(w, []byte(diff100KB)) }},
		{name: "body/100KB-in-writes", h: func(w W, r R, e *diffEnv) {
			for i := 0; i < len(diff100KB); i += 1000 {
				e.write(w, []byte(diff100KB[i:min(i+1000, len(diff100KB))]))
			}
		}},
		{name: "body/2048-then-1", h: func(w W, r R, e *diffEnv) {
			e.write(w, diffBytes(2048))
			e.write(w, []byte("y"))
		}},
		{name: "body/1000-then-2000", h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte(diffHTML[:20]))
			e.write(w, diffBytes(2000))
		}},

		// WriteString.
		{name: "string/small", h: func(w W, r R, e *diffEnv) { e.writeString(w, diffHTML) }},
		{name: "string/2048", h: func(w W, r R, e *diffEnv) { e.writeString(w, diff100KB[:2048]) }},
		{name: "string/2049", h: func(w W, r R, e *diffEnv) { e.writeString(w, diff100KB[:2049]) }},
		{name: "string/100KB", h: func(w W, r R, e *diffEnv) { e.writeString(w, diff100KB) }},
		{name: "string/sniffed-across-writes", h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("<ht"))
			e.writeString(w, "ml><body>"+strings.Repeat(" ", 3000))
		}},
		{name: "string/bytes-then-string", h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("\x00\x01"))
			e.writeString(w, diff100KB[:3000])
			e.writeString(w, "")
			e.writeString(w, "end")
		}},

		// io.Copy into the writer (its ReadFrom).
		{name: "readfrom/small", h: func(w W, r R, e *diffEnv) {
			n, err := io.Copy(w, diffReaderOnly{strings.NewReader(diffHTML)})
			e.note("Copy = %d, %v", n, err)
		}},
		{name: "readfrom/600", h: func(w W, r R, e *diffEnv) {
			n, err := io.Copy(w, diffReaderOnly{strings.NewReader(diff100KB[:600])})
			e.note("Copy = %d, %v", n, err)
		}},
		{name: "readfrom/100KB", h: func(w W, r R, e *diffEnv) {
			n, err := io.Copy(w, diffReaderOnly{strings.NewReader(diff100KB)})
			e.note("Copy = %d, %v", n, err)
		}},
		{name: "readfrom/with-length", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", strconv.Itoa(len(diff100KB)))
			n, err := io.Copy(w, diffReaderOnly{strings.NewReader(diff100KB)})
			e.note("Copy = %d, %v", n, err)
		}},
		{name: "readfrom/HEAD", req: diffHEAD, h: func(w W, r R, e *diffEnv) {
			n, err := io.Copy(w, diffReaderOnly{strings.NewReader(diff100KB[:5000])})
			e.note("Copy = %d, %v", n, err)
		}},
		{name: "readfrom/request-body", req: diffPOST(3000), h: func(w W, r R, e *diffEnv) {
			n, err := io.Copy(w, r.Body)
			e.note("Copy = %d, %v", n, err)
		}},

		{name: "readfrom/ServeFile", h: func(w W, r R, e *diffEnv) { http.ServeFile(w, r, big) }},
		{name: "readfrom/ServeFile-small", h: func(w W, r R, e *diffEnv) { http.ServeFile(w, r, small) }},
		{name: "readfrom/ServeFile-range", req: "GET / HTTP/1.1\r\nHost: " + diffHost + "\r\nRange: bytes=100-2000\r\n\r\n", h: func(w W, r R, e *diffEnv) {
			http.ServeFile(w, r, big)
		}},
		{name: "readfrom/ServeFile-ranges", req: "GET / HTTP/1.1\r\nHost: " + diffHost + "\r\nRange: bytes=0-10,500-600\r\n\r\n", h: func(w W, r R, e *diffEnv) {
			http.ServeFile(w, r, big)
		}},
		{name: "readfrom/ServeFile-HEAD", req: diffHEAD, h: func(w W, r R, e *diffEnv) { http.ServeFile(w, r, big) }},
		{name: "readfrom/ServeContent", h: func(w W, r R, e *diffEnv) {
			http.ServeContent(w, r, "x.json", modTime, strings.NewReader(diff100KB[:5000]))
		}},
		{name: "readfrom/ServeContent-not-modified", req: "GET / HTTP/1.1\r\nHost: " + diffHost + "\r\nIf-Modified-Since: " + modTime.Format(http.TimeFormat) + "\r\n\r\n", h: func(w W, r R, e *diffEnv) {
			http.ServeContent(w, r, "x.json", modTime, strings.NewReader(diff100KB[:5000]))
		}},

		// A Content-Length the handler set.
		{name: "length/right", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "5")
			e.write(w, []byte("hello"))
		}},
		{name: "length/right-large", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", strconv.Itoa(len(diff100KB)))
			e.write(w, []byte(diff100KB))
		}},
		{name: "length/short", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "10")
			e.write(w, []byte("hello"))
		}},
		{name: "length/short-large", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "5000")
			e.write(w, diffBytes(3000))
		}},
		{name: "length/long", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "3")
			e.write(w, []byte("hello"))
			e.write(w, []byte("abc"))
		}},
		{name: "length/long-at-the-end", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "5")
			e.write(w, []byte("hel"))
			e.writeString(w, "lo!")
		}},
		{name: "length/zero", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "0")
		}},
		{name: "length/invalid", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "abc")
			e.write(w, []byte("hello"))
		}},
		{name: "length/invalid-HEAD", req: diffHEAD, h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "abc")
		}},
		{name: "length/spaces", h: func(w W, r R, e *diffEnv) {
			w.Header()["Content-Length"] = []string{" 5 "}
			e.write(w, []byte("hello"))
		}},
		{name: "length/nil", h: func(w W, r R, e *diffEnv) {
			w.Header()["Content-Length"] = nil
			e.write(w, []byte("hello"))
		}},
		{name: "length/two-values", h: func(w W, r R, e *diffEnv) {
			w.Header()["Content-Length"] = []string{"5", "6"}
			e.write(w, []byte("hello"))
		}},
		{name: "length/plus-sign", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "+5")
			e.write(w, []byte("hello"))
		}},
		{name: "length/with-transfer-encoding", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "5")
			w.Header().Set("Transfer-Encoding", "chunked")
			e.write(w, []byte("hello"))
		}},

		// Status codes.
		{name: "status/204", h: status(204, "")},
		{name: "status/204-body", h: status(204, "hello")},
		{name: "status/204-length", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "5")
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(204)
		}},
		{name: "status/304", h: status(304, "")},
		{name: "status/304-body", h: status(304, "hello")},
		{name: "status/304-fields", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "5")
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Transfer-Encoding", "chunked")
			w.Header().Set("Etag", `"x"`)
			w.WriteHeader(304)
			e.write(w, []byte("hello"))
		}},
		{name: "status/404", h: status(404, "")},
		{name: "status/404-body", h: status(404, "not found")},
		{name: "status/500-body", h: status(500, diffHTML)},
		{name: "status/999", h: status(999, "")},
		{name: "status/999-body", h: status(999, "odd")},
		{name: "status/299", h: status(299, "")},
		{name: "status/299-large-body", h: status(299, diff100KB[:5000])},
		{name: "status/superfluous", h: func(w W, r R, e *diffEnv) {
			w.WriteHeader(202)
			w.WriteHeader(404)
			e.write(w, []byte("hello"))
			w.WriteHeader(500)
		}},
		{name: "status/invalid-code", h: func(w W, r R, e *diffEnv) {
			func() {
				defer func() { e.note("recovered: %v", recover()) }()
				w.WriteHeader(99)
			}()
			func() {
				defer func() { e.note("recovered: %v", recover()) }()
				w.WriteHeader(1000)
			}()
			e.write(w, []byte("hello"))
		}},
		{name: "status/redirect", h: func(w W, r R, e *diffEnv) {
			http.Redirect(w, r, "/elsewhere?a=b", http.StatusFound)
		}},
		{name: "status/NotFound", h: func(w W, r R, e *diffEnv) { http.NotFound(w, r) }},
		{name: "status/controller", h: func(w W, r R, e *diffEnv) {
			rc := http.NewResponseController(w)
			e.note("SetReadDeadline = %v", rc.SetReadDeadline(time.Now().Add(time.Minute)))
			e.note("SetWriteDeadline = %v", rc.SetWriteDeadline(time.Now().Add(time.Minute)))
			_, ok := w.(http.CloseNotifier) //nolint:staticcheck // what net/http's ResponseWriter is
			_, rf := w.(io.ReaderFrom)
			_, sw := w.(io.StringWriter)
			e.note("CloseNotifier %v, ReaderFrom %v, StringWriter %v", ok, rf, sw)
			e.write(w, []byte("hello"))
		}},
		{name: "status/http.Error", h: func(w W, r R, e *diffEnv) {
			http.Error(w, "teapot", http.StatusTeapot)
		}},
		{name: "status/101-upgrade", req: "GET / HTTP/1.1\r\nHost: " + diffHost + "\r\nConnection: close\r\n\r\n", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Connection", "Upgrade")
			w.Header().Set("Upgrade", "foo")
			w.WriteHeader(101)
			e.write(w, []byte("hello"))
		}},
		{name: "status/101-no-upgrade", req: "GET / HTTP/1.1\r\nHost: " + diffHost + "\r\nConnection: close\r\n\r\n", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Connection", "Upgrade")
			w.WriteHeader(101)
		}},

		// HEAD.
		{name: "head/nothing", req: diffHEAD, h: func(w W, r R, e *diffEnv) {}},
		{name: "head/write", req: diffHEAD, h: func(w W, r R, e *diffEnv) { e.write(w, []byte(diffHTML)) }},
		{name: "head/write-2049", req: diffHEAD, h: writeN(2049)},
		{name: "head/length", req: diffHEAD, h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "1000")
		}},
		{name: "head/length-and-write", req: diffHEAD, h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "4")
			e.write(w, []byte("hello"))
		}},
		{name: "head/length-short", req: diffHEAD, h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "1000")
			e.write(w, []byte("hello"))
		}},
		{name: "head/flush", req: diffHEAD, h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("hello"))
			e.flush(w)
			e.write(w, []byte("world"))
		}},
		{name: "head/404", req: diffHEAD, h: status(404, "nope")},
		{name: "head/transfer-encoding", req: diffHEAD, h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Transfer-Encoding", "chunked")
			e.write(w, []byte("hello"))
		}},

		// Content-Type.
		{name: "sniff/html", h: func(w W, r R, e *diffEnv) { e.write(w, []byte(diffHTML)) }},
		{name: "sniff/json", h: func(w W, r R, e *diffEnv) { e.write(w, []byte(`{"a": [1, 2, "three"]}`)) }},
		{name: "sniff/binary", h: func(w W, r R, e *diffEnv) { e.write(w, []byte("\x00\x01\x02\x03\xff")) }},
		{name: "sniff/gzip", h: func(w W, r R, e *diffEnv) { e.write(w, []byte("\x1f\x8b\x08rest")) }},
		{name: "sniff/large-html", h: func(w W, r R, e *diffEnv) { e.write(w, []byte(diffHTML+strings.Repeat(" ", 3000))) }},
		{name: "sniff/set", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Type", "application/json")
			e.write(w, []byte(diffHTML))
		}},
		{name: "sniff/suppressed", h: func(w W, r R, e *diffEnv) {
			w.Header()["Content-Type"] = nil
			e.write(w, []byte(diffHTML))
		}},
		{name: "sniff/empty-value", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Type", "")
			e.write(w, []byte(diffHTML))
		}},
		{name: "sniff/content-encoding", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Encoding", "gzip")
			e.write(w, []byte(diffHTML))
		}},
		{name: "sniff/content-encoding-empty", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Encoding", "")
			e.write(w, []byte(diffHTML))
		}},
		{name: "sniff/content-encoding-blank", h: func(w W, r R, e *diffEnv) {
			w.Header()["Content-Encoding"] = []string{"  "}
			e.write(w, []byte(diffHTML))
		}},
		{name: "sniff/transfer-encoding", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Transfer-Encoding", "chunked")
			e.write(w, []byte(diffHTML))
		}},

		// Date.
		{name: "date/suppressed", h: func(w W, r R, e *diffEnv) {
			w.Header()["Date"] = nil
			e.write(w, []byte("hello"))
		}},
		{name: "date/set", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Date", "yesterday")
			e.write(w, []byte("hello"))
		}},

		// Flushing.
		{name: "flush/only", h: func(w W, r R, e *diffEnv) { e.flush(w) }},
		{name: "flush/before-write", h: func(w W, r R, e *diffEnv) {
			e.flush(w)
			e.write(w, []byte(diffHTML))
		}},
		{name: "flush/mid-body", h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte(diffHTML))
			e.flush(w)
			e.write(w, []byte("more"))
			e.flush(w)
			e.writeString(w, "end")
		}},
		{name: "flush/after-204", h: func(w W, r R, e *diffEnv) {
			w.WriteHeader(204)
			e.flush(w)
		}},
		{name: "flush/with-length", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "10")
			e.write(w, []byte("hello"))
			e.flush(w)
			e.write(w, []byte("world"))
		}},
		{name: "flush/Flusher", h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("hello"))
			w.(http.Flusher).Flush()
		}},

		// Header fields.
		{name: "header/after-WriteHeader", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("X-Before", "1")
			w.WriteHeader(200)
			w.Header().Set("X-After", "1")
			w.Header().Del("X-Before")
			e.write(w, []byte("hello"))
		}},
		{name: "header/after-write", h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("hello"))
			w.Header().Set("X-After", "1")
			w.Header().Set("Content-Type", "text/html")
		}},
		{name: "header/first-after-WriteHeader", h: func(w W, r R, e *diffEnv) {
			w.WriteHeader(201)
			w.Header().Set("X-After", "1")
			e.write(w, []byte("hello"))
		}},
		{name: "header/crlf", h: func(w W, r R, e *diffEnv) {
			w.Header()["X-Bad"] = []string{"a\r\nb", "c\nd", "e\rf", "\r\ng\r\n"}
			w.Header()["X-Injected"] = []string{"x\r\nSet-Cookie: evil=1"}
			e.write(w, []byte("hello"))
		}},
		{name: "header/invalid-names", h: func(w W, r R, e *diffEnv) {
			w.Header()["Bad Name"] = []string{"1"}
			w.Header()["X:Y"] = []string{"2"}
			w.Header()[""] = []string{"3"}
			w.Header()["X\r\nY"] = []string{"4"}
			w.Header()["lower-case"] = []string{"5"}
			w.Header()["X-Good"] = []string{"6"}
			e.write(w, []byte("hello"))
		}},
		{name: "header/multi", h: func(w W, r R, e *diffEnv) {
			w.Header().Add("X-Multi", "a")
			w.Header().Add("X-Multi", "b")
			w.Header().Add("Set-Cookie", "a=1")
			w.Header().Add("Set-Cookie", "b=2")
			w.Header().Add("A-First", "z")
			w.Header().Add("Z-Last", "")
			e.write(w, []byte("hello"))
		}},
		{name: "header/trimmed", h: func(w W, r R, e *diffEnv) {
			w.Header()["X-Spaces"] = []string{"  padded \t", "\t"}
			e.write(w, []byte("hello"))
		}},
		{name: "header/many", h: func(w W, r R, e *diffEnv) {
			for i := range 40 {
				w.Header().Set(fmt.Sprintf("X-Field-%02d", 39-i), strings.Repeat("v", 100))
			}
			e.write(w, []byte("hello"))
		}},

		// Trailers.
		{name: "trailer/declared", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Trailer", "X-Sum, X-Count")
			w.WriteHeader(200)
			e.write(w, []byte("hello"))
			w.Header().Set("X-Sum", "abc")
			w.Header().Set("X-Count", "1")
			w.Header().Set("X-Undeclared", "no")
		}},
		{name: "trailer/declared-large", h: func(w W, r R, e *diffEnv) {
			w.Header().Add("Trailer", "X-Sum")
			w.Header().Add("Trailer", "x-count")
			e.write(w, diffBytes(5000))
			w.Header().Set("X-Sum", "abc")
			w.Header()["X-Count"] = []string{"1", "2"}
		}},
		{name: "trailer/declared-not-set", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Trailer", "X-Sum")
			e.write(w, []byte("hello"))
		}},
		{name: "trailer/declared-forbidden", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Trailer", "Content-Length, If-Match")
			e.write(w, []byte("hello"))
			w.Header().Set("If-Match", "x")
		}},
		{name: "trailer/declared-empty", h: func(w W, r R, e *diffEnv) {
			w.Header()["Trailer"] = []string{""}
			e.write(w, []byte("hello"))
		}},
		{name: "trailer/prefix-after", h: func(w W, r R, e *diffEnv) {
			e.write(w, diffBytes(3000))
			w.Header().Set(http.TrailerPrefix+"X-Late", "late")
		}},
		{name: "trailer/prefix-after-small-body", h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("hello"))
			w.Header().Set(http.TrailerPrefix+"X-Late", "late")
		}},
		{name: "trailer/prefix-before", h: func(w W, r R, e *diffEnv) {
			w.Header().Set(http.TrailerPrefix+"X-Early", "early")
			e.write(w, []byte("hello"))
			w.Header().Set(http.TrailerPrefix+"X-Early", "changed")
		}},
		{name: "trailer/HEAD", req: diffHEAD, h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Trailer", "X-Sum")
			e.write(w, []byte("hello"))
			w.Header().Set("X-Sum", "1")
		}},
		{name: "trailer/crlf", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Trailer", "X-Sum")
			e.write(w, []byte("hello"))
			w.Header()["X-Sum"] = []string{"a\r\nb"}
		}},

		// 1xx.
		{name: "info/103", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Link", "</style.css>; rel=preload; as=style")
			w.WriteHeader(103)
			w.Header().Add("Link", "</script.js>; rel=preload; as=script")
			w.WriteHeader(103)
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(200)
			e.write(w, []byte("hello"))
		}},
		{name: "info/103-fields", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "5")
			w.Header().Set("Transfer-Encoding", "chunked")
			w.Header()["X-Bad"] = []string{"a\r\nb"}
			w.Header()["Bad Name"] = []string{"x"}
			w.Header().Set(http.TrailerPrefix+"X", "y")
			w.WriteHeader(103)
			w.Header().Del("Transfer-Encoding")
			e.write(w, []byte("hello"))
		}},
		{name: "info/100-then-body", h: func(w W, r R, e *diffEnv) {
			w.WriteHeader(100)
			e.write(w, diffBytes(3000))
		}},
		{name: "info/after-final", h: func(w W, r R, e *diffEnv) {
			w.WriteHeader(200)
			w.WriteHeader(103)
			e.write(w, []byte("hello"))
		}},

		// The connection: kept or closed.
		{name: "conn/handler-close", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Connection", "close")
			e.write(w, []byte("hello"))
		}},
		{name: "conn/handler-close-chunked", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Connection", "close")
			e.write(w, diffBytes(3000))
		}},
		{name: "conn/handler-Close", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Connection", "Close")
			e.write(w, []byte("hello"))
		}},
		{name: "conn/handler-close-padded", h: func(w W, r R, e *diffEnv) {
			w.Header()["Connection"] = []string{" close"}
			e.write(w, []byte("hello"))
		}},
		{name: "conn/handler-keep-alive-close", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Connection", "keep-alive, close")
			e.write(w, []byte("hello"))
		}},
		{name: "conn/handler-second-close", h: func(w W, r R, e *diffEnv) {
			w.Header()["Connection"] = []string{"keep-alive", "close"}
			e.write(w, []byte("hello"))
		}},
		{name: "conn/handler-keep-alive", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Connection", "keep-alive")
			e.write(w, []byte("hello"))
		}},
		{name: "conn/request-close", req: "GET / HTTP/1.1\r\nHost: " + diffHost + "\r\nConnection: close\r\n\r\n", h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("hello"))
		}},
		{name: "conn/request-close-and-handler-close", req: "GET / HTTP/1.1\r\nHost: " + diffHost + "\r\nConnection: close\r\n\r\n", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Connection", "close")
			e.write(w, []byte("hello"))
		}},
		{name: "conn/request-close-handler-keep-alive", req: "GET / HTTP/1.1\r\nHost: " + diffHost + "\r\nConnection: close\r\n\r\n", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Connection", "keep-alive")
			e.write(w, []byte("hello"))
		}},
		{name: "conn/request-Close", req: "GET / HTTP/1.1\r\nHost: " + diffHost + "\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("hello"))
		}},
		{name: "conn/request-close-space-separated", req: "GET / HTTP/1.1\r\nHost: " + diffHost + "\r\nConnection: te close\r\n\r\n", h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("hello"))
		}},
		{name: "conn/request-close-second-field", req: "GET / HTTP/1.1\r\nHost: " + diffHost + "\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("hello"))
		}},
		{name: "conn/request-close-chunked", req: "GET / HTTP/1.1\r\nHost: " + diffHost + "\r\nConnection: close\r\n\r\n", h: writeN(3000)},
		{name: "conn/request-close-HEAD", req: "HEAD / HTTP/1.1\r\nHost: " + diffHost + "\r\nConnection: close\r\n\r\n", h: writeN(10)},
		{name: "conn/keep-alives-disabled", setup: func(s *http.Server) { s.SetKeepAlivesEnabled(false) }, h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("hello"))
		}, outside: "server.go: keepAlives() does not see http.Server.SetKeepAlivesEnabled(false), whose state net/http keeps unexported"},
		{name: "conn/shutdown", h: func(w W, r R, e *diffEnv) {
			e.shutdown()
			e.write(w, []byte("hello"))
		}},
		{name: "conn/shutdown-handler-close", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Connection", "close")
			w.Header().Set("X-After", "1")
			e.shutdown()
			e.write(w, []byte("hello"))
		}},
		{name: "conn/shutdown-after-header", h: func(w W, r R, e *diffEnv) {
			e.write(w, diffBytes(3000))
			e.shutdown()
			e.write(w, []byte("hello"))
		}},

		// A Transfer-Encoding the handler set.
		{name: "te/identity", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Transfer-Encoding", "identity")
			e.write(w, []byte("hello"))
		}},
		{name: "te/identity-large", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Transfer-Encoding", "identity")
			e.write(w, diffBytes(5000))
		}},
		{name: "te/identity-with-length", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Transfer-Encoding", "identity")
			w.Header().Set("Content-Length", "5")
			e.write(w, []byte("hello"))
		}},
		{name: "te/identity-204", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Transfer-Encoding", "identity")
			w.WriteHeader(204)
		}},
		{name: "te/chunked-small", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Transfer-Encoding", "chunked")
			e.write(w, []byte("hello"))
		}},
		{name: "te/chunked-nothing", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Transfer-Encoding", "chunked")
		}},

		// Request bodies.
		{name: "reqbody/read", req: diffPOST(1000), h: func(w W, r R, e *diffEnv) {
			b, err := io.ReadAll(r.Body)
			e.note("ReadAll = %d, %v", len(b), err)
			e.write(w, []byte("hello"))
		}},
		{name: "reqbody/unread-small", req: diffPOST(1000), h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("hello"))
		}},
		{name: "reqbody/unread-small-chunked", req: diffPOST(1000), h: writeN(3000)},
		{name: "reqbody/unread-256KiB-1", req: diffPOST(256<<10 - 1), h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("hello"))
		}},
		{name: "reqbody/unread-256KiB", req: diffPOST(256 << 10), h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("hello"))
		}},
		{name: "reqbody/unread-300KiB", req: diffPOST(300 << 10), h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("hello"))
		}},
		{name: "reqbody/unread-300KiB-handler-close", req: diffPOST(300 << 10), h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Connection", "close")
			e.write(w, []byte("hello"))
		}},
		{name: "reqbody/unread-300KiB-handler-keep-alive", req: diffPOST(300 << 10), h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Connection", "keep-alive")
			e.write(w, []byte("hello"))
		}},
		{name: "reqbody/unread-300KiB-request-close", req: strings.Replace(diffPOST(300<<10), "\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1), h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("hello"))
		}},
		{name: "reqbody/partly-read-large", req: diffPOST(300 << 10), h: func(w W, r R, e *diffEnv) {
			n, err := io.ReadFull(r.Body, make([]byte, 50<<10))
			e.note("ReadFull = %d, %v", n, err)
			e.write(w, []byte("hello"))
		}},
		{name: "reqbody/partly-read-small", req: diffPOST(300 << 10), h: func(w W, r R, e *diffEnv) {
			n, err := io.ReadFull(r.Body, make([]byte, 100<<10))
			e.note("ReadFull = %d, %v", n, err)
			e.write(w, []byte("hello"))
		}},
		{name: "reqbody/MaxBytesReader", req: diffPOST(1000), h: func(w W, r R, e *diffEnv) {
			r.Body = http.MaxBytesReader(w, r.Body, 100)
			b, err := io.ReadAll(r.Body)
			e.note("ReadAll = %d, %v", len(b), err)
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		}, outside: "net/http's MaxBytesReader closes the connection through an unexported method of net/http's own ResponseWriter"},
		{name: "reqbody/closed-early-large", req: diffPOST(300 << 10), h: func(w W, r R, e *diffEnv) {
			e.note("Close = %v", r.Body.Close())
			e.write(w, []byte("hello"))
		}},
		{name: "reqbody/closed-after-reading", req: diffPOST(1000), h: func(w W, r R, e *diffEnv) {
			b, err := io.ReadAll(r.Body)
			e.note("ReadAll = %d, %v", len(b), err)
			e.note("Close = %v", r.Body.Close())
			e.write(w, []byte("hello"))
		}},
		{name: "reqbody/closed-early-small", req: diffPOST(1000), h: func(w W, r R, e *diffEnv) {
			e.note("Close = %v", r.Body.Close())
			e.write(w, []byte("hello"))
		}},
		{name: "reqbody/closed-early-256KiB-1", req: diffPOST(256<<10 - 1), h: func(w W, r R, e *diffEnv) {
			e.note("Close = %v", r.Body.Close())
			e.write(w, []byte("hello"))
		}},
		{name: "reqbody/closed-early-256KiB", req: diffPOST(256 << 10), h: func(w W, r R, e *diffEnv) {
			e.note("Close = %v", r.Body.Close())
			e.write(w, []byte("hello"))
		}},
		{name: "reqbody/full-duplex-large", req: diffPOST(300 << 10), h: func(w W, r R, e *diffEnv) {
			e.note("EnableFullDuplex = %v", http.NewResponseController(w).EnableFullDuplex())
			e.write(w, []byte("hello"))
		}},
		{name: "reqbody/full-duplex-read-while-writing", req: diffPOST(10 << 10), h: func(w W, r R, e *diffEnv) {
			e.note("EnableFullDuplex = %v", http.NewResponseController(w).EnableFullDuplex())
			e.write(w, diffBytes(3000))
			e.flush(w)
			n, err := io.Copy(io.Discard, r.Body)
			e.note("Copy = %d, %v", n, err)
		}},

		// A handler that aborts.
		{name: "abort/nothing-written", h: func(w W, r R, e *diffEnv) {
			panic(http.ErrAbortHandler)
		}},
		{name: "abort/unflushed", h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("hello"))
			panic(http.ErrAbortHandler)
		}},
		{name: "abort/flushed", h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte("hello"))
			e.flush(w)
			e.write(w, []byte("world"))
			panic(http.ErrAbortHandler)
		}, outside: "by design: after the header, body bytes go to the connection's buffer, which an abort flushes; net/http holds up to 2 KiB of them back and drops those. The response is cut either way"},
		{name: "abort/flushed-with-length", h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "10")
			e.write(w, []byte("hello"))
			e.flush(w)
			panic(http.ErrAbortHandler)
		}},
		{name: "abort/past-2048", h: func(w W, r R, e *diffEnv) {
			e.write(w, diffBytes(3000))
			panic(http.ErrAbortHandler)
		}},
		{name: "abort/large-flushed", h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte(diff100KB))
			e.flush(w)
			panic(http.ErrAbortHandler)
		}},

		// Hijacking: the byte streams must be the same.
		{name: "hijack/before-header", raw: true, h: func(w W, r R, e *diffEnv) {
			diffHijack(w, e, "raw bytes\n")
		}},
		{name: "hijack/after-WriteHeader", raw: true, h: func(w W, r R, e *diffEnv) {
			w.Header().Set("X-Header", "1")
			w.WriteHeader(202)
			diffHijack(w, e, "raw bytes\n")
		}},
		{name: "hijack/after-write", raw: true, h: func(w W, r R, e *diffEnv) {
			e.write(w, []byte(diffHTML))
			diffHijack(w, e, "raw bytes\n")
		}},
		{name: "hijack/after-flush", raw: true, h: func(w W, r R, e *diffEnv) {
			w.Header().Set("Content-Length", "100")
			e.write(w, []byte(diffHTML))
			e.flush(w)
			diffHijack(w, e, "raw bytes\n")
		}},
	}
	return cases
}

// diffHijack takes the connection, writes to the ResponseWriter and then on the
// connection, and closes it.
func diffHijack(w http.ResponseWriter, e *diffEnv, raw string) {
	conn, bw, err := http.NewResponseController(w).Hijack()
	e.note("Hijack: %v", err)
	if err != nil {
		return
	}
	defer conn.Close()
	e.write(w, []byte("after"))
	w.WriteHeader(500)
	_, _, err = http.NewResponseController(w).Hijack()
	e.note("second Hijack: %v", err)
	bw.WriteString(raw)
	e.note("Flush: %v", bw.Flush())
}

func TestResponseLikeNetHTTP(t *testing.T) {
	seen := make(map[string]bool)
	for _, c := range diffCases(t.TempDir()) {
		if seen[c.name] {
			t.Fatalf("two cases named %s", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			std, fd := runDiffCase(t, c)
			same := reflect.DeepEqual(std, fd)
			switch {
			case !same && c.outside == "":
				t.Errorf("net/http:\n%sfrontdoor:\n%s", std, fd)
			case !same:
				t.Logf("known difference (%s):\nnet/http:\n%sfrontdoor:\n%s", c.outside, std, fd)
			default:
				if c.outside != "" {
					t.Errorf("the same as net/http now: remove the case's mark %q", c.outside)
				}
			}
		})
	}
}

// TestResponseDifferentialHarness checks that the harness sees what it
// should: a test comparing two servers that it reads the same way would
// pass for two servers broken the same way.
func TestResponseDifferentialHarness(t *testing.T) {
	byName := make(map[string]diffCase)
	for _, c := range diffCases(t.TempDir()) {
		byName[c.name] = c
	}
	check := func(name string, f func(ex diffExchange) bool) {
		t.Helper()
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, fd := runDiffCase(t, byName[name])
			if !f(fd) {
				t.Errorf("frontdoor:\n%s", fd)
			}
		})
	}
	has := func(r diffResp, line string) bool { return slices.Contains(r.Header, line) }
	check("body/2048", func(ex diffExchange) bool {
		return ex.End == "kept" && has(ex.Responses[0], "Content-Length: 2048") && len(ex.Responses[0].Body) == 2048
	})
	check("body/2049", func(ex diffExchange) bool {
		return ex.End == "kept" && has(ex.Responses[0], "Transfer-Encoding: chunked") && len(ex.Responses[0].Body) == 2049
	})
	check("length/short", func(ex diffExchange) bool {
		return ex.End == "cut" && ex.Responses[0].BodyErr == "truncated"
	})
	check("length/long", func(ex diffExchange) bool {
		return slices.Contains(ex.Notes, "Write(5) = 0, http: wrote more than the declared Content-Length")
	})
	check("trailer/declared", func(ex diffExchange) bool {
		return reflect.DeepEqual(ex.Responses[0].Trailer, []string{"X-Count: 1", "X-Sum: abc"})
	})
	check("info/103", func(ex diffExchange) bool {
		return len(ex.Responses) == 4 && strings.HasPrefix(ex.Responses[0].Status, "HTTP/1.1 103 ")
	})
	check("reqbody/unread-300KiB", func(ex diffExchange) bool {
		return ex.End == "closed" && has(ex.Responses[0], "Connection: close")
	})
	check("reqbody/unread-small", func(ex diffExchange) bool { return ex.End == "kept" })
	check("hijack/after-write", func(ex diffExchange) bool { return strings.HasSuffix(ex.Raw, "raw bytes\n") })

	// net/http panics on these (golang.org/issue/68560: the body's end,
	// reached once the handler returned, starts a background read that
	// the next request's read runs into): the front door keeps the
	// connection, as net/http means to.
	byName["full-duplex-unread"] = diffCase{name: "full-duplex-unread", req: diffPOST(1000), h: func(w http.ResponseWriter, r *http.Request, e *diffEnv) {
		e.note("EnableFullDuplex = %v", http.NewResponseController(w).EnableFullDuplex())
		e.write(w, []byte("hello"))
		e.flush(w)
	}}
	byName["full-duplex-partly-read"] = diffCase{name: "full-duplex-partly-read", req: diffPOST(256<<10 - 1), h: func(w http.ResponseWriter, r *http.Request, e *diffEnv) {
		e.note("EnableFullDuplex = %v", http.NewResponseController(w).EnableFullDuplex())
		n, err := io.ReadFull(r.Body, make([]byte, 100))
		e.note("ReadFull = %d, %v", n, err)
		e.write(w, []byte("hello"))
	}}
	for _, name := range []string{"full-duplex-unread", "full-duplex-partly-read"} {
		check(name, func(ex diffExchange) bool {
			return ex.End == "kept" && !has(ex.Responses[0], "Connection: close") && ex.Responses[0].Body == "hello" && len(ex.Logs) == 0
		})
	}
}

// TestResponseCloseNotify checks that CloseNotify's channel tells a
// handler that its client left, with either server.
func TestResponseCloseNotify(t *testing.T) {
	for _, frontdoor := range []bool{false, true} {
		t.Run(fmt.Sprint("frontdoor=", frontdoor), func(t *testing.T) {
			t.Parallel()
			started, result := make(chan struct{}), make(chan string, 1)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ch := w.(http.CloseNotifier).CloseNotify()      //nolint:staticcheck // what is tested
				if w.(http.CloseNotifier).CloseNotify() != ch { //nolint:staticcheck // what is tested
					result <- "a second channel"
					return
				}
				close(started)
				select {
				case v := <-ch:
					result <- fmt.Sprint("notified ", v)
				case <-time.After(5 * time.Second):
					result <- "not notified"
				}
			})
			ln := diffListen(t)
			var srv interface{ Close() error }
			if frontdoor {
				s := New(&http.Server{Handler: h})
				go s.Serve(ln)
				srv = s
			} else {
				s := &http.Server{Handler: h}
				go s.Serve(ln)
				srv = s
			}
			defer srv.Close()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(conn, diffGET); err != nil {
				t.Fatal(err)
			}
			select {
			case <-started:
			case r := <-result:
				t.Fatal(r)
			case <-time.After(5 * time.Second):
				t.Fatal("the handler did not start")
			}
			conn.Close()
			if r := <-result; r != "notified true" {
				t.Error(r)
			}
		})
	}
}

type responseBenchConn struct{ net.Conn }

func (responseBenchConn) RemoteAddr() net.Addr { return &net.TCPAddr{} }
func (responseBenchConn) LocalAddr() net.Addr  { return &net.TCPAddr{} }
func (responseBenchConn) Close() error         { return nil }

// BenchmarkResponse measures a response from reset to finish, without
// the connection: it must not allocate.
func BenchmarkResponse(b *testing.B) {
	s := New(&http.Server{})
	c := newConn(s, responseBenchConn{}, b.Context())
	c.bw = bufio.NewWriterSize(io.Discard, writeBufSize)
	req := &http.Request{Method: "GET", URL: &url.URL{Path: "/"}, Header: http.Header{}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	body := []byte("hello, world")
	big := make([]byte, 3000)
	bigString := string(big[:2100])
	ct := []string{"text/plain"}
	id := []string{"abc"}
	for _, bc := range []struct {
		name string
		h    func(w http.ResponseWriter)
	}{
		{"small", func(w http.ResponseWriter) { w.Write(body) }},
		{"header", func(w http.ResponseWriter) {
			w.Header()["Content-Type"] = ct
			w.Header()["X-Request-Id"] = id
			w.WriteHeader(201)
			w.Write(body)
		}},
		{"string", func(w http.ResponseWriter) { io.WriteString(w, "hello, world") }},
		{"chunked", func(w http.ResponseWriter) { w.Write(big) }},
		{"chunkedString", func(w http.ResponseWriter) { io.WriteString(w, bigString) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := &c.res
				w.reset(req, nil)
				bc.h(w)
				w.finish()
				if !w.reusable() {
					b.Fatal("not reusable")
				}
			}
		})
	}
}

func TestResponseAllocs(t *testing.T) {
	s := New(&http.Server{})
	c := newConn(s, responseBenchConn{}, t.Context())
	c.bw = bufio.NewWriterSize(io.Discard, writeBufSize)
	req := &http.Request{Method: "GET", URL: &url.URL{Path: "/"}, Header: http.Header{}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	body := []byte("hello, world")
	big := string(make([]byte, 3000))
	ct := []string{"text/plain"}
	n := testing.AllocsPerRun(100, func() {
		w := &c.res
		w.reset(req, nil)
		w.Header()["Content-Type"] = ct
		w.Write(body)
		io.WriteString(w, big)
		w.Flush()
		w.finish()
	})
	if n != 0 {
		t.Errorf("a response allocates %v times", n)
	}
}
