package frontdoor

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"path"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// bufferBeforeChunking is how much body a response holds before its
// header goes out: a handler that ends within it gets a Content-Length,
// as with net/http.
const bufferBeforeChunking = 2048

// sniffLen is how much of a body http.DetectContentType looks at.
const sniffLen = 512

// response is the http.ResponseWriter of one request; a connection keeps
// one and resets it for each request. It writes what net/http's response
// and chunkWriter write, byte for byte but for chunk sizes.
type response struct {
	c   *conn
	req *http.Request
	rb  *body // nil without a body

	handlerHeader http.Header
	// snapshot is the header as it was at WriteHeader, as net/http's
	// clone: fields with valid names, sorted, values as the handler set
	// them (CR, LF and spaces around are dealt with when written).
	snapshot      []field
	keys          headerKeys
	trailers      []string
	status        int
	wroteHeader   bool // WriteHeader was called with a final status
	sentHeader    bool // the header went into the write buffer
	handlerDone   bool
	contentLength int64 // declared by the handler, or -1
	written       int64
	chunking      bool
	closeAfter    bool
	fullDuplex    bool
	werr          error
	closeNotify   chan bool // made by CloseNotify
	pending       []byte    // body held back until the header is sent
	sniff         [sniffLen]byte
	scratch       [32]byte // status codes and chunk sizes
	clBuf         [20]byte // the Content-Length added
}

// headerKeys are keys in the map at WriteHeader, even with no value: a
// nil value keeps net/http from adding the field.
type headerKeys struct {
	contentType, contentLength, date bool
	trailerKeys                      bool // a TrailerPrefix key
	trailer                          bool // a Trailer field with a value
}

// field is one header field of the snapshot.
type field struct{ name, value string }

func (w *response) reset(req *http.Request, rb *body) {
	if w.handlerHeader == nil {
		w.handlerHeader = make(http.Header, 8)
		w.pending = make([]byte, 0, bufferBeforeChunking)
	}
	clear(w.handlerHeader)
	w.req, w.rb = req, rb
	w.snapshot = w.snapshot[:0]
	w.keys = headerKeys{}
	w.trailers = w.trailers[:0]
	w.status, w.wroteHeader, w.sentHeader, w.handlerDone = 0, false, false, false
	w.contentLength, w.written = -1, 0
	w.chunking, w.fullDuplex = false, false
	// As net/http's wantsClose: Request.Close, or a first Connection
	// value with the token close.
	w.closeAfter = req.Close || hasToken(headerGet(req.Header, "Connection"), "close")
	w.werr, w.closeNotify = nil, nil
	w.pending = w.pending[:0]
}

func (w *response) Header() http.Header { return w.handlerHeader }

func (w *response) hijacked() bool {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	return w.c.state == stateHijacked
}

// WriteHeader follows net/http's response.WriteHeader.
func (w *response) WriteHeader(code int) {
	if w.hijacked() {
		w.logCaller("http: response.WriteHeader on hijacked connection")
		return
	}
	w.writeHeader(code)
}

