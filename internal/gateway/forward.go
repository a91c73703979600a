package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/net/http/httpguts"
)

// routeProxy is a proxied route's proxy: httputil.ReverseProxy, whose
// hooks hold the gateway's rules, with the forwarder (forward) in front of
// it for the requests of a fast_path service that the fast path's client
// can send. Everything else goes through the ReverseProxy unchanged.
type routeProxy struct {
	httputil.ReverseProxy
	g       *Gateway
	rt      *route
	trusted trustedProxies
	// fast is set when the route's service has the fast path.
	fast bool
}

func (p *routeProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.fast && forwardable(r) {
		p.forward(w, r)
		return
	}
	p.ReverseProxy.ServeHTTP(w, r)
}

// forwardable reports whether the forwarder serves r: a request whose
// upstream request h1.Supports accepts (the scheme aside, which each
// attempt's target decides). Upgrades, Expect: 100-continue, trailers and
// TE: trailers (which ReverseProxy passes on, and so needs net/http) stay
// with the ReverseProxy. Any other TE is hop-by-hop and removed.
func forwardable(r *http.Request) bool {
	h := r.Header
	return len(r.Trailer) == 0 && h["Upgrade"] == nil && h["Expect"] == nil &&
		(h["Te"] == nil || !httpguts.HeaderValuesContainsToken(h["Te"], "trailers"))
}

// forwarder is the state of one forwarded request, in one allocation: the
// upstream request and its URL, the client trace that passes informational
// responses on, the guard on the client's body and the forwarding fields'
// values.
type forwarder struct {
	out   http.Request
	url   url.URL
	body  guardedBody
	trace httptrace.ClientTrace
	fwd   forwardedValues
	w     http.ResponseWriter

	mu   sync.Mutex // orders got1xx against the end of the round trip
	done bool       // the round trip returned: no 1xx may reach w now
}

// forward proxies r as httputil.ReverseProxy with the route's hooks does,
// step for step, without its generality: it sends the client's own header
// map upstream instead of a deep copy. That is safe because nothing reads
// r.Header after the proxy (the access log reads the request state, and
// net/http's server reads the header before the handler starts), the
// gateway's hygiene has already rewritten it in place, and the transports
// never modify it, so retries send it unchanged.
func (p *routeProxy) forward(w http.ResponseWriter, r *http.Request) {
	g, rt := p.g, p.rt
	f := &forwarder{w: w}
	f.trace.Got1xxResponse = f.got1xx
	f.out = *r.WithContext(httptrace.WithClientTrace(r.Context(), &f.trace))
	out := &f.out
	f.url = *r.URL
	out.URL = &f.url
	out.Close = false
	if r.ContentLength == 0 {
		out.Body = nil // a nil body lets idempotent requests be retried
	} else if out.Body != nil {
		// The guard keeps a transport from closing the client's body, and
		// from reading it after the handler returned.
		f.body.rc = out.Body
		out.Body = &f.body
		defer f.body.Close()
	}

	h := out.Header
	if h == nil {
		h = make(http.Header)
		out.Header = h
	}
	// The forwarding fields are set first, from the client's header as it
	// came (ReverseProxy reads them from its incoming request), and are
	// then spared by the hop-by-hop removal (ReverseProxy sets them after
	// it): the result is the same.
	peer := peerOf(w, r)
	f.fwd.set(r, h, peer, p.trusted.contains(peer))
	removeHopByHop(h, true)
	out.URL.RawQuery = cleanQuery(out.URL.RawQuery)
	rt.rewriteRequest(g, out)
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = nil // no value: no User-Agent is sent, not Go's
	}

	res, err := rt.service.transport.RoundTrip(out)
	f.mu.Lock()
	f.done = true
	f.mu.Unlock()
	if err != nil {
		g.proxyError(rt, w, out, err)
		return
	}
	if res.StatusCode == http.StatusSwitchingProtocols {
		// Nothing asked for an upgrade (see forwardable): as ReverseProxy
		// does, the response goes through the hook and is then refused.
		if !p.modifyResponse(w, res, out) {
			return
		}
		res.Body.Close()
		up := upgradeOf(res.Header)
		err := fmt.Errorf("backend tried to switch protocol %q when %q was requested", up, "")
		if !isPrint(up) {
			err = fmt.Errorf("backend tried to switch to invalid protocol %q", up)
		}
		g.proxyError(rt, w, out, err)
		return
	}
	removeHopByHop(res.Header, false)
	if !p.modifyResponse(w, res, out) {
		return
	}
	// ReverseProxy flushes each write at once (FlushInterval 0 with these
	// exceptions) for event streams and bodies of unknown length.
	flush := res.ContentLength == -1 || isEventStream(res.Header.Get("Content-Type"))
	moveHeader(w.Header(), res.Header)
	announced := len(res.Trailer)
	if announced > 0 {
		keys := make([]string, 0, announced)
		for k := range res.Trailer {
			keys = append(keys, k)
		}
		w.Header().Add("Trailer", strings.Join(keys, ", "))
	}
	w.WriteHeader(res.StatusCode)
	if flush {
		// ReverseProxy's latency writer flushes the header at once, so
		// that a client sees it before the body's first bytes come.
		http.NewResponseController(w).Flush()
	}

	if err := p.copyBody(w, res.Body, flush); err != nil {
		defer res.Body.Close()
		// The response has begun: all that is left is to abort it, which
		// net/http's server does quietly (finish logs it).
		if r.Context().Value(http.ServerContextKey) == nil {
			p.logf("suppressing panic for copyResponse error in test; copy error: %v", err)
			return
		}
		panic(http.ErrAbortHandler)
	}
	res.Body.Close() // now, not deferred: it completes res.Trailer
	if len(res.Trailer) > 0 {
		// Forces chunking, so that a short body gets no Content-Length.
		http.NewResponseController(w).Flush()
	}
	if len(res.Trailer) == announced {
		copyHeader(w.Header(), res.Trailer)
		return
	}
	for k, vv := range res.Trailer {
		k = http.TrailerPrefix + k
		for _, v := range vv {
			w.Header().Add(k, v)
		}
	}
}

