package h1

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"
)

// Limits bound what one response may hold. A zero field takes its default.
type Limits struct {
	// MaxHeaderBytes caps the status line and header fields with their
	// line endings; it caps the trailer fields of a chunked body too.
	// Default 64 KiB.
	MaxHeaderBytes int
	// MaxHeaders caps the number of header fields, and of trailer fields.
	// Default 100.
	MaxHeaders int
}

// Default limits.
const (
	DefaultMaxHeaderBytes = 64 << 10
	DefaultMaxHeaders     = 100
	// maxChunkLine caps a chunk-size line with its extensions.
	maxChunkLine = 4 << 10
	// bufSize is the size of a pooled read buffer: a status line and the
	// usual header fields fit; a larger header grows it up to the limit.
	bufSize = 4 << 10
)

func (l Limits) withDefaults() Limits {
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxHeaders <= 0 {
		l.MaxHeaders = DefaultMaxHeaders
	}
	return l
}

// ProtocolError is a response that breaks HTTP/1.1's syntax or framing, or
// the reader's limits. The connection it came on must be closed.
type ProtocolError struct {
	Reason string
}

func (e *ProtocolError) Error() string { return "h1: malformed response: " + e.Reason }

// The protocol errors, allocated once.
var (
	errStatusLine       = &ProtocolError{"bad status line"}
	errVersion          = &ProtocolError{"unsupported HTTP version"}
	errStatusCode       = &ProtocolError{"bad status code"}
	errLineEnding       = &ProtocolError{"line not ended by CRLF"}
	errFieldName        = &ProtocolError{"bad header field name"}
	errFieldValue       = &ProtocolError{"bad header field value"}
	errHeaderTooLarge   = &ProtocolError{"header too large"}
	errTooManyFields    = &ProtocolError{"too many header fields"}
	errContentLength    = &ProtocolError{"bad Content-Length"}
	errConflictLength   = &ProtocolError{"conflicting Content-Length values"}
	errLengthAndChunked = &ProtocolError{"both Content-Length and Transfer-Encoding"}
	errTransferEncoding = &ProtocolError{"unsupported Transfer-Encoding"}
	errChunkLine        = &ProtocolError{"bad chunk size line"}
	errChunkEnd         = &ProtocolError{"chunk data not followed by CRLF"}
	errTrailer          = &ProtocolError{"bad trailer section"}
	errTruncatedHeader  = &ProtocolError{"connection closed inside the header"}
)

// errNoProgress guards against a reader that returns nothing, forever.
var errNoProgress = errors.New("h1: connection returned no data")

// bufPool holds read buffers of bufSize bytes.
var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// body framing of the current response
type framing uint8

const (
	bodyNone    framing = iota // no body, or read to its end
	bodyLength                 // Content-Length bytes
	bodyChunked                // chunked transfer coding
	bodyClose                  // until the connection closes
)

// Reader reads HTTP/1.1 responses from one connection: [Reader.ReadResponse]
// reads a status line and header fields, then [Reader.Read] streams that
// response's body. Its buffer comes from a pool while it holds unread data
// or a response is being read, and goes back with [Reader.Release]. The zero
// value is not usable; see [NewReader].
type Reader struct {
	src    io.Reader
	limits Limits
	buf    []byte
	pooled *[]byte // buf's pool entry, when buf came from the pool
	r, w   int     // buf[r:w] is read from src and not consumed
	err    error   // the error src returned last, once buf is drained

	mode     framing
	remain   int64 // bytes left in the body, or in the current chunk
	chunkEnd bool  // the current chunk's data was read; its CRLF is next
	done     bool  // the body was read to its end and framing held
	trailers []Trailer
}

// Trailer is one trailer field of a chunked body.
type Trailer struct {
	Name, Value string
}

// NewReader returns a reader of responses from src, within limits.
func NewReader(src io.Reader, limits Limits) *Reader {
	return &Reader{src: src, limits: limits.withDefaults()}
}

// Buffered reports how many bytes were read from the connection and not
// consumed: after a response's body, anything buffered is data the
// upstream sent unasked, and the connection must not be reused.
func (r *Reader) Buffered() int { return r.w - r.r }

// Release gives the buffer back to the pool; a later read takes another.
// Buffered bytes are discarded.
func (r *Reader) Release() {
	if r.pooled != nil {
		bufPool.Put(r.pooled)
	}
	r.buf, r.pooled = nil, nil
	r.r, r.w = 0, 0
}