// writeHeader is WriteHeader on a connection known not to be hijacked.
func (w *response) writeHeader(code int) {
	if w.wroteHeader {
		w.logCaller("http: superfluous response.WriteHeader call")
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	bw := w.c.bw
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		// An informational response goes out at once; the header map
		// stays for the final one (RFC 8297). The snapshot, unused
		// until the final WriteHeader, serves as scratch.
		w.writeStatusLine(code)
		w.snapshot = appendFields(w.snapshot[:0], w.handlerHeader)
		for _, f := range w.snapshot {
			if f.name != "Content-Length" && f.name != "Transfer-Encoding" {
				writeField(bw, f.name, f.value)
			}
		}
		w.snapshot = w.snapshot[:0]
		bw.WriteString("\r\n")
		w.noteErr(bw.Flush())
		return
	}
	w.wroteHeader = true
	w.status = code

	// Later changes to the map are not the header's, only the trailers'.
	// As net/http, the snapshot is taken before an invalid Content-Length
	// leaves the map: the header keeps it.
	w.snapshot = w.snapshot[:0]
	for k, vs := range w.handlerHeader {
		switch k {
		case "Content-Type":
			w.keys.contentType = true
		case "Content-Length":
			w.keys.contentLength = true
		case "Date":
			w.keys.date = true
		case "Trailer":
			w.keys.trailer = len(vs) > 0
		}
		if !httpguts.ValidHeaderFieldName(k) {
			w.keys.trailerKeys = w.keys.trailerKeys || strings.HasPrefix(k, http.TrailerPrefix)
			continue
		}
		for _, v := range vs {
			w.snapshot = append(w.snapshot, field{k, v})
		}
	}
	sortFields(w.snapshot)
	if w.keys.trailer {
		for _, f := range w.snapshot {
			if f.name == "Trailer" {
				foreachElement(f.value, w.declareTrailer)
			}
		}
	}

	if cl := headerGet(w.handlerHeader, "Content-Length"); cl != "" {
		v, err := strconv.ParseInt(cl, 10, 64)
		if err == nil && v >= 0 {
			w.contentLength = v
		} else {
			w.c.s.logf("http: invalid Content-Length of %q", cl)
			delete(w.handlerHeader, "Content-Length")
		}
	}
}

func (w *response) declareTrailer(k string) {
	k = http.CanonicalHeaderKey(k)
	if !httpguts.ValidTrailerHeader(k) {
		return
	}
	w.trailers = append(w.trailers, k)
}

func (w *response) Write(p []byte) (int, error) {
	if !w.writable(len(p)) {
		return w.refusal(len(p))
	}
	if !w.sentHeader && len(w.pending)+len(p) <= bufferBeforeChunking {
		w.pending = append(w.pending, p...)
		return len(p), nil
	}
	return w.write(p, "")
}

func (w *response) WriteString(s string) (int, error) {
	if !w.writable(len(s)) {
		return w.refusal(len(s))
	}
	if !w.sentHeader && len(w.pending)+len(s) <= bufferBeforeChunking {
		w.pending = append(w.pending, s...)
		return len(s), nil
	}
	return w.write(nil, s)
}

// writable applies net/http's checks before a write of n bytes.
func (w *response) writable(n int) bool {
	if w.hijacked() {
		return false
	}
	if !w.wroteHeader {
		w.writeHeader(http.StatusOK)
	}
	if n == 0 || !bodyAllowed(w.status) {
		return false
	}
	w.written += int64(n) // even when refused, as net/http
	return w.contentLength == -1 || w.written <= w.contentLength
}

// refusal is the answer to a write writable refused.
func (w *response) refusal(n int) (int, error) {
	switch {
	case w.hijacked():
		if n > 0 {
			w.logCaller("http: response.Write on hijacked connection")
		}
		return 0, http.ErrHijacked
	case n == 0:
		return 0, nil
	case !bodyAllowed(w.status):
		return 0, http.ErrBodyNotAllowed
	}
	return 0, http.ErrContentLength
}

// write writes p, or s when p is nil, past the held body: the header
// goes out first.
func (w *response) write(p []byte, s string) (int, error) {
	if !w.sentHeader {
		w.sendHeader(w.sniffData(p, s))
		w.writeChunk(w.pending, "")
		w.pending = w.pending[:0]
	}
	w.writeChunk(p, s)
	if w.werr != nil {
		return 0, w.werr
	}
	return len(p) + len(s), nil
}

// sniffData is the start of the body, the held part then p or s, for
// sniffing its type.
func (w *response) sniffData(p []byte, s string) []byte {
	if len(w.pending) >= sniffLen {
		return w.pending
	}
	if len(w.pending) == 0 && p != nil {
		return p
	}
	b := append(w.sniff[:0], w.pending...)
	if p != nil {
		return append(b, p[:min(len(p), sniffLen-len(b))]...)
	}
	return append(b, s[:min(len(s), sniffLen-len(b))]...)
}

