package frontdoor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/portico-gw/portico/internal/platform/deadline"
)

const (
	// readBufSize is the connection's read buffer: a head this package
	// serves fits in it whole.
	readBufSize = 4 << 10
	// writeBufSize is the connection's write buffer.
	writeBufSize = 4 << 10
	// maxPostHandlerReadBytes is how much of a request body the handler
	// left unread is read and dropped to keep the connection, as net/http.
	maxPostHandlerReadBytes = 256 << 10
)

// The states of a connection, under conn.mu.
const (
	stateIdle     = iota // waiting for a request, or between requests
	stateActive          // a request is being read or served
	stateWatched         // served, with a goroutine reading the connection
	stateHijacked        // the handler took the connection
	stateClosed
)

var (
	readBufPool  = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufSize) }}
	writeBufPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, writeBufSize) }}
)

// aLongTimeAgo is a deadline in the past: it ends a blocked read at once.
var aLongTimeAgo = time.Unix(1, 0)

// conn is one client connection served by the front door.
type conn struct {
	s        *Server
	rwc      net.Conn
	base     context.Context // the server's base context with the connection's values
	remote   string
	accepted time.Time

	br  *bufio.Reader // reads through src
	bw  *bufio.Writer
	src connReader

	mu         sync.Mutex
	state      int
	gen        uint64             // counts requests, so that a body's end is its own request's
	busy       time.Time          // when the watch's grace began
	watchable  bool               // the request's body was read: the connection may be watched
	pipelined  bool               // the next request's bytes are buffered: no need to watch
	watchTimer *time.Timer        // the grace's timer (watch.go), made once
	watchEnd   chan struct{}      // the watch's end, while it runs
	cancel     context.CancelFunc // ends the current request's context

	res response // reused for each request
}

// connReader is what the read buffer reads: the byte a watch read
// first, then the connection.
type connReader struct {
	c       *conn
	hasByte bool
	byteBuf [1]byte
}

func (r *connReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.hasByte {
		p[0] = r.byteBuf[0]
		r.hasByte = false
		return 1, nil
	}
	return r.c.rwc.Read(p)
}

func newConn(s *Server, rwc net.Conn, base context.Context) *conn {
	c := &conn{s: s, rwc: rwc, remote: rwc.RemoteAddr().String(), accepted: time.Now()}
	c.base = context.WithValue(base, http.LocalAddrContextKey, rwc.LocalAddr())
	if cc := s.srv.ConnContext; cc != nil {
		if c.base = cc(c.base, rwc); c.base == nil {
			panic("frontdoor: ConnContext returned nil")
		}
	}
	c.src.c = c
	c.res.c = c
	return c
}

// serve reads and serves requests until the connection closes, is
// hijacked, or is handed to net/http.
func (c *conn) serve() {
	handed := false
	defer func() {
		if err := recover(); err != nil && err != http.ErrAbortHandler {
			const size = 64 << 10
			buf := make([]byte, size)
			buf = buf[:runtime.Stack(buf, false)]
			c.s.logf("http: panic serving %v: %v\n%s", c.remote, err, buf)
		}
		c.mu.Lock()
		hijacked := c.state == stateHijacked
		c.state = stateClosed
		c.mu.Unlock()
		if !hijacked && !handed {
			c.rwc.Close()
		}
		c.release(handed || hijacked)
		c.s.remove(c)
	}()
	c.br = readBufPool.Get().(*bufio.Reader)
	c.br.Reset(&c.src)
	c.bw = writeBufPool.Get().(*bufio.Writer)
	c.bw.Reset(c.rwc)

	for first := true; ; first = false {
		h, ok, err := c.readHead(first)
		if err != nil {
			return
		}
		if !ok {
			handed = true
			c.handOff()
			return
		}
		if !c.serveRequest(h) || !c.s.keepAlives() {
			return
		}
	}
}

// release returns the buffers to their pools; kept says they may still
// be in use (a hijacked or handed-off connection's reader).
func (c *conn) release(kept bool) {
	if kept {
		return
	}
	if c.br != nil {
		c.br.Reset(nil)
		readBufPool.Put(c.br)
		c.br = nil
	}
	if c.bw != nil {
		c.bw.Reset(nil)
		writeBufPool.Put(c.bw)
		c.bw = nil
	}
}

