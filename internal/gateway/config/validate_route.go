package config

import (
	"errors"
	"fmt"
	"slices"
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
	v.access(path, r, t)
	if r.Static != nil {
		v.staticRoute(path, r)
		v.positiveSize(path+".max_body", r.MaxBody)
		v.headers(path+".response_headers", &r.ResponseHeaders)
		if r.CORS != nil {
			v.cors(path+".cors", r.CORS, r)
		}
		return t
	}
	if r.Aggregate != nil {
		v.aggregateRoute(path, r, t)
		v.positiveSize(path+".max_body", r.MaxBody)
		v.headers(path+".request_headers", &r.RequestHeaders)
		v.headers(path+".response_headers", &r.ResponseHeaders)
		if r.CORS != nil {
			v.cors(path+".cors", r.CORS, r)
		}
		return t
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
		v.errorf(path+".service", "missing; name the service that receives this route's requests (or give aggregate or static)")
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
