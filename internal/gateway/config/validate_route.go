package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/portico-gw/portico/internal/gateway/router"
)

// matchKey identifies the requests a route claims for one method: its
// canonical host, its path shape, and the method ("" for a route without
// methods, which claims every method not claimed by a route listing it).
type matchKey struct{ host, shape, method string }

func (v *validator) routes() {
	names := map[string]int{}
	claimed := map[matchKey]int{} // the first route claiming each key
	for i, r := range v.c.Routes {
		path := joinIndex("routes", i)
		if r == nil {
			v.errorf(path, "missing route definition")
			continue
		}
		if r.Name == "" {
			v.errorf(path+".name", "must not be empty")
		} else if j, dup := names[r.Name]; dup {
			v.errorf(path+".name", "%q is also the name of %s; route names must be unique (a route without a name is called \"METHODS path\")",
				r.Name, v.describeRoute(j))
		} else {
			names[r.Name] = i
		}
		host, hostOK := v.routeHost(path, r)
		t := v.route(path, r)
		if t == nil || !hostOK {
			continue
		}
		v.conflicts(path, i, host, t.Shape(), claimed)
	}
}

// conflicts reports the earlier routes that claim the same requests as
// routes[i], with the router's rules: two routes without methods clash; a
// route without methods does not clash with one that lists methods, which
// takes precedence for those.
func (v *validator) conflicts(path string, i int, host, shape string, claimed map[matchKey]int) {
	r := v.c.Routes[i]
	methods := r.Methods
	if len(methods) == 0 {
		methods = []string{""}
	}
	var clashes []int
	common := map[int][]string{}
	for _, m := range methods {
		k := matchKey{host, shape, m}
		j, taken := claimed[k]
		if !taken {
			claimed[k] = i
			continue
		}
		if j == i {
			continue // a method listed twice, reported with the methods
		}
		if _, seen := common[j]; !seen {
			clashes = append(clashes, j)
		}
		common[j] = append(common[j], m)
	}
	for _, j := range clashes {
		what := strings.Join(common[j], ", ")
		if len(r.Methods) == 0 {
			what = "every method"
		}
		paths := fmt.Sprintf("path %q", r.Path)
		if other := v.c.Routes[j].Path; other != r.Path {
			paths = fmt.Sprintf("the equivalent paths %q and %q", other, r.Path)
		}
		v.errorf(path, "conflicts with %s: both match %s on %s for %s",
			v.describeRoute(j), what, describeHost(host), paths)
	}
}

// describeRoute names routes[i] and where it is, for messages about
// another route.
func (v *validator) describeRoute(i int) string {
	s := joinIndex("routes", i)
	if p := v.where(s); p.Line > 0 {
		s += " at " + p.String()
	}
	return s
}

func describeHost(h string) string {
	if h == "" {
		return "any host"
	}
	return "host " + h
}

// routeHost checks a route's host and returns its canonical form.
func (v *validator) routeHost(path string, r *Route) (string, bool) {
	h, _, err := router.CanonicalHost(r.Host)
	if err != nil {
		v.errorf(path+".host", "%s", trimRouterErr(err))
		return "", false
	}
	return h, true
}

// trimRouterErr drops the router's generic prefix from its messages.
func trimRouterErr(err error) string {
	s := err.Error()
	for _, e := range []error{router.ErrRoute, router.ErrTemplate} {
		if errors.Is(err, e) {
			s = strings.TrimPrefix(s, e.Error()+": ")
			s = strings.TrimPrefix(s, e.Error()+" ")
		}
	}
	return s
}

