package aggregate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"golang.org/x/net/http/httpguts"
)

// maxDrain is how much of a failed response's body is read so that its
// connection can be reused; a longer body costs the connection instead.
const maxDrain = 4 << 10

// callResult is the end of one request.
type callResult struct {
	buf    *[]byte // the body, for KindOK, from the plan's pool
	kind   Kind
	status int
	reason string
	err    error
}

// call sends one request of step st and reads its answer. ctx bounds the
// call; e resolves the templates and holds the caller's input; h receives the answer's head (the
// caller's, so that a call allocates none); o, when not nil, is the
// outgoing the request is built in (see outgoing).
func (p *Plan) call(ctx context.Context, st *step, e *env, d Doer, h *Head, o *outgoing) callResult {
	hd, lean := d.(HeadDoer)
	if !lean {
		o = nil // a Doer may keep what its request holds
	}
	req, err := p.newRequest(ctx, st, e, o)
	if err != nil {
		var re *refError
		if errors.As(err, &re) {
			return callResult{kind: KindBadReference, err: err}
		}
		return callResult{kind: KindInternal, err: err}
	}
	var body io.ReadCloser
	if lean {
		body, err = hd.DoHead(ctx, st.service, req, h)
	} else {
		var resp *http.Response
		if resp, err = d.Do(ctx, st.service, req); err == nil {
			*h = Head{Status: resp.StatusCode, ContentLength: resp.ContentLength, ContentType: resp.Header.Get("Content-Type")}
			body = resp.Body
		}
	}
	if err != nil {
		kind, status, reason := classify(ctx, err)
		return callResult{kind: kind, status: status, reason: reason, err: fmt.Errorf("call %s: %w", st.service, err)}
	}
	return p.readResponse(ctx, st, h, body)
}

// outgoing is what a call's request holds besides the http.Request, in
// one allocation: its URL, its header and the values of the headers the
// plan sets. A step's slot keeps one, which its call reuses when the Doer
// is a HeadDoer (which keeps none of it once the body is closed).
type outgoing struct {
	url    url.URL
	vals   [3]string
	header http.Header // kept between runs, emptied
}

// newRequest builds the request of one call in o, or in a new outgoing
// when o is nil. Its path, query and deadline header share one string.
func (p *Plan) newRequest(ctx context.Context, st *step, e *env, o *outgoing) (*http.Request, error) {
	in := e.in
	scratch := p.getBuf()
	defer p.putBuf(scratch)
	b, err := st.path.expand((*scratch)[:0], e, escPath)
	if err != nil {
		return nil, err
	}
	if hasDotSegment(b) {
		return nil, &refError{ref: firstRef(st.path), reason: "makes a . or .. path segment"}
	}
	pathEnd := len(b)
	for _, q := range st.query {
		n := len(b)
		if n > pathEnd {
			b = append(b, '&')
		}
		b = append(b, q.name...)
		b = append(b, '=')
		m := len(b)
		if b, err = q.val.expand(b, e, escQuery); err != nil {
			return nil, err
		}
		if len(b) == m { // empty values are left out
			b = b[:n]
		}
	}
	queryEnd := len(b)
	ms := int64(0)
	if dl, ok := ctx.Deadline(); ok {
		ms = max(time.Until(dl).Milliseconds(), 0)
	}
	b = strconv.AppendInt(b, ms, 10)
	all := string(b)
	rawPath, rawQuery := all[:pathEnd], all[pathEnd:queryEnd]
	path := rawPath
	if strings.IndexByte(rawPath, '%') >= 0 {
		if path, err = url.PathUnescape(rawPath); err != nil {
			return nil, fmt.Errorf("path %q: %w", rawPath, err)
		}
	} else {
		rawPath = ""
	}

	if o == nil {
		o = &outgoing{}
	}
	o.url = url.URL{Path: path, RawPath: rawPath, RawQuery: rawQuery}
	req := &http.Request{
		Method:     st.method,
		URL:        &o.url,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
	}
	if st.body != nil {
		// The body is not pooled: a transport may read it after the
		// response arrives.
		jb, err := st.body.appendTo(make([]byte, 0, 256), e)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(jb))
		req.ContentLength = int64(len(jb))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(jb)), nil }
	}

	h := o.header
	if h == nil {
		h = make(http.Header, len(in.Header)+len(st.headers)+3)
		o.header = h
	}
	for k, vs := range in.Header {
		h[k] = vs[:len(vs):len(vs)] // an append by the Doer must not write into the caller's array
	}
	for _, hp := range st.headers {
		b = b[:0]
		if b, err = hp.val.expand(b, e, escRaw); err != nil {
			return nil, err
		}
		v := string(b)
		if !httpguts.ValidHeaderFieldValue(v) {
			return nil, &refError{ref: firstRef(hp.val), reason: "holds characters header " + hp.name + " cannot carry"}
		}
		h[hp.name] = []string{v}
	}
	vals := o.vals[:]
	vals[0], vals[1] = "application/json", all[queryEnd:]
	h["Accept"] = vals[0:1:1]
	h[DeadlineHeader] = vals[1:2:2]
	if st.body != nil {
		vals[2] = "application/json"
		h["Content-Type"] = vals[2:3:3]
	}
	if p.opts.Propagator != nil {
		p.opts.Propagator.Inject(ctx, propagation.HeaderCarrier(h))
	}
	req.Header = h
	return req.WithContext(ctx), nil
}