// fill reads more from src into the buffer, compacting it first and
// growing it, when full, up to limit bytes.
func (r *Reader) fill(limit int) error {
	if r.err != nil {
		return r.err
	}
	if r.buf == nil {
		r.pooled = bufPool.Get().(*[]byte)
		r.buf = *r.pooled
	}
	if r.r > 0 {
		n := copy(r.buf, r.buf[r.r:r.w])
		r.r, r.w = 0, n
	}
	if r.w == len(r.buf) {
		if len(r.buf) >= limit {
			return errHeaderTooLarge
		}
		nb := make([]byte, min(2*len(r.buf), limit))
		copy(nb, r.buf[:r.w])
		if r.pooled != nil {
			bufPool.Put(r.pooled)
			r.pooled = nil
		}
		r.buf = nb
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err != nil {
			r.err = err
		}
		if n > 0 || err != nil {
			if n > 0 {
				return nil
			}
			return err
		}
	}
	return errNoProgress
}

// ReadResponse reads the status line and header fields of the next
// response into resp, and prepares Read to stream its body. method is the
// request's: a response to HEAD has no body. A 1xx response is returned
// like any other, without a body; the caller reads the next one.
//
// It returns io.EOF when the connection closed before the first byte of the
// response, a *ProtocolError for a malformed response, or the connection's
// error. resp's fields (Field, Reason) stay valid until the next Read.
func (r *Reader) ReadResponse(resp *Response, method string) error {
	resp.reset()
	r.mode, r.remain, r.chunkEnd, r.done, r.trailers = bodyNone, 0, false, false, r.trailers[:0]
	limit := r.limits.MaxHeaderBytes
	scanned, lineStart := 0, 0 // offsets from r.r
	for {
		i := bytes.IndexByte(r.buf[r.r+scanned:r.w], '\n')
		if i < 0 {
			scanned = r.w - r.r
			if scanned >= limit {
				return errHeaderTooLarge
			}
			if err := r.fill(limit); err != nil {
				if err == io.EOF {
					if scanned == 0 {
						return io.EOF
					}
					return errTruncatedHeader
				}
				return err
			}
			continue
		}
		end := scanned + i // the LF, from r.r
		if end >= limit {
			return errHeaderTooLarge
		}
		if end == lineStart || r.buf[r.r+end-1] != '\r' {
			return errLineEnding
		}
		line := r.buf[r.r+lineStart : r.r+end-1]
		switch {
		case lineStart == 0:
			if err := resp.parseStatus(line); err != nil {
				return err
			}
		case len(line) == 0:
			resp.raw = r.buf[r.r : r.r+end+1]
			r.r += end + 1
			return r.frame(resp, method)
		default:
			if len(resp.fields) == r.limits.MaxHeaders {
				return errTooManyFields
			}
			f, err := parseField(line, int32(lineStart))
			if err != nil {
				return err
			}
			resp.fields = append(resp.fields, f)
		}
		lineStart, scanned = end+1, end+1
	}
}

// frame decides how resp's body is delimited (RFC 9112, section 6.3).
func (r *Reader) frame(resp *Response, method string) error {
	length := int64(-1)
	chunked, keepAlive := false, false
	teFields := 0
	for i := range resp.fields {
		name, value := resp.Field(i)
		switch {
		case equalFold(name, "content-length"):
			n, err := parseContentLength(value, length)
			if err != nil {
				return err
			}
			length = n
		case equalFold(name, "transfer-encoding"):
			teFields++
			if teFields > 1 || !equalFold(value, "chunked") {
				return errTransferEncoding
			}
			chunked = true
		case equalFold(name, "connection"):
			for tok := range bytes.SplitSeq(value, []byte{','}) {
				tok = trimOWS(tok)
				switch {
				case equalFold(tok, "close"):
					resp.Close, resp.connClose = true, true
				case equalFold(tok, "keep-alive"):
					keepAlive = true
				}
			}
		}
	}
	if resp.ProtoMinor == 0 && !keepAlive {
		resp.Close = true
	}
	if chunked && (length >= 0 || resp.ProtoMinor == 0) {
		if length >= 0 {
			return errLengthAndChunked
		}
		return errTransferEncoding // HTTP/1.0 has no transfer codings
	}
	resp.Chunked = chunked
	switch {
	case method == "HEAD":
		resp.ContentLength = length
		r.done = true
	case resp.StatusCode < 200 || resp.StatusCode == 204 || resp.StatusCode == 304:
		resp.ContentLength = 0
		r.done = true
	case chunked:
		resp.ContentLength = -1
		r.mode = bodyChunked
	case length >= 0:
		resp.ContentLength = length
		r.mode, r.remain = bodyLength, length
		r.done = length == 0
		if r.done {
			r.mode = bodyNone
		}
	default:
		resp.ContentLength = -1
		resp.Close = true
		r.mode = bodyClose
	}
	return nil
}

// bodyBuffered reports whether the rest of the current response's body,
// of a known length, is in the buffer: reading it never touches the
// connection.
func (r *Reader) bodyBuffered() bool {
	return r.mode == bodyLength && r.remain <= int64(r.w-r.r)
}

