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
	"runtime"
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
	// rstAvoidanceDelay is how long a connection closed with request body
	// bytes unread keeps reading after its response, as net/http's, so
	// that the client gets the response before a reset.
	rstAvoidanceDelay = 500 * time.Millisecond
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
	base     context.Context // the server's base context, then with the connection's values
	baseDone bool            // base has the connection's values (ConnContext ran)
	remote   string
	accepted time.Time

	br  *bufio.Reader // reads through src
	bw  *bufio.Writer
	src connReader

	hd        head      // the request head being served
	headStart time.Time // when the head's reading began, for ReadTimeout
	lastPOST  bool      // the last request was a POST: CR and LF may follow it
	linger    bool      // the connection closes with request body bytes unread

	mu         sync.Mutex
	state      int
	gen        uint64        // counts requests, so that a body's end is its own request's
	served     bool          // the handler of request gen returned
	busy       time.Time     // when the watch's grace began
	watchable  bool          // the request's body was read: the connection may be watched
	pipelined  bool          // the next request's bytes are buffered: no need to watch
	watchTimer *time.Timer   // the grace's timer (watch.go), made once
	watchEnd   chan struct{} // the watch's end, while it runs
	cancel     *deadline.Ctx // the current request's context
	// writeDeadlineSet: the handler set a write deadline (ResponseController).
	writeDeadlineSet bool

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
	c := &conn{s: s, rwc: rwc, base: base, remote: rwc.RemoteAddr().String(), accepted: time.Now()}
	c.src.c = c
	c.res.c = c
	return c
}

// connContext is the base context of the connection's requests: the
// server's, with LocalAddrContextKey and what ConnContext adds. It is
// made for the first request served here, so that a connection handed to
// net/http at once meets ConnContext once, net/http's.
func (c *conn) connContext() context.Context {
	if c.baseDone {
		return c.base
	}
	c.baseDone = true
	c.base = context.WithValue(c.base, http.LocalAddrContextKey, c.rwc.LocalAddr())
	if cc := c.s.srv.ConnContext; cc != nil {
		if c.base = cc(c.base, c.rwc); c.base == nil {
			panic("frontdoor: ConnContext returned nil")
		}
	}
	return c.base
}

