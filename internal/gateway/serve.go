package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/router"
	"github.com/portico-gw/portico/internal/platform/deadline"
	"github.com/portico-gw/portico/internal/platform/problem"
	"github.com/portico-gw/portico/internal/platform/requestid"
)

// headerCarrier adapts http.Header to the OpenTelemetry propagator.
type headerCarrier = propagation.HeaderCarrier

// ServeHTTP handles one public request: id, limits, host, header hygiene,
// normalisation, routing, CORS, authentication, rate limits, body cap and
// pace, deadline, proxying (or composing, or serving a file), then metrics
// and the access log.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rt := g.rt.Load()
	g.m.inflight.Inc()
	st := getState(w)
	w = st
	defer g.finish(rt, st, r, start)

	id := requestid.FromRequest(r)
	st.requestID = id
	// The request and the response carry the id in one value slice: its
	// capacity of one makes an append to either copy it first.
	idValue := []string{id}
	w.Header()[requestid.Header] = idValue
	ctx := requestid.With(r.Context(), id)

	peer := st.setPeer(r)
	trusted := rt.trusted.contains(peer)
	st.client = peer
	if trusted {
		st.client = rt.trusted.clientAddr(r, peer)
	}

	// Limits measure the request as the client sent it, before the
	// gateway adds (X-Request-Id) or removes anything.
	if p, reason := rt.limits.check(r); p != nil {
		g.reject(w, r, p, reason)
		return
	}
	if !validRequestHost(r) {
		g.reject(w, r, problem.BadRequest("The request's host is not one valid host[:port]."), "bad_host")
		return
	}
	// Underscored names first, so that no spelling of a forwarding or
	// identity header outlives the hygiene after it.
	if !applyUnderscores(r.Header, rt.limits.underscores) {
		g.reject(w, r, problem.BadRequest("Header field names must not contain underscores."), "underscore_header")
		return
	}
	if !trusted {
		stripSpoofable(r.Header)
	}
	stripIdentityHeaders(r.Header)
	if st.cert = verifiedClientCert(r); st.cert != nil {
		st.certSubject, st.certFingerprint = setClientCertHeaders(r.Header, st.cert)
	}
	upgrade := sanitizeUpgrade(r.Header)
	r.Header[requestid.Header] = idValue
	// An HTTP/1 request framed with Transfer-Encoding may also have carried a
	// Content-Length that net/http dropped; RFC 9112 §6.1 asks an
	// intermediary to close such a connection after responding, and we cannot
	// tell the cases apart, so every chunked HTTP/1 request closes it.
	if r.ProtoMajor == 1 && len(r.TransferEncoding) > 0 {
		w.Header().Set("Connection", "close")
	}

	st.path = r.URL.Path
	path, err := router.Normalize(requestPath(r))
	if err != nil || hasDotSemicolonSegment(path) {
		g.reject(w, r, problem.BadRequest("The request path is malformed."), "bad_path")
		return
	}
	st.path = path
	method, preflight := r.Method, isPreflight(r)
	if preflight {
		method = r.Header.Get("Access-Control-Request-Method")
	}
	params := &st.params // in the pooled state: a local would escape
	rte, res, allow := rt.match(method, r.Host, path, params)
	switch res {
	case router.NotFound:
		g.reject(w, r, problem.NotFound("No route matches the request."), "no_route")
		return
	case router.MethodNotAllowed:
		w.Header().Set("Allow", strings.Join(allow, ", "))
		g.reject(w, r, problem.MethodNotAllowed("The route does not accept this method."), "method_not_allowed")
		return
	}
	st.route = rte
	if rte.hsts != "" && overTLS(r, trusted) {
		w.Header().Set("Strict-Transport-Security", rte.hsts)
	}

	if rte.cors != nil {
		if preflight {
			rte.cors.preflight(w, r)
			return
		}
		rte.cors.decorate(w.Header(), r.Header.Get("Origin"))
	}
	if rte.clientCert != nil {
		if p, reason := rte.clientCert.check(st.cert); p != nil {
			g.reject(w, r, p, reason)
			return
		}
	}

	var ident *authn.Result
	if rte.authenticate {
		id, cred, p, reason := g.authenticate(ctx, rt.auth, rte, r, params)
		if id == nil {
			if p == nil { // the client left while its credential was exchanged
				st.kind = kindCanceled
				st.status, st.wroteHeader = statusClientClosed, true
				return
			}
			switch p.Status {
			case http.StatusUnauthorized:
				w.Header().Set("WWW-Authenticate", `Bearer realm="portico"`)
			case http.StatusServiceUnavailable:
				w.Header().Set("Retry-After", "1")
			}
			g.reject(w, r, p, reason)
			return
		}
		ident = id
		st.subject = id.Subject
		if rte.proxy != nil {
			st.auth, st.cred = rt.auth, cred // for a logout in the upstream's answer
		}
	}

	// Rate limits, after authentication so that keys can name the caller.
	if rte.rate != nil && !g.limitRate(ctx, rt.rate, rte, st, r, params, ident) {
		return
	}

	if r.ContentLength > rte.maxBody {
		w.Header().Set("Connection", "close")
		g.reject(w, r, problem.BodyTooLarge("The request body exceeds the limit of this route."), "body_too_large")
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		if !upgrade { // a deadline must not outlive the request into an upgraded connection
			st.body = newDeadlineBody(r.Body, st.ResponseWriter, rt.limits.body, start)
			r.Body = st.body
		}
		r.Body = http.MaxBytesReader(w, r.Body, rte.maxBody)
	}

	// The upstream path of a proxied route: its rewrite, or the normalised
	// path that was matched, so the upstream sees exactly what was
	// authorised. (A composed route's steps name their own paths; a static
	// route reads its file's name from the matched path.)
	if rte.proxy != nil {
		upPath := path
		if rte.rewrite != nil {
			upPath = string(rte.rewrite.Expand(make([]byte, 0, len(path)+16), params))
		}
		r.URL.RawPath = upPath
		if r.URL.Path, err = url.PathUnescape(upPath); err != nil {
			g.reject(w, r, problem.BadRequest("The request path is malformed."), "bad_path")
			return
		}
	}

	if rte.timeout > 0 && !upgrade {
		// net/http's Transport waits on Done at once, which arms a
		// deadline.Timeout: for its routes, the timer from the start.
		if rte.proxy != nil && !rte.proxy.fast {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, rte.timeout)
			defer cancel()
		} else {
			dc := deadline.Timeout(ctx, time.Now().Add(rte.timeout))
			ctx = dc
			defer dc.Cancel()
		}
	}
	if rte.attempts > 0 {
		ctx = context.WithValue(ctx, attemptsKey{}, rte.attempts)
	}
	var span trace.Span
	if g.tracing {
		ctx = g.propagator.Extract(ctx, headerCarrier(r.Header))
		ctx, span = g.tracer.Start(ctx, rte.name, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(
				attribute.String("http.request.method", r.Method),
				attribute.String("http.route", rte.name),
				attribute.String("url.path", path),
				attribute.String("portico.service", rte.label),
			))
		defer func() {
			span.SetAttributes(attribute.Int("http.response.status_code", st.status))
			if st.status >= 500 {
				span.SetStatus(codes.Error, string(st.kind))
			}
			span.End()
		}()
	}
	switch {
	case rte.static != nil:
		rte.static.serve(w, r, path, params)
		return
	case rte.plan != nil:
		g.compose(rt, rte, w, r.WithContext(ctx), params, ident)
		return
	}
	rte.proxy.ServeHTTP(w, r.WithContext(ctx))
}