// writeChunk writes body bytes, p or else s, into the write buffer,
// framed.
func (w *response) writeChunk(p []byte, s string) {
	n := len(p) + len(s)
	if n == 0 || w.req.Method == "HEAD" || w.werr != nil {
		return
	}
	bw := w.c.bw
	if w.chunking {
		bw.Write(strconv.AppendInt(w.scratch[:0], int64(n), 16))
		bw.WriteString("\r\n")
	}
	var err error
	if p != nil {
		_, err = bw.Write(p)
	} else {
		_, err = bw.WriteString(s)
	}
	if w.chunking && err == nil {
		_, err = bw.WriteString("\r\n")
	}
	w.noteErr(err)
}

func (w *response) noteErr(err error) {
	if err != nil && w.werr == nil {
		w.werr = err
		w.c.rwc.Close()
	}
}

// flushBody sends the header if it is not out yet, with the held body.
func (w *response) flushBody() {
	if !w.sentHeader {
		w.sendHeader(w.pending)
		w.writeChunk(w.pending, "")
		w.pending = w.pending[:0]
	}
}

// Flush sends the header and what the body holds.
func (w *response) Flush() { w.FlushError() }

// FlushError is Flush that reports the write's error, for
// http.ResponseController. Unlike net/http's, which would write a header
// on the hijacked connection, it refuses after a hijack.
func (w *response) FlushError() error {
	if w.hijacked() {
		return http.ErrHijacked
	}
	if !w.wroteHeader {
		w.writeHeader(http.StatusOK)
	}
	w.flushBody()
	w.noteErr(w.c.bw.Flush())
	return w.werr
}

// SetReadDeadline and SetWriteDeadline serve http.ResponseController.
func (w *response) SetReadDeadline(t time.Time) error { return w.c.rwc.SetReadDeadline(t) }
func (w *response) SetWriteDeadline(t time.Time) error {
	w.c.writeDeadlineSet = true // cleared after the response (serveRequest)
	return w.c.rwc.SetWriteDeadline(t)
}

// EnableFullDuplex serves http.ResponseController: as with net/http, the
// request body is then not read to its end before the header goes out,
// but once the handler returned.
func (w *response) EnableFullDuplex() error {
	w.fullDuplex = true
	return nil
}

// Hijack hands the connection to the handler, as net/http's does: a
// header written is sent first (without the body held back).
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.handlerDone {
		panic("net/http: Hijack called after ServeHTTP finished")
	}
	if w.wroteHeader && !w.sentHeader {
		w.sendHeader(nil)
		w.pending = w.pending[:0]
	}
	return w.c.hijack()
}

// CloseNotify serves the deprecated http.CloseNotifier, which handlers
// and wrappers of net/http's ResponseWriter still assert: the channel
// receives true once the request's context ends, which it does when the
// client leaves (see watch.go).
func (w *response) CloseNotify() <-chan bool {
	if w.handlerDone {
		panic("net/http: CloseNotify called after ServeHTTP finished")
	}
	if w.closeNotify == nil {
		ch := make(chan bool, 1)
		context.AfterFunc(w.req.Context(), func() { ch <- true })
		w.closeNotify = ch
	}
	return w.closeNotify
}

// writerOnly hides a writer's ReadFrom from io.Copy.
type writerOnly struct{ io.Writer }

var copyBufPool = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// ReadFrom is net/http's: the first 512 bytes go through Write, then the
// header goes out and, for a body that is not chunked, the rest goes to
// the connection's ReadFrom (sendfile, splice).
func (w *response) ReadFrom(src io.Reader) (n int64, err error) {
	buf := copyBufPool.Get().(*[32 << 10]byte)
	defer copyBufPool.Put(buf)
	rf, ok := w.c.rwc.(io.ReaderFrom)
	if !ok {
		return io.CopyBuffer(writerOnly{w}, src, buf[:])
	}
	if !w.sentHeader {
		n0, err := io.CopyBuffer(writerOnly{w}, io.LimitReader(src, sniffLen), buf[:])
		n += n0
		if err != nil || n0 < sniffLen {
			return n, err
		}
	}
	w.flushBody()
	w.noteErr(w.c.bw.Flush())
	if !w.chunking && bodyAllowed(w.status) && w.req.Method != "HEAD" {
		n0, err := rf.ReadFrom(src)
		n += n0
		w.written += n0
		return n, err
	}
	n0, err := io.CopyBuffer(writerOnly{w}, src, buf[:])
	return n + n0, err
}

