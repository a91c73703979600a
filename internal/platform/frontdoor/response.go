package frontdoor

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// bufferBeforeChunking is how much body a response holds before its
// header goes out: a handler that ends within it gets a Content-Length,
// as with net/http.
const bufferBeforeChunking = 2048

// response is the http.ResponseWriter of one request; a connection keeps
// one and resets it for each request.
type response struct {
	c   *conn
	req *http.Request
	rb  *body // nil without a body

	handlerHeader http.Header
	snapshot      []field // the header as it was at WriteHeader
	keys          struct {
		// Keys in the map at WriteHeader, even with no value: a nil
		// value keeps net/http from adding the field.
		contentType, contentLength, date, trailerKeys bool
	}
	trailers      []string
	status        int
	wroteHeader   bool // WriteHeader was called with a final status
	sentHeader    bool // the header went into the write buffer
	handlerDone   bool
	contentLength int64 // declared by the handler, or -1
	written       int64
	chunking      bool
	closeAfter    bool
	flushed       bool // the handler flushed: the body is streamed
	werr          error
	pending       []byte // body held back until the header is sent
	sniff         [512]byte
	scratch       [32]byte // status codes and chunk sizes
	clBuf         [20]byte // the Content-Length added
}

// field is one header field line of the snapshot.
type field struct{ name, value string }