// reject answers a request refused before it reached an upstream.
func (g *Gateway) reject(w http.ResponseWriter, r *http.Request, p *problem.Problem, reason string) {
	g.m.rejected.WithLabelValues(reason).Inc()
	problem.Write(w, r, p)
}

// finish records metrics and the access log line, and returns the state to
// its pool. It runs deferred so that it also runs when the proxy aborts a
// response midway with http.ErrAbortHandler.
func (g *Gateway) finish(rt *runtime, st *reqState, r *http.Request, start time.Time) {
	rec := recover()
	g.m.inflight.Dec()
	if rec != nil && rec != http.ErrAbortHandler {
		// A bug, not a broken upstream: log it with its stack, answer 500 if
		// nothing was sent yet, and cut the response off if it was.
		g.log.Error("panic serving request", slog.String("request_id", st.requestID),
			slog.String("panic", fmt.Sprint(rec)), slog.String("stack", string(debug.Stack())))
		st.kind = "panic"
		if !st.wroteHeader {
			problem.Write(st, r, problem.Internal())
			rec = nil
		} else {
			rec = http.ErrAbortHandler
		}
	}
	d := time.Since(start)
	status := st.status
	if !st.wroteHeader {
		status = http.StatusOK
	}
	if rec != nil && st.kind == "" {
		st.kind = kindAborted
	}
	if st.body != nil && (st.kind == kindAborted || st.kind == kindCanceled) && st.body.timedOut() {
		st.kind = kindBodyTimeout // the body stalled after the response began
	}
	if st.route != nil {
		st.route.m.observe(status, d.Seconds())
	}
	if rt.accessLog {
		g.logRequest(r, st, status, start, d)
	}
	putState(st)
	if rec != nil {
		panic(rec) // http.ErrAbortHandler: net/http closes the connection quietly
	}
}

func (g *Gateway) logRequest(r *http.Request, st *reqState, status int, start time.Time, d time.Duration) {
	rec := record{
		at:        start,
		requestID: st.requestID,
		method:    r.Method,
		path:      st.path,
		status:    status,
		bytes:     st.bytes,
		duration:  d,
		client:    st.client,
		failure:   string(st.kind),
		subject:   st.subject,

		certSubject:     st.certSubject,
		certFingerprint: st.certFingerprint,
	}
	if st.route != nil {
		rec.route, rec.label = st.route.name, st.route.label
	}
	g.access.write(&rec)
}

// requestPath returns the path exactly as the client sent it. net/url
// re-escapes a path it considers invalid, which could turn "%2F" into "/"
// before normalisation sees it, so the raw request target is preferred.
func requestPath(r *http.Request) string {
	if u := r.RequestURI; len(u) > 0 && u[0] == '/' {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		return u
	}
	return router.RawRequestPath(r.URL)
}

// hasDotSemicolonSegment reports a segment such as "..;x" or ".;": servlet
// containers read it as a dot segment, so it could reach a path other than
// the one routed and authorised here.
func hasDotSemicolonSegment(path string) bool {
	return strings.Contains(path, "/..;") || strings.Contains(path, "/.;")
}