// modifyResponse runs the route's ModifyResponse hook, the one
// ReverseProxy calls, and reports whether the response may go on; when
// the hook fails, the error is answered.
func (p *routeProxy) modifyResponse(w http.ResponseWriter, res *http.Response, out *http.Request) bool {
	if p.ModifyResponse == nil {
		return true
	}
	if err := p.ModifyResponse(res); err != nil {
		res.Body.Close()
		p.g.proxyError(p.rt, w, out, err)
		return false
	}
	return true
}

// copyBody streams the response body to w through a pooled buffer,
// flushing after each write when flush is set. It returns the first
// write error, or a read error other than io.EOF.
func (p *routeProxy) copyBody(w http.ResponseWriter, body io.Reader, flush bool) error {
	// The pool's entries themselves, rather than its BufferPool methods,
	// whose Put allocates a pointer to the slice each time.
	bp := p.g.buffers.p.Get().(*[]byte)
	defer p.g.buffers.p.Put(bp)
	buf := *bp
	for {
		n, rerr := body.Read(buf)
		if rerr != nil && rerr != io.EOF && rerr != context.Canceled {
			p.logf("httputil: ReverseProxy read error during body copy: %v", rerr)
		}
		if n > 0 {
			nw, werr := w.Write(buf[:n])
			if flush {
				http.NewResponseController(w).Flush()
			}
			if werr != nil {
				return werr
			}
			if nw != n {
				return io.ErrShortWrite
			}
		}
		if rerr != nil {
			if rerr == io.EOF {
				return nil
			}
			return rerr
		}
	}
}

// logf logs as ReverseProxy does, to its ErrorLog (debug level).
func (p *routeProxy) logf(format string, args ...any) {
	if p.ErrorLog != nil {
		p.ErrorLog.Printf(format, args...)
	}
}

// got1xx passes an informational response (103 Early Hints) on to the
// client as ReverseProxy does: the response's header so far goes with it,
// and is then cleared. net/http's Transport calls it from its read loop,
// so it stops once the round trip has returned.
func (f *forwarder) got1xx(code int, header textproto.MIMEHeader) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return nil
	}
	h := f.w.Header()
	copyHeader(h, http.Header(header))
	f.w.WriteHeader(code)
	clear(h)
	return nil
}

// errBodyAfterProxy is a read of the client's body after the proxy
// returned.
var errBodyAfterProxy = errors.New("gateway: read of a request body after the proxy returned")

