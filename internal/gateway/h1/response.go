package h1

// Response is the status line and header fields of one response, as
// [Reader.ReadResponse] read them. Its fields point into the reader's
// buffer: they stay valid until the body's first Read. The zero value is
// an empty response, ready for ReadResponse.
type Response struct {
	// ProtoMinor is 1 for HTTP/1.1, 0 for HTTP/1.0.
	ProtoMinor int
	// StatusCode is the three-digit status, 100 to 599.
	StatusCode int
	// ContentLength is what net/http's Response.ContentLength would be:
	// the body's length, -1 when unknown (chunked, or delimited by the
	// connection's close), 0 for a status without a body, and for a
	// response to HEAD the Content-Length it declares (or -1).
	ContentLength int64
	// Chunked is set when the body has the chunked transfer coding.
	Chunked bool
	// Close is set when the connection cannot carry another request after
	// this response: Connection: close, HTTP/1.0 without keep-alive, or a
	// body delimited by the close.
	Close bool

	raw    []byte // status line and fields with their CRLFs
	reason [2]int32
	fields []field
	// connClose is set when a Connection field holds "close".
	connClose bool
}

// field locates one header field in Response.raw.
type field struct {
	ns, ne, vs, ve int32
}

func (r *Response) reset() {
	r.ProtoMinor, r.StatusCode, r.ContentLength = 0, 0, -1
	r.Chunked, r.Close, r.connClose = false, false, false
	r.raw, r.reason, r.fields = nil, [2]int32{}, r.fields[:0]
}

// NumFields is the number of header fields.
func (r *Response) NumFields() int { return len(r.fields) }

// Field returns the name and value of the i-th header field, in the order
// received, the value without surrounding whitespace.
func (r *Response) Field(i int) (name, value []byte) {
	f := r.fields[i]
	return r.raw[f.ns:f.ne], r.raw[f.vs:f.ve]
}

// Reason returns the reason phrase, possibly empty.
func (r *Response) Reason() []byte { return r.raw[r.reason[0]:r.reason[1]] }

// Raw returns the status line and header fields as received, with the
// empty line that ends them.
func (r *Response) Raw() []byte { return r.raw }

// parseStatus parses "HTTP/1.x SP 3DIGIT [SP reason-phrase]". The space
// before an empty reason may be missing, as many servers send it.
func (r *Response) parseStatus(line []byte) error {
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || line[8] != ' ' {
		if len(line) >= 5 && string(line[:5]) == "HTTP/" {
			return errVersion
		}
		return errStatusLine
	}
	switch line[7] {
	case '0':
		r.ProtoMinor = 0
	case '1':
		r.ProtoMinor = 1
	default:
		return errVersion
	}
	code := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return errStatusCode
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 || code > 599 {
		return errStatusCode
	}
	r.StatusCode = code
	r.reason = [2]int32{12, 12}
	if len(line) == 12 {
		return nil
	}
	if line[12] != ' ' {
		return errStatusLine
	}
	for _, c := range line[13:] {
		if !isFieldByte(c) {
			return errStatusLine
		}
	}
	r.reason = [2]int32{13, int32(len(line))}
	return nil
}

// parseField parses "name: value" at offset off of the header block: a
// token before the colon, no whitespace there, and a value of visible
// characters, spaces and tabs (and obs-text), without surrounding
// whitespace.
func parseField(line []byte, off int32) (field, error) {
	colon := -1
	for i, c := range line {
		if c == ':' {
			colon = i
			break
		}
		if !isTokenByte(c) {
			return field{}, errFieldName
		}
	}
	if colon <= 0 {
		return field{}, errFieldName
	}
	vs, ve := colon+1, len(line)
	for vs < ve && (line[vs] == ' ' || line[vs] == '\t') {
		vs++
	}
	for ve > vs && (line[ve-1] == ' ' || line[ve-1] == '\t') {
		ve--
	}
	for _, c := range line[vs:ve] {
		if !isFieldByte(c) {
			return field{}, errFieldValue
		}
	}
	return field{ns: off, ne: off + int32(colon), vs: off + int32(vs), ve: off + int32(ve)}, nil
}

// parseContentLength parses a Content-Length value against prev, the
// length a previous field declared (-1 for none): several fields must
// agree (RFC 9112, section 6.3). A list in one field ("5, 5") is refused,
// as net/http refuses it.
func parseContentLength(v []byte, prev int64) (int64, error) {
	if len(v) == 0 || len(v) > 18 {
		return 0, errContentLength
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, errContentLength
		}
		n = n*10 + int64(c-'0')
	}
	if prev >= 0 && n != prev {
		return 0, errConflictLength
	}
	return n, nil
}

// parseChunkSize parses "chunk-size [chunk-ext]": hexadecimal digits,
// then optionally whitespace and extensions after ';', which are ignored.
func parseChunkSize(line []byte) (int64, error) {
	var n int64
	i := 0
	for ; i < len(line); i++ {
		c := line[i]
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			goto ext
		}
		if i >= 15 { // 15 hex digits stay below 2^60
			return 0, errChunkLine
		}
		n = n<<4 | int64(d)
	}
ext:
	if i == 0 {
		return 0, errChunkLine
	}
	rest := line[i:]
	for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
		rest = rest[1:]
	}
	if len(rest) > 0 {
		if rest[0] != ';' {
			return 0, errChunkLine
		}
		for _, c := range rest {
			if !isFieldByte(c) {
				return 0, errChunkLine
			}
		}
	}
	return n, nil
}

// isTokenByte reports whether c is a tchar (RFC 9110, section 5.6.2).
func isTokenByte(c byte) bool { return tokenTable[c] }

// isFieldByte reports whether c may appear in a field value or reason
// phrase: VCHAR, obs-text, SP and HTAB.
func isFieldByte(c byte) bool { return c == '\t' || (c >= ' ' && c != 0x7f) }

var tokenTable = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// equalFold reports whether b equals the lower-case ASCII s, ignoring case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// Head is what [Client.RoundTripHead] reads of a response.
type Head struct {
	// StatusCode is the final response's status.
	StatusCode int
	// ContentLength is as in [Response].
	ContentLength int64
	// ContentType is the first Content-Type field's value, "" without one.
	ContentType string
}

// commonTypes are Content-Type values that cost no string of their own.
var commonTypes = [...]string{
	"application/json",
	"application/json; charset=utf-8",
	"application/problem+json",
	"text/plain; charset=utf-8",
}

func (h *Head) set(r *Response) {
	h.StatusCode, h.ContentLength, h.ContentType = r.StatusCode, r.ContentLength, ""
	for _, f := range r.fields {
		if !equalFold(r.raw[f.ns:f.ne], "content-type") {
			continue
		}
		v := r.raw[f.vs:f.ve]
		for _, t := range commonTypes {
			if string(v) == t {
				h.ContentType = t
				return
			}
		}
		h.ContentType = string(v)
		return
	}
}
