package gateway

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/portico-gw/portico/internal/platform/problem"
	"github.com/portico-gw/portico/internal/platform/requestid"
)

// RedirectHandler serves the cleartext listener of
// server.tls.redirect_http: every request gets 308 Permanent Redirect to
// the same host, path and query over HTTPS, on server.tls.redirect_http.port
// or else on httpsPort, the port the public listener bound. The host is
// the request's own, and only when it is one valid host[:port] that a
// serving certificate covers, so the redirect can never send a client to
// a host this gateway does not serve (400 or 421 otherwise, as problem
// documents). Nothing is proxied.
func (g *Gateway) RedirectHandler(httpsPort int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.redirect(w, r, httpsPort)
	})
}

func (g *Gateway) redirect(w http.ResponseWriter, r *http.Request, httpsPort int) {
	rt := g.rt.Load()
	w.Header().Set(requestid.Header, requestid.FromRequest(r))
	refuse := func(p *problem.Problem) {
		g.tlsm.redirects.WithLabelValues("refused").Inc()
		problem.Write(w, r, p)
	}
	if p, _ := rt.limits.check(r); p != nil {
		refuse(p)
		return
	}
	if r.Host == "" || !validRequestHost(r) {
		refuse(problem.BadRequest("The request's host is not one valid host[:port]."))
		return
	}
	path := requestPath(r)
	if !strings.HasPrefix(path, "/") {
		refuse(problem.BadRequest("The request target is not a path."))
		return
	}
	host := strings.ToLower(hostWithoutPort(r.Host))
	if rt.tls == nil || !rt.tls.store.Snapshot().CoversHost(strings.TrimSuffix(host, ".")) {
		refuse(problem.New(http.StatusMisdirectedRequest, "misdirected-request", "Misdirected request",
			"This host is not served over HTTPS here."))
		return
	}
	if rd := rt.tls.cfg.RedirectHTTP; rd != nil && rd.Port > 0 {
		httpsPort = rd.Port
	}
	loc := "https://" + host
	if httpsPort != 443 {
		loc += ":" + strconv.Itoa(httpsPort)
	}
	loc += path
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusPermanentRedirect)
	g.tlsm.redirects.WithLabelValues("redirected").Inc()
}

// hostWithoutPort returns the host of h, a valid host[:port], keeping the
// brackets of an IPv6 address.
func hostWithoutPort(h string) string {
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i >= 0 {
			return h[:i+1]
		}
		return h
	}
	if i := strings.IndexByte(h, ':'); i >= 0 {
		return h[:i]
	}
	return h
}