// finish completes the response once the handler returned: the header if
// it is not out yet, the held body, the last chunk and the trailers; then
// it flushes.
func (w *response) finish() {
	w.handlerDone = true
	if !w.wroteHeader {
		w.writeHeader(http.StatusOK)
	}
	w.flushBody()
	if w.chunking && w.werr == nil {
		bw := w.c.bw
		bw.WriteString("0\r\n")
		if t := w.finalTrailers(); t != nil {
			w.noteErr(t.Write(bw))
		}
		bw.WriteString("\r\n")
	}
	w.noteErr(w.c.bw.Flush())
	if w.fullDuplex && w.rb != nil && !w.closeAfter {
		// As net/http's closing of the body: what is left of it, up to
		// the limit, is read to keep the connection.
		w.rb.discard(maxPostHandlerReadBytes - 1)
	}
}

// finalTrailers are the trailer fields, as net/http's finalTrailers.
func (w *response) finalTrailers() http.Header {
	var t http.Header
	for k, vv := range w.handlerHeader {
		if kk, found := strings.CutPrefix(k, http.TrailerPrefix); found {
			if t == nil {
				t = make(http.Header)
			}
			t[kk] = vv
		}
	}
	for _, k := range w.trailers {
		if t == nil {
			t = make(http.Header)
		}
		for _, v := range w.handlerHeader[k] {
			t.Add(k, v)
		}
	}
	return t
}

// reusable reports whether the connection may carry another request,
// as net/http's shouldReuseConnection.
func (w *response) reusable() bool {
	if w.closeAfter || w.werr != nil {
		return false
	}
	if w.req.Method != "HEAD" && w.contentLength != -1 && bodyAllowed(w.status) && w.contentLength != w.written {
		return false // too short: the client would wait for the rest
	}
	if w.rb != nil {
		if n, err := w.rb.unread(); n > 0 || err != nil {
			return false
		}
	}
	return true
}