// guardedBody is the client's request body as the upstream request
// carries it: Close does not close the client's body (a transport closes
// its request's body when it fails), and reads after it fail, so that a
// transport goroutine outliving the handler cannot read the body.
type guardedBody struct {
	rc     io.ReadCloser
	closed atomic.Bool
}

func (b *guardedBody) Read(p []byte) (int, error) {
	if b.closed.Load() {
		return 0, errBodyAfterProxy
	}
	return b.rc.Read(p)
}

func (b *guardedBody) Close() error {
	b.closed.Store(true)
	return nil
}

// hopHeaders are the hop-by-hop fields that go whether Connection names
// them or not (RFC 2616, section 13.5.1), as ReverseProxy has them.
var hopHeaders = [...]string{
	"Connection",
	"Proxy-Connection",
	"Keep-Alive",
	"Proxy-Authenticate",
	"Proxy-Authorization",
	"Te",
	"Trailer",
	"Transfer-Encoding",
	"Upgrade",
}

// removeHopByHop removes the fields h's Connection fields name (RFC 9110,
// section 7.6.1) and the fixed hop-by-hop fields, as ReverseProxy does.
// keepForwarding spares the forwarding fields the gateway set (see
// forward).
func removeHopByHop(h http.Header, keepForwarding bool) {
	for _, f := range h["Connection"] {
		for sf := range strings.SplitSeq(f, ",") {
			if sf = textproto.TrimString(sf); sf == "" {
				continue
			}
			k := textproto.CanonicalMIMEHeaderKey(sf)
			if keepForwarding && isForwardingField(k) {
				continue
			}
			delete(h, k)
		}
	}
	for _, k := range hopHeaders {
		delete(h, k)
	}
}

// isForwardingField reports whether k is one of the fields setForwarded
// writes.
func isForwardingField(k string) bool {
	switch k {
	case "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded":
		return true
	}
	return false
}

// copyHeader adds src's fields to dst.
func copyHeader(dst, src http.Header) {
	for k, vv := range src {
		for _, v := range vv {
			dst.Add(k, v)
		}
	}
}

// moveHeader adds src's fields to dst as copyHeader does, but hands src's
// value slices over where dst has no such field yet, instead of copying
// them value by value: src, a response's header, is not used after this.
func moveHeader(dst, src http.Header) {
	for k, vv := range src {
		if len(vv) == 0 {
			continue // copyHeader adds no field for it either
		}
		if _, ok := dst[k]; ok || http.CanonicalHeaderKey(k) != k {
			for _, v := range vv {
				dst.Add(k, v)
			}
			continue
		}
		dst[k] = vv
	}
}

// upgradeOf is the protocol an Upgrade field of h names, when Connection
// lists "upgrade".
func upgradeOf(h http.Header) string {
	if !httpguts.HeaderValuesContainsToken(h["Connection"], "Upgrade") {
		return ""
	}
	return h.Get("Upgrade")
}

// isPrint reports whether s is printable ASCII.
func isPrint(s string) bool {
	for i := range len(s) {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// isEventStream reports whether the media type of the Content-Type ct is
// text/event-stream, as mime.ParseMediaType reads it; without parameters
// it decides without that function's allocations.
func isEventStream(ct string) bool {
	const es = "text/event-stream"
	base, _, params := strings.Cut(ct, ";")
	base = strings.TrimSpace(base)
	if !strings.EqualFold(base, es) {
		return false
	}
	if !params {
		return true
	}
	mt, _, _ := mime.ParseMediaType(ct) // a malformed parameter list may make it ""
	return mt == es
}

// cleanQuery is what ReverseProxy sends of a query: re-encoded when it
// holds what url.ParseQuery would reject or read otherwise (a ';', a bad
// escape, too many parameters), unchanged otherwise. (ReverseProxy also
// re-encodes every query under GODEBUG=urlmaxqueryparams; the gateway
// does not set it.)
func cleanQuery(s string) string {
	reencode := func(s string) string {
		v, _ := url.ParseQuery(s)
		return v.Encode()
	}
	if strings.Count(s, "&")+1 > maxQueryParams {
		return reencode(s)
	}
	for i := 0; i < len(s); {
		switch s[i] {
		case ';':
			return reencode(s)
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return reencode(s)
			}
			i += 3
		default:
			i++
		}
	}
	return s
}

// maxQueryParams is net/url's cap on a query's parameters.
const maxQueryParams = 10000

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

var _ http.Handler = (*routeProxy)(nil)