// firstRef returns a template's first reference, for error messages about
// what a template expanded to.
func firstRef(t *template) *ref {
	for _, p := range t.parts {
		if p.ref != nil {
			return p.ref
		}
	}
	return &ref{}
}

// hasDotSegment reports a "." or ".." segment in a path.
func hasDotSegment(path []byte) bool {
	for len(path) > 0 {
		i := bytes.IndexByte(path, '/')
		seg := path
		if i >= 0 {
			seg, path = path[:i], path[i+1:]
		} else {
			path = nil
		}
		if len(seg) > 0 && len(seg) <= 2 && (string(seg) == "." || string(seg) == "..") {
			return true
		}
	}
	return false
}

// readResponse checks and reads a response: only a 2xx JSON body within
// the step's cap is a result. The body is always closed.
func (p *Plan) readResponse(ctx context.Context, st *step, h *Head, body io.ReadCloser) callResult {
	defer body.Close()
	status := h.Status
	if status < 200 || status > 299 {
		io.CopyN(io.Discard, body, maxDrain)
		kind := KindStatus5xx
		switch {
		case status < 400:
			kind = KindStatus3xx
		case status < 500:
			kind = KindStatus4xx
		}
		return callResult{kind: kind, status: status, err: fmt.Errorf("%s answered %d", st.service, status)}
	}
	if status == http.StatusNoContent {
		buf := p.getBuf()
		*buf = append(*buf, "null"...)
		return callResult{buf: buf, kind: KindOK, status: status}
	}
	if ct := h.ContentType; !isJSONMediaType(ct) {
		io.CopyN(io.Discard, body, maxDrain)
		return callResult{kind: KindNotJSON, status: status, err: fmt.Errorf("%s answered content type %q", st.service, ct)}
	}
	if h.ContentLength > st.maxBody {
		return callResult{kind: KindTooLarge, status: status, err: fmt.Errorf("%s answered %d bytes, more than the cap of %d", st.service, h.ContentLength, st.maxBody)}
	}
	buf := p.getBuf()
	if n := int(h.ContentLength) + 1; n > cap(*buf) {
		*buf = make([]byte, 0, n)
	}
	b, over, err := readLimited(body, *buf, st.maxBody)
	*buf = b
	switch {
	case err != nil:
		p.putBuf(buf)
		kind, _, reason := classify(ctx, err)
		return callResult{kind: kind, status: status, reason: reason, err: fmt.Errorf("read %s's answer: %w", st.service, err)}
	case over:
		p.putBuf(buf)
		return callResult{kind: KindTooLarge, status: status, err: fmt.Errorf("%s answered more than the cap of %d bytes", st.service, st.maxBody)}
	case (!st.needTree || st.forEach != nil) && !validJSON(b):
		// Steps that decode validate while decoding, but a fan-out's
		// answers are decoded joined into one array, where an answer
		// "1,2" would pass as two items: each is validated alone.
		p.putBuf(buf)
		return callResult{kind: KindNotJSON, status: status, err: fmt.Errorf("%s answered invalid JSON", st.service)}
	}
	return callResult{buf: buf, kind: KindOK, status: status}
}

// readLimited appends r's content to dst; it stops and reports over once
// more than max bytes were read.
func readLimited(r io.Reader, dst []byte, max int64) ([]byte, bool, error) {
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if int64(len(dst)) > max {
			return dst, true, nil
		}
		if err == io.EOF {
			return dst, false, nil
		}
		if err != nil {
			return dst, false, err
		}
	}
}

// isJSONMediaType accepts application/json and any +json type.
func isJSONMediaType(ct string) bool {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	if strings.EqualFold(ct, "application/json") {
		return true
	}
	if len(ct) > 5 && strings.EqualFold(ct[len(ct)-5:], "+json") {
		mt, _, err := mime.ParseMediaType(ct)
		return err == nil && strings.HasPrefix(mt, "application/")
	}
	return false
}

// classify maps an error of a call to a kind. ctx is the call's context: if
// it ended, its reason wins over what the error says.
func classify(ctx context.Context, err error) (Kind, int, string) {
	var sc interface{ StatusCode() int }
	if errors.As(err, &sc) {
		reason := ""
		var fk interface{ FailureKind() string }
		if errors.As(err, &fk) {
			reason = tokenOrEmpty(fk.FailureKind())
		}
		return KindUnavailable, sc.StatusCode(), reason
	}
	switch ctx.Err() {
	case context.DeadlineExceeded:
		return KindTimeout, 0, ""
	case context.Canceled:
		return KindCanceled, 0, ""
	}
	var ne net.Error
	var op *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return KindTimeout, 0, ""
	case errors.Is(err, context.Canceled):
		return KindCanceled, 0, ""
	case errors.As(err, &op) && op.Op == "dial":
		return KindConnect, 0, ""
	}
	return KindTransport, 0, ""
}

// tokenOrEmpty returns s when it is a safe token for headers and labels.
func tokenOrEmpty(s string) string {
	if s == "" || len(s) > 64 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return ""
		}
	}
	return s
}