// sendHeader writes the status line and header fields into the write
// buffer, as net/http's chunkWriter.writeHeader; p is the start of the
// body, for the Content-Length of a body that is whole and for sniffing.
func (w *response) sendHeader(p []byte) {
	w.sentHeader = true
	isHEAD := w.req.Method == "HEAD"
	keepAlives := w.c.s.keepAlives()
	var (
		contentType, connection, transferEncoding string
		contentLength                             []byte
	)
	// Snapshot fields left out.
	var dropConnection, dropContentType, dropContentLength, dropTE bool

	trailers := w.keys.trailerKeys || w.keys.trailer
	te := snapGet(w.snapshot, "Transfer-Encoding")
	hasTE := te != ""

	if w.handlerDone && !trailers && !hasTE && bodyAllowed(w.status) && !w.keys.contentLength && (!isHEAD || len(p) > 0) {
		w.contentLength = int64(len(p))
		contentLength = strconv.AppendInt(w.clBuf[:0], int64(len(p)), 10)
	}
	hasCL := w.contentLength != -1
	connField := snapGet(w.snapshot, "Connection")
	if connField == "close" || !keepAlives {
		w.closeAfter = true
	}
	// A request body the handler left: read and drop it to keep the
	// connection, unless 256 KiB or more are left. Read to its end, the
	// body is closed: the handler reads no more of it, as with net/http.
	if w.rb != nil && !w.closeAfter && !w.fullDuplex {
		switch w.rb.discard(maxPostHandlerReadBytes - 1) {
		case discardDone:
			w.rb.Close()
		case discardTooBig:
			dropConnection, connection, connField = true, "close", ""
			w.closeAfter = true
		case discardFailed:
			w.closeAfter = true
		}
	}

	if bodyAllowed(w.status) {
		hasCE := snapGet(w.snapshot, "Content-Encoding") != ""
		if !hasCE && !w.keys.contentType && !hasTE && len(p) > 0 {
			contentType = http.DetectContentType(p)
		}
	} else {
		dropContentType = w.status == http.StatusNotModified
		dropContentLength, dropTE = true, true
	}
	if hasCL && hasTE && te != "identity" {
		w.c.s.logf("http: WriteHeader called with both Transfer-Encoding of %q and a Content-Length of %d", te, w.contentLength)
		dropContentLength, hasCL = true, false
	}
	switch {
	case isHEAD || !bodyAllowed(w.status) || w.status == http.StatusNoContent:
		dropTE = true
	case hasCL:
		dropTE = true
	case te == "identity":
		w.chunking = false
		w.closeAfter = true
		dropTE = true
	default:
		w.chunking = true
		transferEncoding = "chunked"
		if te == "chunked" {
			dropTE = true
		}
	}
	if w.chunking {
		dropContentLength = true // an invalid one the handler set
	}
	if w.closeAfter && (!keepAlives || !hasToken(connField, "close")) && !w.protocolSwitch(dropConnection) {
		dropConnection, connection = true, "close"
	}

	w.writeStatusLine(w.status)
	bw := w.c.bw
	for _, f := range w.snapshot {
		switch f.name {
		case "Connection":
			if dropConnection {
				continue
			}
		case "Content-Type":
			if dropContentType {
				continue
			}
		case "Content-Length":
			if dropContentLength {
				continue
			}
		case "Transfer-Encoding":
			if dropTE {
				continue
			}
		}
		writeField(bw, f.name, f.value)
	}
	// The fields added, in net/http's order.
	if !w.keys.date {
		writeCleanField(bw, "Date", httpDate())
	}
	if contentLength != nil {
		bw.WriteString("Content-Length: ")
		bw.Write(contentLength)
		bw.WriteString("\r\n")
	}
	if contentType != "" {
		writeCleanField(bw, "Content-Type", contentType)
	}
	if connection != "" {
		writeCleanField(bw, "Connection", connection)
	}
	if transferEncoding != "" {
		writeCleanField(bw, "Transfer-Encoding", transferEncoding)
	}
	_, err := bw.WriteString("\r\n")
	w.noteErr(err)
}

// protocolSwitch reports a 101 response with an Upgrade field and an
// upgrade Connection token, whose Connection net/http leaves alone;
// noConnection says the Connection fields are dropped.
func (w *response) protocolSwitch(noConnection bool) bool {
	if w.status != http.StatusSwitchingProtocols || noConnection || snapGet(w.snapshot, "Upgrade") == "" {
		return false
	}
	for _, f := range w.snapshot {
		if f.name == "Connection" && httpguts.HeaderValuesContainsToken([]string{f.value}, "Upgrade") {
			return true
		}
	}
	return false
}

// writeField writes a field line as net/http's Header.Write: CR and LF in
// the value made spaces, spaces around it trimmed.
func writeField(bw *bufio.Writer, name, value string) {
	if strings.IndexByte(value, '\n') >= 0 || strings.IndexByte(value, '\r') >= 0 {
		value = newlineToSpace.Replace(value)
	}
	writeCleanField(bw, name, textproto.TrimString(value))
}

// writeCleanField writes a field line whose value needs no cleaning.
func writeCleanField(bw *bufio.Writer, name, value string) {
	bw.WriteString(name)
	bw.WriteString(": ")
	bw.WriteString(value)
	bw.WriteString("\r\n")
}