// readHead waits for the next request and reads its head. It reports
// ok false for a head to hand to net/http, and an error when the
// connection is to close. Between requests the server's IdleTimeout
// applies, and ReadHeaderTimeout (or ReadTimeout) from a request's first
// bytes; a head that arrives whole in the wait needs no second deadline.
func (c *conn) readHead(first bool) (h *head, ok bool, err error) {
	srv := c.s.srv
	now := time.Now()
	hdrTimeout := srv.ReadHeaderTimeout
	if hdrTimeout <= 0 {
		hdrTimeout = srv.ReadTimeout
	}
	if c.br.Buffered() == 0 {
		if !c.setState(stateIdle) {
			return nil, false, net.ErrClosed
		}
		wait := srv.IdleTimeout
		if wait <= 0 {
			wait = srv.ReadTimeout
		}
		if first {
			wait = hdrTimeout
		}
		if wait > 0 {
			c.rwc.SetReadDeadline(now.Add(wait))
		} else if !first {
			c.rwc.SetReadDeadline(time.Time{})
		}
		if _, err := c.br.Peek(1); err != nil {
			return nil, false, err
		}
		now = time.Now()
	}
	if !c.setState(stateActive) {
		return nil, false, net.ErrClosed
	}

	hdrSet := false
	for {
		b, _ := c.br.Peek(c.br.Buffered())
		if i := strings.Index(string(b), "\r\n\r\n"); i >= 0 {
			s := string(b[:i+4])
			h := &head{}
			if !parseHead(s, h) {
				return nil, false, nil
			}
			c.br.Discard(len(s))
			return h, true, nil
		}
		if len(b) == readBufSize || len(b) > 0 && !startsLikeHead(b) {
			return nil, false, nil // net/http's to read, or refuse
		}
		if !hdrSet && hdrTimeout > 0 {
			c.rwc.SetReadDeadline(now.Add(hdrTimeout))
			hdrSet = true
		}
		if _, err := c.br.Peek(len(b) + 1); err != nil {
			if len(b) > 0 && !isTimeout(err) && err != io.EOF {
				return nil, false, nil
			}
			return nil, false, err
		}
	}
}

// setState moves the connection to st unless Shutdown closed it.
func (c *conn) setState(st int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateClosed {
		return false
	}
	c.state = st
	return true
}

// startsLikeHead reports whether b could begin a head this package
// serves: a method token and a space, as far as b goes.
func startsLikeHead(b []byte) bool {
	for i, c := range b {
		if c == ' ' {
			return i > 0
		}
		if !tokenTable[c] {
			return false
		}
	}
	return true
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// handOff gives the connection, with what was read and not served, to
// the net/http server.
func (c *conn) handOff() {
	c.rwc.SetReadDeadline(time.Time{})
	c.bw.Reset(nil)
	writeBufPool.Put(c.bw)
	c.bw = nil
	c.s.remove(c)
	c.s.handoff.give(&handedConn{Conn: c.rwc, r: c.br})
}

// handedConn is a connection handed to net/http: reads take the bytes
// the front door buffered first.
type handedConn struct {
	net.Conn
	r *bufio.Reader
}

func (h *handedConn) Read(p []byte) (int, error) { return h.r.Read(p) }

// ReadFrom keeps net/http's sendfile path for files it serves.
func (h *handedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := h.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{h.Conn}, r)
}

// serveRequest serves one request and reports whether the connection
// may carry the next.
func (c *conn) serveRequest(h *head) bool {
	srv := c.s.srv
	start := time.Now()
	if d := srv.WriteTimeout; d > 0 {
		c.rwc.SetWriteDeadline(start.Add(d))
	}
	c.mu.Lock()
	c.gen++
	gen := c.gen
	c.mu.Unlock()
	var rb *body
	if h.contentLength > 0 {
		// The whole request's deadline, or none, as net/http sets once
		// the head is read.
		var whole time.Time
		if d := srv.ReadTimeout; d > 0 {
			whole = start.Add(d)
		}
		c.rwc.SetReadDeadline(whole)
		rb = &body{c: c, gen: gen, remain: h.contentLength}
	}

	ctx, cancel := deadline.WithCancel(c.base)
	req := &http.Request{
		Method:        h.method,
		URL:           h.url,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h.header,
		ContentLength: h.contentLength,
		Close:         h.close,
		Host:          h.host,
		RemoteAddr:    c.remote,
		RequestURI:    h.target,
		Body:          http.NoBody,
	}
	if rb != nil {
		req.Body = rb
	}
	req = req.WithContext(ctx)

	w := &c.res
	w.reset(req, rb)
	c.mu.Lock()
	c.cancel = cancel
	if rb == nil {
		c.armWatch(start) // nothing left to read: the connection may be watched
	}
	c.mu.Unlock()

	aborted := c.runHandler(w, req)

	hijacked := c.endRequest()
	if hijacked || aborted {
		cancel()
		return false
	}
	w.finish()
	cancel() // after the response, as net/http: a handler's AfterFunc runs once it is out
	if rb != nil {
		rb.Close()
	}
	return w.reusable()
}

