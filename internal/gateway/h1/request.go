package h1

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpguts"
)

// wbufPool holds the buffers a request's line and header fields are
// written into, with a small body when it fits, so that most requests are
// one write.
var wbufPool = sync.Pool{New: func() any { b := make([]byte, 0, bufSize); return &b }}

// copyPool holds the buffers a large or unknown-length request body is
// copied through.
var copyPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

var (
	errHeaderName  = errors.New("h1: invalid request header field name")
	errHeaderValue = errors.New("h1: invalid request header field value")
	errTarget      = errors.New("h1: invalid request target or host")
	errBodyLength  = errors.New("h1: request body shorter than its Content-Length")
)

// validField checks what net/http's Transport checks of a request's
// header field: its name is a token, its values hold no control
// characters but HTAB.
func validField(k string, vv []string) error {
	if !httpguts.ValidHeaderFieldName(k) {
		return errHeaderName
	}
	for _, v := range vv {
		if !httpguts.ValidHeaderFieldValue(v) {
			return errHeaderValue
		}
	}
	return nil
}

// invalidRequest reports the errors of a request writeRequest refused
// before writing anything: the connection is as it was.
func invalidRequest(err error) bool {
	return err == errHeaderName || err == errHeaderValue || err == errTarget
}

// validTarget reports whether s may be sent as the request target or the
// Host: visible characters only.
func validTarget(s string) bool {
	for i := range len(s) {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}

// writeRequest writes req's line, header fields and body to cn. It
// reports whether it has also waited for the response (see writeWhole),
// with the response header's deadline set.
func (cn *conn) writeRequest(ctx context.Context, req *http.Request) (awaited bool, err error) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	target := req.URL.Opaque
	if target == "" {
		target = req.URL.EscapedPath()
		if target == "" {
			target = "/"
		}
	}
	if !validTarget(host) || !validTarget(target) || !validTarget(req.URL.RawQuery) {
		return false, errTarget
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	hasBody := req.Body != nil && req.Body != http.NoBody
	length := req.ContentLength
	if !hasBody {
		length = 0
	} else if length == 0 {
		length = -1 // a body of unknown length
	}

	wp := wbufPool.Get().(*[]byte)
	defer func() {
		if cap(*wp) <= 4*bufSize {
			*wp = (*wp)[:0]
			wbufPool.Put(wp)
		}
	}()
	w := (*wp)[:0]
	w = append(w, method...)
	w = append(w, ' ')
	w = append(w, target...)
	if req.URL.ForceQuery || req.URL.RawQuery != "" {
		w = append(w, '?')
		w = append(w, req.URL.RawQuery...)
	}
	w = append(w, " HTTP/1.1\r\nHost: "...)
	w = append(w, host...)
	w = append(w, "\r\n"...)
	for k, vv := range req.Header {
		// Checked while written, to go over the header once.
		if err := validField(k, vv); err != nil {
			return false, err
		}
		switch k {
		case "Host", "Content-Length", "Transfer-Encoding", "Trailer", "Connection":
			continue
		case "User-Agent":
			if len(vv) == 0 || vv[0] == "" {
				continue // net/http's way of sending none
			}
		}
		for _, v := range vv {
			w = append(w, k...)
			w = append(w, ": "...)
			w = append(w, v...)
			w = append(w, "\r\n"...)
		}
	}
	if req.Close {
		w = append(w, "Connection: close\r\n"...)
	} else if c := req.Header["Connection"]; len(c) > 0 {
		// The caller's own connection options, sent as given.
		for _, v := range c {
			w = append(w, "Connection: "...)
			w = append(w, v...)
			w = append(w, "\r\n"...)
		}
	}
	switch {
	case length > 0:
		w = append(w, "Content-Length: "...)
		w = strconv.AppendInt(w, length, 10)
		w = append(w, "\r\n"...)
	case length < 0:
		w = append(w, "Transfer-Encoding: chunked\r\n"...)
	case method == "POST" || method == "PUT" || method == "PATCH":
		w = append(w, "Content-Length: 0\r\n"...)
	}
	w = append(w, "\r\n"...)
	*wp = w

	if length > 0 && length <= int64(cap(w)-len(w)) && inMemory(req.Body) {
		// A small body already in memory goes in the same write; any other
		// is read after the header is sent, as net/http does, so that the
		// upstream sees the request even when the client's body is slow.
		n, err := io.ReadFull(req.Body, w[len(w):len(w)+int(length)])
		if err != nil {
			return false, bodyErr(err)
		}
		w = w[:len(w)+n]
		*wp = w
		return cn.writeWhole(ctx, w)
	}
	if !hasBody {
		return cn.writeWhole(ctx, w)
	}
	// The body's reads and writes may block for long: the context's end
	// must abort them.
	if err := cn.unbounded(ctx); err != nil {
		return false, err
	}
	if err := cn.write(w); err != nil {
		return false, err
	}
	cp := copyPool.Get().(*[]byte)
	defer copyPool.Put(cp)
	if length > 0 {
		return false, cn.copyBody(req.Body, length, *cp)
	}
	return false, cn.copyChunked(req.Body, *cp)
}

// writeWhole writes b, a whole request, and when the connection allows it
// waits for the response in the same pass through the poller (see
// writeWait), in the exchange's grace (see watchAfter); it reports whether
// it waited. Otherwise, or when the socket took only part of b, the
// exchange watches its context and the rest is written the ordinary way,
// with no deadline but the context's.
func (cn *conn) writeWhole(ctx context.Context, b []byte) (bool, error) {
	if !cn.ww.usable() {
		if err := cn.unbounded(ctx); err != nil {
			return false, err
		}
		return false, cn.write(b)
	}
	if err := cn.deadlineWithin(ctx, cn.startGrace(ctx)); err != nil {
		return false, err
	}
	n, err := cn.ww.do(b)
	if err != nil {
		return false, &writeError{err}
	}
	if n == len(b) {
		return true, nil
	}
	if err := cn.unbounded(ctx); err != nil {
		return false, err
	}
	return false, cn.write(b[n:])
}

// unbounded makes the exchange watch its context, which alone bounds it
// from now on: the connection's deadline goes. A pooled connection may
// still have the last exchange's (see conn.roundTrip), past by now, which
// would end the next write at once.
func (cn *conn) unbounded(ctx context.Context) error {
	cn.watch(ctx)
	return cn.deadlineWithin(ctx, time.Time{})
}

// startGrace sets cn.until, the deadline for the response's header: the
// response header timeout's or ctx's, whichever is sooner, or none; and
// cn.grace, when the grace ends before it. It returns the deadline the
// connection has first.
func (cn *conn) startGrace(ctx context.Context) time.Time {
	now := time.Now()
	var until time.Time
	if t := cn.h.opts.ResponseHeaderTimeout; t > 0 {
		until = now.Add(t)
	}
	if d, ok := ctx.Deadline(); ok && (until.IsZero() || d.Before(until)) {
		until = d
	}
	cn.until = until
	if grace := now.Add(watchAfter); until.IsZero() || grace.Before(until) {
		cn.grace = grace
		return grace
	}
	return until
}

// inMemory reports whether body is one of the readers whose Read never
// blocks.
func inMemory(body io.Reader) bool {
	switch body.(type) {
	case *bytes.Reader, *bytes.Buffer, *strings.Reader:
		return true
	}
	return false
}

func bodyErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errBodyLength
	}
	return err // the client's body failed: not a write error
}