func (w *response) writeStatusLine(code int) {
	bw := w.c.bw
	bw.WriteString("HTTP/1.1 ")
	if text := http.StatusText(code); text != "" {
		bw.Write(strconv.AppendInt(w.scratch[:0], int64(code), 10))
		bw.WriteByte(' ')
		bw.WriteString(text)
		bw.WriteString("\r\n")
		return
	}
	fmt.Fprintf(bw, "%03d status code %d\r\n", code, code)
}

// appendFields appends h's fields with valid names, sorted by name.
func appendFields(fs []field, h http.Header) []field {
	start := len(fs)
	for k, vs := range h {
		if !httpguts.ValidHeaderFieldName(k) {
			continue
		}
		for _, v := range vs {
			fs = append(fs, field{k, v})
		}
	}
	sortFields(fs[start:])
	return fs
}

// sortFields sorts fields by name, the values of a name in their order.
func sortFields(fs []field) {
	slices.SortStableFunc(fs, func(a, b field) int { return strings.Compare(a.name, b.name) })
}

var newlineToSpace = strings.NewReplacer("\n", " ", "\r", " ")

// snapGet returns the first value of k, as Header.Get.
func snapGet(fs []field, k string) string {
	for _, f := range fs {
		if f.name == k {
			return f.value
		}
	}
	return ""
}

// headerGet is Header.Get for a canonical key, without canonicalizing.
func headerGet(h http.Header, k string) string {
	if vs := h[k]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// hasToken is net/http's: whether the lower-case token appears in v,
// in any case, between spaces, tabs, commas or v's ends.
func hasToken(v, token string) bool {
	if len(token) > len(v) || token == "" {
		return false
	}
	if v == token {
		return true
	}
	for sp := 0; sp <= len(v)-len(token); sp++ {
		if b := v[sp]; b != token[0] && b|0x20 != token[0] {
			continue
		}
		if sp > 0 && !isTokenBoundary(v[sp-1]) {
			continue
		}
		if end := sp + len(token); end != len(v) && !isTokenBoundary(v[end]) {
			continue
		}
		if strings.EqualFold(v[sp:sp+len(token)], token) {
			return true
		}
	}
	return false
}

func isTokenBoundary(b byte) bool { return b == ' ' || b == ',' || b == '\t' }

func bodyAllowed(status int) bool {
	return !(status >= 100 && status <= 199 || status == 204 || status == 304)
}

// foreachElement calls fn for each comma-separated element of v.
func foreachElement(v string, fn func(string)) {
	for f := range strings.SplitSeq(v, ",") {
		if f = textproto.TrimString(f); f != "" {
			fn(f)
		}
	}
}

// logCaller logs msg with the handler's line that caused it, as net/http.
func (w *response) logCaller(msg string) {
	pc := make([]uintptr, 16)
	n := runtime.Callers(2, pc)
	frames := runtime.CallersFrames(pc[:n])
	pkg := reflect.TypeFor[response]().PkgPath()
	var frame runtime.Frame
	for more := true; more; {
		frame, more = frames.Next()
		f := frame.Function
		if !strings.HasPrefix(f, "net/http.") && !strings.HasPrefix(f, pkg+".(*response).") && !strings.HasPrefix(f, pkg+".writerOnly.") {
			break
		}
	}
	w.c.s.logf("%s from %s (%s:%d)", msg, frame.Function, path.Base(frame.File), frame.Line)
}

// httpDate is the current time as a Date field, formatted once a second.
func httpDate() string {
	now := time.Now()
	sec := now.Unix()
	if d := dateCache.Load(); d != nil && d.sec == sec {
		return d.s
	}
	d := &cachedDate{sec: sec, s: now.UTC().Format(http.TimeFormat)}
	dateCache.Store(d)
	return d.s
}

type cachedDate struct {
	sec int64
	s   string
}

var dateCache atomic.Pointer[cachedDate]

var (
	_ http.Flusher       = (*response)(nil)
	_ http.CloseNotifier = (*response)(nil) //nolint:staticcheck // as net/http's
	_ http.Hijacker      = (*response)(nil)
	_ io.StringWriter    = (*response)(nil)
	_ io.ReaderFrom      = (*response)(nil)
)
