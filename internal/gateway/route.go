package gateway

import (
	"log/slog"
	"net/http"
	"net/http/httputil"
	"strconv"
	"time"

	"github.com/portico-gw/portico/internal/gateway/aggregate"
	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/gateway/router"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// route is a compiled config.Route: everything the hot path needs, resolved
// once per configuration.
type route struct {
	name       string
	label      string   // the service label in metrics and logs: the service, "aggregate" or "static"
	service    *service // nil for an aggregate or static route
	plan       *aggregate.Plan
	static     *staticHandler
	rewrite    *router.Rewrite // nil: the matched path goes upstream unchanged
	stripQuery bool
	timeout    time.Duration
	maxBody    int64
	attempts   int // 0: the service's
	reqRules   headerRules
	respRules  headerRules
	cors       *corsPolicy
	// authenticate is set when callers must authenticate (auth is
	// configured and the route is not public); policy then says who may.
	authenticate bool
	policy       *policy
	// hsts is the Strict-Transport-Security value sent over TLS, or "".
	hsts string
	// clientCert, when set, admits only verified client certificates.
	clientCert *certPolicy
	// rate, when set, are the rate limits that apply to the route.
	rate *routeRate
	// proxy proxies the route's requests; nil unless the route has a
	// service.
	proxy *routeProxy
	m     *routeMetrics
}

func (g *Gateway) compileRoute(rc *config.Route, svc *service, srv *config.Server, trusted trustedProxies) (*route, error) {
	rt := &route{
		name:       rc.Name,
		service:    svc,
		stripQuery: rc.StripQuery,
		maxBody:    int64(srv.MaxBody),
		reqRules:   compileHeaderRules(rc.RequestHeaders),
		respRules:  compileHeaderRules(rc.ResponseHeaders),
		cors:       compileCORS(rc.CORS, rc.Methods),
		policy:     compilePolicy(rc.Require),
		hsts:       hstsValue(rc.HSTS),
		clientCert: compileCertPolicy(rc.ClientCert),
	}
	if svc == nil {
		rt.label = aggregateLabel
		if rc.Static != nil {
			rt.label = staticLabel
		}
		rt.m = g.m.forRoute(rc.Name, rt.label)
		if rc.MaxBody > 0 {
			rt.maxBody = int64(rc.MaxBody)
		}
		return rt, nil
	}
	rt.label = svc.name
	rt.timeout = svc.timeout
	rt.m = g.m.forRoute(rc.Name, svc.name)
	if rc.Rewrite != "" {
		rw, err := router.ParseRewrite(rc.Rewrite)
		if err != nil {
			return nil, err
		}
		rt.rewrite = rw
	}
	if rc.Timeout > 0 {
		rt.timeout = rc.Timeout.D()
	}
	if rc.MaxBody > 0 {
		rt.maxBody = int64(rc.MaxBody)
	}
	if rc.Retry != nil && *rc.Retry != svc.up.MaxAttempts() {
		rt.attempts = *rc.Retry // only an override costs a context value per request
	}
	rt.proxy = &routeProxy{
		ReverseProxy: httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				in, out := pr.In, pr.Out
				peer := peerAddr(in)
				setForwarded(in, out.Header, peer, trusted.contains(peer))
				rt.rewriteRequest(g, out)
			},
			Transport:      svc.transport,
			FlushInterval:  0, // event streams and unknown-length bodies flush at once
			ErrorLog:       slog.NewLogLogger(g.log.Handler(), slog.LevelDebug),
			BufferPool:     g.buffers,
			ModifyResponse: rt.modifyResponse,
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				g.proxyError(rt, w, r, err)
			},
		},
		g:       g,
		rt:      rt,
		trusted: trusted,
		fast:    svc.transport.usesFastPath(),
	}
	return rt, nil
}