func (cn *conn) write(b []byte) error {
	if _, err := cn.nc.Write(b); err != nil {
		return &writeError{err}
	}
	return nil
}

// copyBody sends exactly n bytes of body.
func (cn *conn) copyBody(body io.Reader, n int64, buf []byte) error {
	for n > 0 {
		chunk := buf
		if int64(len(chunk)) > n {
			chunk = chunk[:n]
		}
		k, err := body.Read(chunk)
		if k > 0 {
			if werr := cn.write(chunk[:k]); werr != nil {
				return werr
			}
			n -= int64(k)
		}
		if err != nil {
			if err == io.EOF && n == 0 {
				return nil
			}
			return bodyErr(err)
		}
	}
	return nil
}

// copyChunked sends a body of unknown length with the chunked coding, one
// chunk per read.
func (cn *conn) copyChunked(body io.Reader, buf []byte) error {
	const head = 18 // up to 16 hex digits and CRLF
	for {
		k, err := body.Read(buf[head : len(buf)-2])
		if k > 0 {
			size := strconv.AppendInt(buf[:0:head], int64(k), 16)
			start := head - len(size) - 2
			copy(buf[start:], size)
			buf[head-2], buf[head-1] = '\r', '\n'
			buf[head+k], buf[head+k+1] = '\r', '\n'
			if werr := cn.write(buf[start : head+k+2]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return cn.write([]byte("0\r\n\r\n"))
		}
		if err != nil {
			return err
		}
	}
}