// route checks one route and returns its parsed template, or nil when the
// path is invalid.
func (v *validator) route(path string, r *Route) *router.Template {
	seen := map[string]int{}
	for k, m := range r.Methods {
		mpath := joinIndex(path+".methods", k)
		if m == "*" {
			v.errorf(mpath, "\"*\" is not a method; leave methods out to accept every method")
			continue
		}
		if _, err := router.CanonicalMethods([]string{m}); err != nil {
			v.errorf(mpath, "%q is not an HTTP method", m)
			continue
		}
		if j, dup := seen[m]; dup {
			v.errorf(mpath, "%s is listed twice (also %s)", m, joinIndex(path+".methods", j))
			continue
		}
		seen[m] = k
	}
	var t *router.Template
	if r.Path == "" {
		v.errorf(path+".path", "missing; every route needs a path template such as /v1/orgs/{org}")
	} else if pt, err := router.ParseTemplate(r.Path); err != nil {
		v.errorf(path+".path", "%s", trimRouterErr(err))
	} else {
		t = pt
	}
	svc := v.routeService(path, r)
	if r.Rewrite != "" {
		v.rewrite(path+".rewrite", r.Rewrite, t)
	}
	// A route that inherits its service's timeout and retry attempts is
	// checked with the service; only its own values are checked here.
	switch {
	case svc == nil && r.Timeout == 0:
	case svc != nil && r.Timeout == svc.Timeouts.Request:
	case v.positive(path+".timeout", r.Timeout) && svc != nil && r.Timeout < svc.Timeouts.Dial:
		v.errorf(path+".timeout", "%s is shorter than %s.timeouts.dial (%s); no request could even connect",
			r.Timeout, joinKey("services", r.Service), svc.Timeouts.Dial)
	}
	v.positiveSize(path+".max_body", r.MaxBody)
	if r.Retry != nil && (svc == nil || *r.Retry != svc.Retry.Attempts) {
		v.attempts(path+".retry_attempts", *r.Retry)
	}
	v.headers(path+".request_headers", &r.RequestHeaders)
	v.headers(path+".response_headers", &r.ResponseHeaders)
	if r.CORS != nil {
		v.cors(path+".cors", r.CORS, r)
	}
	return t
}

// routeService checks that a route names an existing service and returns it.
func (v *validator) routeService(path string, r *Route) *Service {
	if r.Service == "" {
		v.errorf(path+".service", "missing; name the service that receives this route's requests")
		return nil
	}
	svc := v.c.Services[r.Service]
	if svc == nil {
		known := make([]string, 0, len(v.c.Services))
		for n := range v.c.Services {
			known = append(known, n)
		}
		slices.Sort(known)
		v.errorf(path+".service", "no service named %q%s", r.Service, didYouMean(r.Service, known))
		return nil
	}
	if svc.Name == "" {
		// Built in code: the map key is the name.
		c := *svc
		c.Name = r.Service
		return &c
	}
	return svc
}

// rewrite checks a rewrite template against the route's path template t,
// which is nil when the path is invalid.
func (v *validator) rewrite(path, s string, t *router.Template) {
	rw, err := router.ParseRewrite(s)
	if err != nil {
		v.errorf(path, "%s", trimRouterErr(err))
		return
	}
	if t == nil {
		return
	}
	var missing []string
	for _, p := range rw.Params() {
		if !slices.Contains(t.Params(), p) {
			missing = append(missing, "{"+p+"}")
		}
	}
	if len(missing) > 0 {
		v.errorf(path, "unreachable path parameter %s: the route path %q does not define it", strings.Join(missing, ", "), t.String())
		return
	}
	if err := rw.Check(t); err != nil {
		v.errorf(path, "%s", trimRouterErr(err))
	}
}