// resume forgets a timeout of the connection, so that reading goes on
// once its deadline was moved.
func (r *Reader) resume() {
	if errors.Is(r.err, os.ErrDeadlineExceeded) {
		r.err = nil
	}
}

// Done reports whether the current response's body was read to its end,
// framing intact: only then may the connection carry another request.
func (r *Reader) Done() bool { return r.done }

// Trailers returns the trailer fields of a chunked body read to its end.
func (r *Reader) Trailers() []Trailer { return r.trailers }

// Read reads the current response's body. It returns io.EOF with the last
// bytes, io.ErrUnexpectedEOF when the connection closed before the body's
// end, and a *ProtocolError when the chunked framing is broken.
func (r *Reader) Read(p []byte) (int, error) {
	switch r.mode {
	case bodyLength:
		n, err := r.readData(p, r.remain)
		r.remain -= int64(n)
		if r.remain == 0 {
			r.mode, r.done = bodyNone, true
			return n, io.EOF
		}
		return n, err
	case bodyChunked:
		return r.readChunked(p)
	case bodyClose:
		n, err := r.readData(p, int64(len(p)))
		if err == io.ErrUnexpectedEOF {
			r.mode, r.done = bodyNone, true
			return n, io.EOF
		}
		return n, err
	}
	return 0, io.EOF
}

// readData reads up to limit bytes of body data into p: from the buffer
// when it holds some, else straight from the connection.
func (r *Reader) readData(p []byte, limit int64) (int, error) {
	if int64(len(p)) > limit {
		p = p[:limit]
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r.r < r.w {
		n := copy(p, r.buf[r.r:r.w])
		r.r += n
		return n, nil
	}
	if r.err != nil {
		return 0, r.bodyErr(r.err)
	}
	for range 100 {
		n, err := r.src.Read(p)
		if err != nil {
			r.err = err
			if n == 0 {
				return 0, r.bodyErr(err)
			}
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, errNoProgress
}

func (r *Reader) bodyErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (r *Reader) readChunked(p []byte) (int, error) {
	for {
		if r.chunkEnd {
			if err := r.readCRLF(); err != nil {
				return 0, err
			}
			r.chunkEnd = false
		}
		if r.remain > 0 {
			n, err := r.readData(p, r.remain)
			r.remain -= int64(n)
			if r.remain == 0 {
				r.chunkEnd = true
			}
			return n, err
		}
		line, err := r.readLine(maxChunkLine, errChunkLine)
		if err != nil {
			return 0, err
		}
		size, err := parseChunkSize(line)
		if err != nil {
			return 0, err
		}
		if size == 0 {
			if err := r.readTrailers(); err != nil {
				return 0, err
			}
			r.mode, r.done = bodyNone, true
			return 0, io.EOF
		}
		r.remain = size
		if len(p) == 0 {
			return 0, nil
		}
	}
}

// readCRLF consumes the CRLF after a chunk's data.
func (r *Reader) readCRLF() error {
	for r.w-r.r < 2 {
		if err := r.fill(bufSize); err != nil {
			return r.bodyErr(err)
		}
	}
	if r.buf[r.r] != '\r' || r.buf[r.r+1] != '\n' {
		return errChunkEnd
	}
	r.r += 2
	return nil
}

// readLine returns the next CRLF-ended line, without its CRLF, valid until
// the next read; a line longer than limit is tooLong.
func (r *Reader) readLine(limit int, tooLong error) ([]byte, error) {
	scanned := 0
	for {
		i := bytes.IndexByte(r.buf[r.r+scanned:r.w], '\n')
		if i >= 0 {
			end := scanned + i
			if end > limit {
				return nil, tooLong
			}
			if end == 0 || r.buf[r.r+end-1] != '\r' {
				return nil, errLineEnding
			}
			line := r.buf[r.r : r.r+end-1]
			r.r += end + 1
			return line, nil
		}
		scanned = r.w - r.r
		if scanned > limit {
			return nil, tooLong
		}
		if err := r.fill(max(bufSize, limit+2)); err != nil {
			if err == errHeaderTooLarge {
				return nil, tooLong
			}
			return nil, r.bodyErr(err)
		}
	}
}

// readTrailers reads the trailer section after the last chunk, within the
// header limits.
func (r *Reader) readTrailers() error {
	total := 0
	for {
		line, err := r.readLine(r.limits.MaxHeaderBytes-total, errHeaderTooLarge)
		if err != nil {
			return err
		}
		total += len(line) + 2
		if len(line) == 0 {
			return nil
		}
		if len(r.trailers) == r.limits.MaxHeaders {
			return errTooManyFields
		}
		f, err := parseField(line, 0)
		if err != nil {
			return errTrailer
		}
		r.trailers = append(r.trailers, Trailer{
			Name:  string(line[f.ns:f.ne]),
			Value: string(line[f.vs:f.ve]),
		})
	}
}
