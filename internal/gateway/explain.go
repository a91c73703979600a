package gateway

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/portico-gw/portico/internal/gateway/aggregate"
	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/gateway/router"
)

// Explain describes how cfg would handle a request: the route that
// matches method, host and target (a path with an optional query), the
// limits, resilience settings and CORS that apply, for an aggregate
// route the step graph with its critical path against the budget, and for
// a static route the file it would serve. It builds nothing that talks to
// the network.
func Explain(cfg *config.Config, method, host, target string) (string, error) {
	u, err := url.ParseRequestURI(target)
	if err != nil || !strings.HasPrefix(target, "/") {
		return "", fmt.Errorf("target %q: want a path such as /v1/orgs/o1/overview", target)
	}
	path, err := router.Normalize(u.EscapedPath())
	if err != nil {
		return "", fmt.Errorf("target %q: the gateway answers 400: %w", target, err)
	}
	if hasDotSemicolonSegment(path) {
		return "", fmt.Errorf("target %q: the gateway answers 400: dot-semicolon segment", target)
	}
	rt, files := router.New[*config.Route](), router.New[*config.Route]()
	for _, rc := range cfg.Routes {
		t, err := router.ParseTemplate(rc.Path)
		if err != nil {
			return "", fmt.Errorf("route %s: %w", rc.Name, err)
		}
		tier := rt
		if rc.Static != nil {
			tier = files
		}
		if err := tier.Add(rc.Methods, rc.Host, t, rc); err != nil {
			return "", fmt.Errorf("route %s: %w", rc.Name, err)
		}
	}
	var params router.Params
	rc, res, allow := matchTiers(rt, files, strings.ToUpper(method), host, path, &params)
	var b strings.Builder
	fmt.Fprintf(&b, "request   %s %s", strings.ToUpper(method), target)
	if host != "" {
		fmt.Fprintf(&b, " (Host: %s)", host)
	}
	b.WriteByte('\n')
	if path != u.EscapedPath() {
		fmt.Fprintf(&b, "path      normalised to %s\n", path)
	}
	switch res {
	case router.NotFound:
		b.WriteString("result    404 not-found: no route matches\n")
		return b.String(), nil
	case router.MethodNotAllowed:
		fmt.Fprintf(&b, "result    405 method-not-allowed (Allow: %s)\n", strings.Join(allow, ", "))
		return b.String(), nil
	}
	fmt.Fprintf(&b, "route     %s (%s)\n", rc.Name, rc.Pos)
	if params.Len() > 0 {
		b.WriteString("params   ")
		for i := range params.Len() {
			fmt.Fprintf(&b, " %s=%q", params.Name(i), params.Value(i))
		}
		b.WriteByte('\n')
	}
	b.WriteString("auth      " + describeAuth(cfg, rc) + "\n")
	if t := describeTLS(cfg, rc); t != "" {
		b.WriteString("tls       " + t + "\n")
	}
	fmt.Fprintf(&b, "limits    body %s, request line %s, headers %s in at most %d fields\n",
		rc.MaxBody, cfg.Server.MaxRequestLine, cfg.Server.MaxHeaderBytes, cfg.Server.MaxHeaderCount)
	if c := rc.CORS; c != nil {
		fmt.Fprintf(&b, "cors      origins %s; methods %s; credentials %v\n",
			strings.Join(c.AllowOrigins, ", "), orAny(c.AllowMethods), c.AllowCredentials)
	}
	explainRateLimits(&b, cfg, rc)
	if rc.Static != nil {
		explainStatic(&b, rc, strings.ToUpper(method), path, &params)
		return b.String(), nil
	}
	if rc.Aggregate != nil {
		t, _ := router.ParseTemplate(rc.Path)
		services := make([]string, 0, len(cfg.Services))
		for n := range cfg.Services {
			services = append(services, n)
		}
		slices.Sort(services)
		plan, err := aggregate.Compile(rc.Aggregate.PlanSpec(rc.Name, t.Params(), services), aggregate.Options{})
		if err != nil {
			return "", fmt.Errorf("route %s: %w", rc.Name, err)
		}
		total, _ := plan.CriticalPath()
		fmt.Fprintf(&b, "compose   budget %s, critical path %s (%d%% of the budget)\n",
			rc.Aggregate.Budget, total, int(100*total/rc.Aggregate.Budget.D()))
		for line := range strings.Lines(plan.Describe()) {
			b.WriteString("          " + line)
		}
		b.WriteString("services\n")
		for _, st := range rc.Aggregate.Steps {
			explainService(&b, st.Name, cfg.Services[st.Service])
		}
		return b.String(), nil
	}
	up := path
	if rc.Rewrite != "" {
		rw, err := router.ParseRewrite(rc.Rewrite)
		if err != nil {
			return "", fmt.Errorf("route %s: %w", rc.Name, err)
		}
		up = string(rw.Expand(nil, &params))
	}
	if u.RawQuery != "" && !rc.StripQuery {
		up += "?" + u.RawQuery
	}
	fmt.Fprintf(&b, "upstream  %s %s %s\n", strings.ToUpper(method), rc.Service, up)
	fmt.Fprintf(&b, "timeout   %s for the whole exchange; %d attempts on connection failure (idempotent requests only)\n",
		rc.Timeout, *rc.Retry)
	explainService(&b, "", cfg.Services[rc.Service])
	return b.String(), nil
}