// serve reads and serves requests until the connection closes, is
// hijacked, or is handed to net/http.
func (c *conn) serve() {
	handed := false
	defer func() {
		if err := recover(); err != nil {
			c.logPanic(err)
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
		if !c.serveRequest(h) {
			if c.linger {
				c.closeWriteAndWait()
			}
			return
		}
		if !c.s.keepAlives() {
			return
		}
	}
}

// closeWriteAndWait ends the connection's writing and reads what the
// client still sends, until it closes or for rstAvoidanceDelay at most,
// as net/http does before closing a connection with request body bytes
// unread: closing at once would reset the connection, and the client
// could lose the response.
func (c *conn) closeWriteAndWait() {
	cw, ok := c.rwc.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	c.rwc.SetReadDeadline(time.Now().Add(rstAvoidanceDelay))
	var buf [2048]byte
	for {
		if _, err := c.rwc.Read(buf[:]); err != nil {
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
// connection is to close. The deadlines are net/http's: between requests
// the server's IdleTimeout (or ReadTimeout), and from a request's first
// bytes (from the start for a connection's first request)
// ReadHeaderTimeout (or ReadTimeout), or none; a head that arrives whole
// in the wait needs no second deadline.
func (c *conn) readHead(first bool) (h *head, ok bool, err error) {
	srv := c.s.srv
	hdrTimeout := srv.ReadHeaderTimeout
	if hdrTimeout == 0 {
		hdrTimeout = srv.ReadTimeout
	}
	now := time.Now()
	hdrDeadline := false // the read deadline is the head's
	if c.br.Buffered() == 0 {
		if !c.setState(stateIdle) {
			return nil, false, net.ErrClosed
		}
		if first {
			// The head's deadline runs from the start (a new connection
			// has none to clear).
			if hdrTimeout > 0 {
				c.rwc.SetReadDeadline(now.Add(hdrTimeout))
			}
			hdrDeadline = true
		} else {
			wait := srv.IdleTimeout
			if wait == 0 {
				wait = srv.ReadTimeout
			}
			var d time.Time
			if wait > 0 {
				d = now.Add(wait)
			}
			c.rwc.SetReadDeadline(d)
		}
		// Idle until the first byte: Shutdown may close the connection.
		if _, err := c.br.Peek(1); err != nil {
			return nil, false, err
		}
		if !first {
			now = time.Now()
		}
	}
	if !c.setState(stateActive) {
		return nil, false, net.ErrClosed
	}
	c.headStart = now

	// As net/http: up to 4 CR or LF after a POST are skipped, for old
	// clients that end a body with a CRLF it does not count.
	skip := 0
	if c.lastPOST {
		skip = 4
	}
	for {
		b, _ := c.br.Peek(c.br.Buffered())
		if skip > 0 && len(b) > 0 {
			n := 0
			for n < len(b) && n < skip && (b[n] == '\r' || b[n] == '\n') {
				n++
			}
			c.br.Discard(n)
			b = b[n:]
			if skip -= n; len(b) > 0 {
				skip = 0
			}
		}
		if i := bytes.Index(b, crlfcrlf); i >= 0 {
			s := string(b[:i+4])
			h := &c.hd
			if !parseHead(s, h) {
				return nil, false, nil
			}
			c.br.Discard(len(s))
			return h, true, nil
		}
		if len(b) == readBufSize || skip == 0 && !mayBeHead(b) {
			return nil, false, nil // net/http's to read, or refuse
		}
		if !hdrDeadline {
			var d time.Time
			if hdrTimeout > 0 {
				d = now.Add(hdrTimeout)
			}
			c.rwc.SetReadDeadline(d)
			hdrDeadline = true
		}
		if _, err := c.br.Peek(len(b) + 1); err != nil {
			if len(b) > 0 && !isTimeout(err) && err != io.EOF {
				return nil, false, nil
			}
			return nil, false, err
		}
	}
}

var crlfcrlf = []byte("\r\n\r\n")

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

// mayBeHead reports whether b, the start of a head not yet whole, may
// be one parseHead takes: a method token and a space, the request line
// ending in " HTTP/1.1" and CRLF once it is there, no LF without a CR
// before it. Anything else is net/http's, which may answer it before
// the rest comes (a malformed request line) or read it differently (a
// head that ends with bare LFs).
func mayBeHead(b []byte) bool {
	for i, c := range b {
		if c == ' ' {
			if i == 0 {
				return false
			}
			break
		}
		if !tokenTable[c] {
			return false
		}
	}
	eol := bytes.IndexByte(b, '\n')
	if eol < 0 {
		return true
	}
	if !bytes.HasSuffix(b[:eol+1], []byte(" HTTP/1.1\r\n")) {
		return false
	}
	for {
		b = b[eol+1:]
		if eol = bytes.IndexByte(b, '\n'); eol < 0 {
			return true
		}
		if eol == 0 || b[eol-1] != '\r' {
			return false
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// handOff gives the connection, with what was read and not served, to
// the net/http server.
func (c *conn) handOff() {
	// net/http sets the deadlines it wants, and clears none.
	c.rwc.SetDeadline(time.Time{})
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
	c.lastPOST = h.method == "POST"
	var rb *body
	if h.contentLength > 0 {
		// The whole request's deadline, or none, as net/http sets once
		// the head is read.
		var whole time.Time
		if d := srv.ReadTimeout; d > 0 {
			whole = c.headStart.Add(d)
		}
		c.rwc.SetReadDeadline(whole)
		rb = &body{c: c, remain: h.contentLength}
	}

	ctx := deadline.Cancelable(c.connContext())
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
	c.gen++
	c.served = false
	if rb != nil {
		rb.gen = c.gen
	}
	c.cancel = ctx
	if rb == nil {
		c.armWatch(start) // nothing left to read: the connection may be watched
	}
	c.mu.Unlock()

	aborted := c.runHandler(w, req)

	hijacked := c.endRequest()
	// As net/http: the context ends once the handler returned, before
	// the response is finished.
	ctx.Cancel()
	if hijacked {
		return false
	}
	if aborted {
		// What is buffered goes out before the close, as net/http's final
		// flush: the client sees the response cut, not missing.
		c.bw.Flush()
		return false
	}
	w.finish()
	if c.writeDeadlineSet {
		// A handler's write deadline is its response's only, as with
		// net/http; WriteTimeout sets the next one anyway.
		c.writeDeadlineSet = false
		if c.s.srv.WriteTimeout <= 0 {
			c.rwc.SetWriteDeadline(time.Time{})
		}
	}
	if rb != nil {
		rb.end()
	}
	if !w.reusable() {
		c.linger = rb != nil && rb.lingers()
		return false
	}
	return true
}

// runHandler calls the handler and reports whether it aborted the
// response with http.ErrAbortHandler (or panicked, which is logged).
func (c *conn) runHandler(w *response, req *http.Request) (aborted bool) {
	defer func() {
		if err := recover(); err != nil {
			aborted = true
			c.logPanic(err)
		}
	}()
	handler := c.s.srv.Handler
	if handler == nil {
		handler = http.DefaultServeMux
	}
	handler.ServeHTTP(w, req)
	return false
}

// logPanic logs a recovered panic with its stack, as net/http does;
// http.ErrAbortHandler is quiet.
func (c *conn) logPanic(err any) {
	if err == http.ErrAbortHandler {
		return
	}
	const size = 64 << 10
	buf := make([]byte, size)
	buf = buf[:runtime.Stack(buf, false)]
	c.s.logf("http: panic serving %v: %v\n%s", c.remote, err, buf)
}

// endRequest stops the watch, if one runs, and reports whether the
// handler hijacked the connection.
func (c *conn) endRequest() bool {
	c.mu.Lock()
	st := c.state
	if st != stateHijacked {
		c.state = stateActive // until the response is out; idle once readHead waits
	}
	c.served = true
	c.cancel = nil
	end := c.stopWatch(st == stateWatched)
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
	end := c.stopWatch(c.state == stateWatched)
	c.state = stateHijacked
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
	early  bool // closed by the handler with too much left: the connection closes
	err    error
}

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
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

// Close ends the body as net/http's does: what is left of it, up to
// maxPostHandlerReadBytes, is read and dropped, so that the connection
// may carry the next request; more is left, and closes the connection.
// As net/http's, a rest of maxPostHandlerReadBytes exactly is read, and
// closes the connection all the same.
func (b *body) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.remain == 0 || b.err != nil {
		return nil
	}
	if b.remain > maxPostHandlerReadBytes {
		b.early = true
		return nil
	}
	b.early = b.remain == maxPostHandlerReadBytes
	return b.dropRest()
}

// end closes the body once the request is served: a handler's goroutine
// reading it after reads nothing more off the connection.
func (b *body) end() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}

// unread reports how many body bytes are still on the connection, and
// whether reading them failed; a body the handler closed with too much
// left reports errBodyEarlyClose, as the connection cannot go on.
func (b *body) unread() (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.early && b.err == nil {
		return b.remain, errBodyEarlyClose
	}
	return b.remain, b.err
}

// lingers reports whether the connection, closed after the response,
// should first wait for the client to take it (closeWriteAndWait): body
// bytes are left on it, or the handler closed the body early, as
// net/http's requestBodyLimitHit and closedRequestBodyEarly.
func (b *body) lingers() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.early || b.remain > 0 && b.err == nil
}

var errBodyEarlyClose = errors.New("frontdoor: request body closed with too much left to read")

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
		// Read to its end, if closed early: the connection closes
		// (unread reports it), without a Connection field, as net/http.
		return discardDone
	case b.err != nil || b.closed:
		return discardFailed
	case b.remain > limit:
		return discardTooBig
	}
	if b.dropRest() != nil {
		return discardFailed
	}
	return discardDone
}

// dropRest reads and drops the rest of the body; b.mu is held. Its end
// reached, the connection may be watched while the handler runs on.
func (b *body) dropRest() error {
	n, err := b.c.br.Discard(int(b.remain))
	b.remain -= int64(n)
	if err != nil {
		b.err = err
		return err
	}
	b.c.bodyDone(b.gen)
	return nil
}

// bodyDone is called when the body was read to its end: the connection
// may be watched from now on.
func (c *conn) bodyDone(gen uint64) {
	c.mu.Lock()
	if c.gen == gen && !c.served && c.state == stateActive && !c.watchable {
		c.armWatch(time.Now())
	}
	c.mu.Unlock()
}

// defaultLogf logs as net/http does without an ErrorLog.
func defaultLogf(format string, args ...any) { log.Output(3, fmt.Sprintf(format, args...)) }