func (w *response) reset(req *http.Request, rb *body) {
	if w.handlerHeader == nil {
		w.handlerHeader = make(http.Header, 8)
		w.pending = make([]byte, 0, bufferBeforeChunking)
	}
	clear(w.handlerHeader)
	w.req, w.rb = req, rb
	w.snapshot = w.snapshot[:0]
	w.trailers = w.trailers[:0]
	w.status, w.wroteHeader, w.sentHeader, w.handlerDone = 0, false, false, false
	w.contentLength, w.written = -1, 0
	w.chunking, w.closeAfter, w.flushed = false, req.Close, false
	w.werr = nil
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
	if w.wroteHeader {
		w.c.s.logf("http: superfluous response.WriteHeader call")
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		// An informational response goes out at once; the header map
		// stays for the final one (RFC 8297).
		w.writeStatusLine(code)
		for _, f := range fieldsOf(w.handlerHeader, true) {
			writeField(w.c.bw, f.name, f.value)
		}
		w.c.bw.WriteString("\r\n")
		w.noteErr(w.c.bw.Flush())
		return
	}
	w.wroteHeader = true
	w.status = code
	if cl := headerGet(w.handlerHeader, "Content-Length"); cl != "" {
		v, err := strconv.ParseInt(cl, 10, 64)
		if err == nil && v >= 0 {
			w.contentLength = v
		} else {
			w.c.s.logf("http: invalid Content-Length of %q", cl)
			delete(w.handlerHeader, "Content-Length")
		}
	}
	// Later changes to the map are not the header's, only the trailers'.
	w.snapshot = appendFields(w.snapshot[:0], w.handlerHeader)
	_, w.keys.contentType = w.handlerHeader["Content-Type"]
	_, w.keys.contentLength = w.handlerHeader["Content-Length"]
	_, w.keys.date = w.handlerHeader["Date"]
	w.keys.trailerKeys = false
	for k := range w.handlerHeader {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			w.keys.trailerKeys = true
			break
		}
	}
	for _, f := range w.snapshot {
		if f.name == "Trailer" {
			foreachElement(f.value, w.declareTrailer)
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
	return w.write(p)
}

func (w *response) WriteString(s string) (int, error) {
	if !w.writable(len(s)) {
		return w.refusal(len(s))
	}
	if !w.sentHeader && len(w.pending)+len(s) <= bufferBeforeChunking {
		w.pending = append(w.pending, s...)
		return len(s), nil
	}
	return w.write([]byte(s))
}

// writable applies net/http's checks before a write of n bytes.
func (w *response) writable(n int) bool {
	if w.hijacked() {
		return false
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if n == 0 || !bodyAllowed(w.status) {
		return false
	}
	w.written += int64(n)
	return w.contentLength == -1 || w.written <= w.contentLength
}

// refusal is the answer to a write writable refused.
func (w *response) refusal(n int) (int, error) {
	switch {
	case w.hijacked():
		return 0, http.ErrHijacked
	case n == 0:
		return 0, nil
	case !bodyAllowed(w.status):
		return 0, http.ErrBodyNotAllowed
	}
	return 0, http.ErrContentLength
}

func (w *response) write(p []byte) (int, error) {
	if !w.sentHeader {
		if len(w.pending)+len(p) <= bufferBeforeChunking {
			w.pending = append(w.pending, p...)
			return len(p), nil
		}
		w.sendHeader(w.sniffData(p))
		w.writeChunk(w.pending)
		w.pending = w.pending[:0]
	}
	w.writeChunk(p)
	if w.werr != nil {
		return 0, w.werr
	}
	return len(p), nil
}

// sniffData is the start of the body, for sniffing its type.
func (w *response) sniffData(p []byte) []byte {
	if len(w.pending) == 0 {
		return p
	}
	if len(w.pending) >= len(w.sniff) {
		return w.pending
	}
	b := append(w.sniff[:0], w.pending...)
	return append(b, p[:min(len(p), len(w.sniff)-len(b))]...)
}

// writeChunk writes body bytes into the write buffer, framed.
func (w *response) writeChunk(p []byte) {
	if len(p) == 0 || w.req.Method == "HEAD" || w.werr != nil {
		return
	}
	bw := w.c.bw
	if w.chunking {
		bw.Write(strconv.AppendInt(w.scratch[:0], int64(len(p)), 16))
		bw.WriteString("\r\n")
	}
	_, err := bw.Write(p)
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

// Flush sends the header and what the body holds.
func (w *response) Flush() { w.FlushError() }

// FlushError is Flush that reports the write's error, for
// http.ResponseController.
func (w *response) FlushError() error {
	if w.hijacked() {
		return http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.flushed = true
	if !w.sentHeader {
		w.sendHeader(w.pending)
		w.writeChunk(w.pending)
		w.pending = w.pending[:0]
	}
	w.noteErr(w.c.bw.Flush())
	return w.werr
}

// SetReadDeadline and SetWriteDeadline serve http.ResponseController.
func (w *response) SetReadDeadline(t time.Time) error  { return w.c.rwc.SetReadDeadline(t) }
func (w *response) SetWriteDeadline(t time.Time) error { return w.c.rwc.SetWriteDeadline(t) }

// EnableFullDuplex is accepted: reading the body while writing the
// response is always possible here.
func (w *response) EnableFullDuplex() error { return nil }

// Hijack hands the connection to the handler, as net/http's does.
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.c.hijack()
}

// finish completes the response once the handler returned: the header if
// it is not out yet, the held body, the last chunk and the trailers; then
// it flushes.
func (w *response) finish() {
	w.handlerDone = true
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.sentHeader {
		w.sendHeader(w.pending)
		w.writeChunk(w.pending)
		w.pending = w.pending[:0]
	}
	if w.chunking && w.werr == nil {
		bw := w.c.bw
		bw.WriteString("0\r\n")
		if t := w.finalTrailers(); t != nil {
			w.noteErr(t.Write(bw))
		}
		bw.WriteString("\r\n")
	}
	w.noteErr(w.c.bw.Flush())
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
// buffer, with the fields net/http's chunkWriter.writeHeader adds; p is
// the start of the body, for the Content-Length of a body that is whole
// and for sniffing.
func (w *response) sendHeader(p []byte) {
	w.sentHeader = true
	isHEAD := w.req.Method == "HEAD"
	var (
		contentType, connection, transferEncoding string
		contentLength                             []byte
	)
	// Snapshot fields left out.
	var dropConnection, dropContentType, dropContentLength, dropTE bool

	trailers := w.keys.trailerKeys || len(w.trailers) > 0
	te := snapGet(w.snapshot, "Transfer-Encoding")
	hasTE := te != ""

	if w.handlerDone && !trailers && !hasTE && bodyAllowed(w.status) && !w.keys.contentLength && (!isHEAD || len(p) > 0) {
		w.contentLength = int64(len(p))
		contentLength = strconv.AppendInt(w.clBuf[:0], int64(len(p)), 10)
	}
	hasCL := w.contentLength != -1
	if snapGet(w.snapshot, "Connection") == "close" || !w.c.s.keepAlives() {
		w.closeAfter = true
	}
	// A request body the handler left: read and drop up to 256 KiB of it
	// to keep the connection, or close it.
	if w.rb != nil && !w.closeAfter {
		switch w.rb.discard(maxPostHandlerReadBytes) {
		case discardTooBig:
			dropConnection, connection = true, "close"
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
	case hasTE && te == "identity":
		w.chunking = false
		w.closeAfter = true
		dropTE = true
	default:
		w.chunking = true
		transferEncoding = "chunked"
		if hasTE && te == "chunked" {
			dropTE = true
		}
	}
	if w.closeAfter && connection == "" && !httpguts.HeaderValuesContainsToken(snapValues(w.snapshot, "Connection"), "close") {
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
	if contentType != "" {
		writeField(bw, "Content-Type", contentType)
	}
	if connection != "" {
		writeField(bw, "Connection", connection)
	}
	if transferEncoding != "" {
		writeField(bw, "Transfer-Encoding", transferEncoding)
	}
	if !w.keys.date {
		writeField(bw, "Date", httpDate())
	}
	if contentLength != nil {
		bw.WriteString("Content-Length: ")
		bw.Write(contentLength)
		bw.WriteString("\r\n")
	}
	_, err := bw.WriteString("\r\n")
	w.noteErr(err)
}

func writeField(bw *bufio.Writer, name, value string) {
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

// fieldsOf is appendFields into a new slice; noBody leaves out
// Content-Length and Transfer-Encoding, as for a 1xx response.
func fieldsOf(h http.Header, noBody bool) []field {
	fs := appendFields(nil, h)
	if !noBody {
		return fs
	}
	return slices.DeleteFunc(fs, func(f field) bool {
		return f.name == "Content-Length" || f.name == "Transfer-Encoding"
	})
}

// appendFields appends h's field lines as net/http writes them: names in
// order, invalid names and trailer keys left out, CR and LF in values
// made spaces, values trimmed.
func appendFields(fs []field, h http.Header) []field {
	start := len(fs)
	for k, vs := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) || !httpguts.ValidHeaderFieldName(k) {
			continue
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				v = newlineToSpace.Replace(v)
			}
			fs = append(fs, field{k, textproto.TrimString(v)})
		}
	}
	slices.SortStableFunc(fs[start:], func(a, b field) int { return strings.Compare(a.name, b.name) })
	return fs
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

// snapValues returns k's values.
func snapValues(fs []field, k string) []string {
	var vs []string
	for _, f := range fs {
		if f.name == k {
			vs = append(vs, f.value)
		}
	}
	return vs
}

// headerGet is Header.Get for a canonical key, without canonicalizing.
func headerGet(h http.Header, k string) string {
	if vs := h[k]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

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
	_ http.Flusher    = (*response)(nil)
	_ http.Hijacker   = (*response)(nil)
	_ io.StringWriter = (*response)(nil)
)