// rewriteRequest applies what the route changes in an upstream request
// once its forwarding fields are set, on both proxy paths: strip_query,
// the request rules, and trace propagation.
func (rt *route) rewriteRequest(g *Gateway, out *http.Request) {
	if rt.stripQuery {
		out.URL.RawQuery = ""
	}
	rt.reqRules.apply(out.Header)
	if g.tracing {
		g.propagator.Inject(out.Context(), headerCarrier(out.Header))
	}
}

// modifyResponse is the proxy's ModifyResponse hook: it removes what a
// service must not tell the client, then applies the route's response
// rules.
func (rt *route) modifyResponse(resp *http.Response) error {
	stripIdentityHeaders(resp.Header)
	delete(resp.Header, "X-Request-Id") // the gateway's own is already set
	if rt.cors != nil {
		stripUpstreamCORS(resp.Header)
	}
	if rt.hsts != "" {
		// The route's policy, already set when the request came
		// over TLS, is the only one: over cleartext none is sent.
		delete(resp.Header, "Strict-Transport-Security")
	}
	if rt.rate != nil {
		// The gateway's limits are the route's; a service's own
		// fields would mix policies the client cannot tell apart.
		delete(resp.Header, "Ratelimit")
		delete(resp.Header, "Ratelimit-Policy")
	}
	rt.respRules.apply(resp.Header)
	return nil
}

// proxyError answers a failed upstream exchange with a problem document:
// 504 on timeout, 503 when the breaker is open or no target is eligible,
// 413 when the body outgrew its cap, 502 otherwise; when the client went
// away nothing is written and 499 is logged.
func (g *Gateway) proxyError(rt *route, w http.ResponseWriter, r *http.Request, err error) {
	kind := classify(r.Context(), err)
	st := stateOf(w)
	if st != nil {
		if st.body != nil && st.body.timedOut() {
			// Checked first: on HTTP/1 the failed read has also canceled
			// the request, which would read as a client that left.
			kind = kindBodyTimeout
		}
		st.kind = kind
	}
	rt.service.errors(kind).Inc()
	if kind != kindCanceled && kind != kindBodyTimeout {
		g.log.WarnContext(r.Context(), "upstream failed",
			slog.String("route", rt.name), slog.String("service", rt.service.name),
			slog.String("kind", string(kind)), slog.String("error", err.Error()))
	}
	var p *problem.Problem
	switch kind {
	case kindCanceled:
		if st != nil && !st.wroteHeader {
			st.status = statusClientClosed
			st.wroteHeader = true
		}
		return
	case kindBodyTimeout:
		if st != nil && st.wroteHeader {
			return
		}
		p = problem.RequestTimeout("The request body arrived too slowly.")
		if r.ProtoMajor == 1 {
			w.Header().Set("Connection", "close") // on HTTP/2 only the stream ends
		}
	case kindTimeout:
		p = problem.GatewayTimeout("The upstream service did not answer in time.")
	case kindCircuitOpen:
		p = problem.Unavailable("circuit-open", "The upstream service is failing; requests are paused briefly.")
		// The rest of the breaker's open time, which backs off from a
		// second: a fixed value would hold clients back longer than the
		// gateway itself waits before trying the service again.
		w.Header().Set("Retry-After", strconv.FormatInt(max(1, ceilSeconds(rt.service.up.RetryAfter())), 10))
	case kindNoTarget:
		p = problem.Unavailable("no-healthy-target", "No instance of the upstream service is available.")
		w.Header().Set("Retry-After", "5")
	case kindBodyTooLarge:
		p = problem.BodyTooLarge("The request body exceeds the limit of this route.")
		w.Header().Set("Connection", "close")
	default:
		p = problem.BadGateway("The upstream service failed to answer.")
	}
	p.With("service", rt.service.name)
	problem.Write(w, r, p)
}

// aggregateLabel is the service label of aggregate routes.
const aggregateLabel = "aggregate"

// statusClientClosed is logged (never sent) when the client left before
// the response was ready, as nginx does.
const statusClientClosed = 499