// forbiddenHeaders frame messages or manage connections; the proxy owns
// them and configuration may neither set nor remove them.
var forbiddenHeaders = []string{
	"Connection", "Content-Length", "Host", "Keep-Alive", "Proxy-Connection",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// headers checks header rules.
func (v *validator) headers(path string, h *HeaderRules) {
	touched := map[string]string{} // canonical name → path of its first rule
	name := func(p, n string, verb string) bool {
		switch {
		case !validToken(n):
			v.errorf(p, "%q is not a valid header name", n)
			return false
		case slices.Contains(forbiddenHeaders, canonicalHeader(n)):
			v.errorf(p, "%s is managed by the proxy (message framing and connections) and cannot be %s by configuration", n, verb)
			return false
		}
		return true
	}
	for _, kind := range []struct {
		key string
		m   map[string]string
	}{{"set", h.Set}, {"add", h.Add}} {
		seen := map[string]string{}
		for _, n := range sortedKeys(kind.m) {
			p := joinKey(path+"."+kind.key, n)
			if !name(p, n, "set") {
				continue
			}
			c := canonicalHeader(n)
			if first, dup := seen[c]; dup {
				v.errorf(p, "%s is listed twice (header names ignore case; also %s)", n, first)
				continue
			}
			seen[c] = p
			if _, ok := touched[c]; !ok {
				touched[c] = p
			}
			if !validHeaderValue(kind.m[n]) {
				v.errorf(p, "the value of %s contains control characters", n)
			}
		}
	}
	removed := map[string]string{}
	for i, n := range h.Remove {
		p := joinIndex(path+".remove", i)
		if !name(p, n, "removed") {
			continue
		}
		c := canonicalHeader(n)
		if first, dup := removed[c]; dup {
			v.errorf(p, "%s is listed twice (header names ignore case; also %s)", n, first)
			continue
		}
		removed[c] = p
		if first, ok := touched[c]; ok {
			v.errorf(p, "%s is both removed and set (%s); keep one", n, first)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// cors checks a route's CORS settings.
func (v *validator) cors(path string, c *CORS, r *Route) {
	creds := c.AllowCredentials
	if len(c.AllowOrigins) == 0 {
		v.errorf(path+".allow_origins", "missing; list the origins allowed, such as https://app.example.com")
	}
	seen := map[string]int{}
	for i, o := range c.AllowOrigins {
		p := joinIndex(path+".allow_origins", i)
		if j, dup := seen[o]; dup {
			v.errorf(p, "%q is listed twice (also %s)", o, joinIndex(path+".allow_origins", j))
			continue
		}
		seen[o] = i
		if o == "*" {
			if len(c.AllowOrigins) > 1 {
				v.errorf(p, "\"*\" allows every origin and cannot be combined with others")
			}
			if creds {
				v.errorf(p, "\"*\" cannot be used with allow_credentials: true; browsers refuse credentialed responses to any origin, so list the origins")
			}
			continue
		}
		if msg := checkOrigin(o); msg != "" {
			v.errorf(p, "%s", msg)
		}
	}
	v.corsTokens(path+".allow_methods", c.AllowMethods, creds, "method")
	for i, m := range c.AllowMethods {
		if m != "*" && len(r.Methods) > 0 && validToken(m) && !slices.Contains(r.Methods, m) {
			v.errorf(joinIndex(path+".allow_methods", i), "%s is not one of the route's methods (%s)", m, strings.Join(r.Methods, ", "))
		}
	}
	v.corsTokens(path+".allow_headers", c.AllowHeaders, creds, "header name")
	v.corsTokens(path+".expose_headers", c.ExposeHeaders, creds, "header name")
	v.positive(path+".max_age", c.MaxAge)
}

// corsTokens checks a list of methods or header names, where "*" is a
// wildcard unless credentials are allowed.
func (v *validator) corsTokens(path string, list []string, creds bool, what string) {
	for i, s := range list {
		p := joinIndex(path, i)
		switch {
		case s == "*" && creds:
			v.errorf(p, "\"*\" is taken literally when allow_credentials is true; list the %ss", what)
		case s != "*" && !validToken(s):
			v.errorf(p, "%q is not a valid %s", s, what)
		}
	}
}

// checkOrigin checks a serialised origin, scheme://host[:port], as browsers
// send it. It returns a message saying what is wrong, or "".
func checkOrigin(o string) string {
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || scheme == "" || rest == "" {
		return fmt.Sprintf("%q is not an origin; write scheme://host[:port], as in https://app.example.com", o)
	}
	if o != strings.ToLower(o) {
		return fmt.Sprintf("%q must be lower case, as browsers send origins", o)
	}
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		if !('a' <= c && c <= 'z' || i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return fmt.Sprintf("%q has an invalid scheme", o)
		}
	}
	if strings.ContainsAny(rest, "/?#@") {
		if strings.HasSuffix(rest, "/") && !strings.ContainsAny(rest[:len(rest)-1], "/?#@") {
			return fmt.Sprintf("%q must not end in a slash; an origin has no path", o)
		}
		return fmt.Sprintf("%q must be only scheme://host[:port], without path, query, fragment or user", o)
	}
	host, port := rest, ""
	if h, p, err := net.SplitHostPort(rest); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]") {
		host = rest[1 : len(rest)-1]
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return fmt.Sprintf("%q: port must be a number from 1 to 65535", o)
		}
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		return fmt.Sprintf("%q names the default port; browsers leave it out, so write %s://%s", o, scheme, strings.TrimSuffix(rest, ":"+port))
	}
	if validHostname(host) {
		return ""
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Zone() == "" && (a.Is4() || strings.HasPrefix(rest, "[")) {
		return ""
	}
	return fmt.Sprintf("%q: host %q is neither an IP address nor a host name", o, host)
}