// runHandler calls the handler and reports whether it aborted the
// response with http.ErrAbortHandler (or panicked, which is logged).
func (c *conn) runHandler(w *response, req *http.Request) (aborted bool) {
	defer func() {
		if err := recover(); err != nil {
			aborted = true
			if err != http.ErrAbortHandler {
				const size = 64 << 10
				buf := make([]byte, size)
				buf = buf[:runtime.Stack(buf, false)]
				c.s.logf("http: panic serving %v: %v\n%s", c.remote, err, buf)
			}
		}
	}()
	handler := c.s.srv.Handler
	if handler == nil {
		handler = http.DefaultServeMux
	}
	handler.ServeHTTP(w, req)
	return false
}

// endRequest stops the watch, if one runs, and reports whether the
// handler hijacked the connection.
func (c *conn) endRequest() bool {
	c.mu.Lock()
	st := c.state
	if st != stateHijacked {
		c.state = stateActive // until the response is out; idle once readHead waits
	}
	c.disarmWatch()
	end := c.watchEnd
	c.watchEnd = nil
	c.cancel = nil
	if st == stateWatched {
		c.rwc.SetReadDeadline(aLongTimeAgo)
	}
	c.mu.Unlock()
	if end != nil {
		<-end
	}
	return st == stateHijacked
}

// closeIfIdle closes the connection if it waits for a request, for
// Shutdown, and reports whether it did.
func (c *conn) closeIfIdle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case stateIdle:
		if c.gen == 0 && time.Since(c.accepted) < 5*time.Second {
			return false // a new connection gets 5 s to send its request, as with net/http
		}
		c.state = stateClosed
		c.rwc.Close()
		return true
	case stateClosed, stateHijacked:
		return true
	}
	return false
}

// hijack hands the connection to the handler.
func (c *conn) hijack() (net.Conn, *bufio.ReadWriter, error) {
	c.mu.Lock()
	if c.state == stateHijacked {
		c.mu.Unlock()
		return nil, nil, http.ErrHijacked
	}
	watched := c.state == stateWatched
	c.disarmWatch()
	end := c.watchEnd
	c.watchEnd = nil
	c.state = stateHijacked
	if watched {
		c.rwc.SetReadDeadline(aLongTimeAgo)
	}
	c.mu.Unlock()
	if end != nil {
		<-end
	}
	c.rwc.SetDeadline(time.Time{})
	if err := c.bw.Flush(); err != nil {
		return nil, nil, err
	}
	c.s.remove(c)
	// The buffers go with the connection: they are not pooled again.
	br := bufio.NewReader(&handedConn{Conn: c.rwc, r: c.br})
	return c.rwc, bufio.NewReadWriter(br, bufio.NewWriter(c.rwc)), nil
}

// body is a request body of Content-Length bytes.
type body struct {
	mu     sync.Mutex
	c      *conn
	gen    uint64 // the request's, in c.gen
	remain int64
	closed bool
	err    error
}

var errBodyClosed = http.ErrBodyReadAfterClose

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, errBodyClosed
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.remain == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.remain {
		p = p[:b.remain]
	}
	n, err := b.c.br.Read(p)
	b.remain -= int64(n)
	if b.remain == 0 {
		b.c.bodyDone(b.gen)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

func (b *body) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return nil
}

// unread reports how many body bytes are still on the connection, and
// whether reading them failed.
func (b *body) unread() (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.remain, b.err
}

// What discard did with the rest of a body.
const (
	discardDone   = iota // read to its end: the next request follows
	discardTooBig        // over the limit: left on the connection
	discardFailed        // the handler closed it early, or reading failed
)

// discard reads and drops the rest of the body when it is at most limit
// bytes, as net/http does before a response's header goes out.
func (b *body) discard(limit int64) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.remain == 0:
		return discardDone
	case b.err != nil || b.closed:
		return discardFailed
	case b.remain > limit:
		return discardTooBig
	}
	n, err := b.c.br.Discard(int(b.remain))
	b.remain -= int64(n)
	if err != nil {
		b.err = err
		return discardFailed
	}
	return discardDone
}

// bodyDone is called when the body was read to its end: the connection
// may be watched from now on.
func (c *conn) bodyDone(gen uint64) {
	c.mu.Lock()
	if c.gen == gen && c.state == stateActive && !c.watchable {
		c.armWatch(time.Now())
	}
	c.mu.Unlock()
}

// defaultLogf logs as net/http does without an ErrorLog.
func defaultLogf(format string, args ...any) { log.Output(3, fmt.Sprintf(format, args...)) }
