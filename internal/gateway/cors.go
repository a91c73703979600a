package gateway

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/portico-gw/portico/internal/gateway/config"
)

// corsPolicy is a compiled config.CORS.
type corsPolicy struct {
	anyOrigin   bool
	anyMethod   bool
	origins     []string
	methods     string
	headers     string
	expose      string
	credentials bool
	maxAge      string
}

func compileCORS(c *config.CORS, routeMethods []string) *corsPolicy {
	if c == nil {
		return nil
	}
	p := &corsPolicy{credentials: c.AllowCredentials}
	for _, o := range c.AllowOrigins {
		if o == "*" {
			p.anyOrigin = true
			continue
		}
		p.origins = append(p.origins, strings.ToLower(o))
	}
	methods := c.AllowMethods
	if len(methods) == 0 {
		methods = routeMethods
	}
	// No list at all (a route without methods), or "*": any method; the
	// preflight answer then names the method asked for.
	p.anyMethod = len(methods) == 0 || slices.Contains(methods, "*")
	p.methods = strings.Join(methods, ", ")
	p.headers = strings.Join(c.AllowHeaders, ", ")
	p.expose = strings.Join(c.ExposeHeaders, ", ")
	if c.MaxAge > 0 {
		p.maxAge = strconv.Itoa(int(c.MaxAge.D().Seconds()))
	}
	return p
}

// isPreflight reports whether r is a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != ""
}

func (p *corsPolicy) allowed(origin string) bool {
	if origin == "" {
		return false
	}
	return p.anyOrigin || slices.Contains(p.origins, strings.ToLower(origin))
}

// decorate sets the CORS response headers for an actual (non-preflight)
// request from an allowed origin.
func (p *corsPolicy) decorate(h http.Header, origin string) {
	h.Add("Vary", "Origin")
	if !p.allowed(origin) {
		return
	}
	if p.anyOrigin && !p.credentials {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	if p.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if p.expose != "" {
		h.Set("Access-Control-Expose-Headers", p.expose)
	}
}

// preflight answers a preflight request. A disallowed origin or method gets
// 204 without CORS headers, which the browser treats as a refusal.
func (p *corsPolicy) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	origin := r.Header.Get("Origin")
	reqMethod := r.Header.Get("Access-Control-Request-Method")
	if p.allowed(origin) && (p.anyMethod || methodListed(p.methods, reqMethod)) {
		if p.anyOrigin && !p.credentials {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		if p.credentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if p.anyMethod {
			h.Set("Access-Control-Allow-Methods", reqMethod)
		} else {
			h.Set("Access-Control-Allow-Methods", p.methods)
		}
		if p.headers != "" {
			h.Set("Access-Control-Allow-Headers", p.headers)
		}
		if p.maxAge != "" {
			h.Set("Access-Control-Max-Age", p.maxAge)
		}
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
}

func methodListed(list, m string) bool {
	for part := range strings.SplitSeq(list, ",") {
		if strings.TrimSpace(part) == m {
			return true
		}
	}
	return false
}

// stripUpstreamCORS removes CORS headers an upstream sent, so the route's
// policy is the only one a browser sees.
func stripUpstreamCORS(h http.Header) {
	for _, k := range []string{
		"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
		"Access-Control-Expose-Headers", "Access-Control-Allow-Methods",
		"Access-Control-Allow-Headers", "Access-Control-Max-Age",
	} {
		delete(h, k)
	}
}