func explainService(b *strings.Builder, step string, s *config.Service) {
	if s == nil {
		return
	}
	label := "service   "
	if step != "" {
		label = "          " + step + " -> "
	}
	targets := strings.Join(s.Targets, ", ")
	if s.DNS != nil {
		targets = fmt.Sprintf("DNS %s:%d every %s", s.DNS.Name, s.DNS.Port, s.DNS.Refresh)
	}
	fmt.Fprintf(b, "%s%s: %s, %s; dial %s, headers %s, request %s",
		label, s.Name, targets, s.Balance, s.Timeouts.Dial, s.Timeouts.ResponseHeader, s.Timeouts.Request)
	if r := *s.CircuitBreaker.FailureRatio; r > 0 {
		fmt.Fprintf(b, "; breaker at %.0f%% of %d+ requests in %s", r*100, s.CircuitBreaker.MinRequests, s.CircuitBreaker.Window)
	}
	if s.HealthCheck != nil {
		fmt.Fprintf(b, "; health %s every %s", s.HealthCheck.Path, s.HealthCheck.Interval)
	}
	b.WriteByte('\n')
}

func describeAuth(cfg *config.Config, rc *config.Route) string {
	switch {
	case cfg.Auth == nil:
		return "none: no auth block, the gateway authenticates nobody"
	case rc.Public:
		return "public: anyone may call it"
	}
	s := "authenticated at " + cfg.Auth.URL + " (exchange cached up to " + cfg.Auth.CacheTTL.String() + ")"
	if len(cfg.Auth.Issuers) > 0 {
		s += "; also bearer tokens of " + describeIssuers(cfg.Auth.Issuers)
	}
	if q := rc.Require; q != nil {
		if q.Staff {
			s += "; staff only"
		}
		if q.Tenant != "" {
			s += "; member of the organization in {" + q.Tenant + "} (staff: any)"
		}
		if len(q.Roles) > 0 {
			s += " with role " + strings.Join(q.Roles, " or ")
		}
		if len(q.Scopes) > 0 {
			s += "; machine callers need scopes " + strings.Join(q.Scopes, ", ")
		}
	}
	return s
}

// describeIssuers names the outside issuers and the organizations each
// may admit machine callers into.
func describeIssuers(issuers []*config.ExternalIssuer) string {
	parts := make([]string, 0, len(issuers))
	for _, e := range issuers {
		orgs := e.Organization
		if orgs == "" {
			orgs = strings.Join(e.Organizations, " or ") + " by claim " + e.Claims.Organization
		}
		parts = append(parts, e.Name+" (machine callers of "+orgs+")")
	}
	return strings.Join(parts, ", ")
}

func orAny(list []string) string {
	if len(list) == 0 {
		return "any"
	}
	return strings.Join(list, ", ")
}
