package config

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// Limits that validation enforces on services and routes.
const (
	// MaxRetryAttempts caps retry.attempts and retry_attempts: more tries
	// than this multiply load on a struggling service rather than help.
	MaxRetryAttempts = 10
	// MinDNSRefresh is the shortest dns.refresh, so resolvers are not hammered.
	MinDNSRefresh = Duration(time.Second)
	// MaxServiceNameLen caps service names, which appear in metric labels.
	MaxServiceNameLen = 63
)

func (v *validator) services() {
	names := make([]string, 0, len(v.c.Services))
	for name := range v.c.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		v.service(joinKey("services", name), name, v.c.Services[name])
	}
}

// validServiceName reports whether s is 1..63 ASCII letters, digits, '-'
// and '_', starting with a letter or digit.
func validServiceName(s string) bool {
	if s == "" || len(s) > MaxServiceNameLen || s[0] == '-' || s[0] == '_' {
		return false
	}
	return plainKey(s)
}

func (v *validator) service(path, name string, s *Service) {
	if !validServiceName(name) {
		v.errorf(path, "invalid service name %q; use up to %d letters, digits, '-' and '_', starting with a letter or digit", name, MaxServiceNameLen)
	}
	if s == nil {
		v.errorf(path, "missing service definition")
		return
	}
	https := v.targets(path, s)
	switch s.Balance {
	case BalanceRoundRobin, BalanceLeastOutstanding:
	default:
		v.errorf(path+".balance", "unknown balance %q; use %s or %s%s", s.Balance, BalanceRoundRobin, BalanceLeastOutstanding,
			didYouMean(s.Balance, []string{BalanceRoundRobin, BalanceLeastOutstanding}))
	}
	if s.H2C && https {
		v.errorf(path+".h2c", "h2c is cleartext HTTP/2 and cannot be used with https targets")
	}
	if s.FastPathOn() && s.H2C {
		v.errorf(path+".fast_path", "fast_path speaks HTTP/1.1 and cannot be used with h2c")
	}
	v.timeouts(path+".timeouts", &s.Timeouts)
	v.pool(path+".pool", &s.Pool)
	if s.HealthCheck != nil {
		v.healthCheck(path+".health_check", s.HealthCheck)
	}
	v.outlier(path+".outlier", &s.Outlier)
	v.breaker(path+".circuit_breaker", &s.CircuitBreaker)
	v.retry(path+".retry", &s.Retry)
	v.positiveSize(path+".max_response_header_bytes", s.MaxResponseHeaderBytes)
}

// targets checks the targets or dns of a service and reports whether they
// use https.
func (v *validator) targets(path string, s *Service) bool {
	switch {
	case len(s.Targets) > 0 && s.DNS != nil:
		v.errorf(path, "both targets and dns are set; use exactly one")
	case len(s.Targets) == 0 && s.DNS == nil:
		v.errorf(path, "neither targets nor dns is set; use exactly one")
	}
	https := false
	seen := map[string]int{}
	for i, t := range s.Targets {
		tpath := joinIndex(path+".targets", i)
		if msg := checkHTTPURL(t, true); msg != "" {
			v.errorf(tpath, "%s", msg)
			continue
		}
		u, _ := url.Parse(t)
		https = https || u.Scheme == "https"
		key := u.Scheme + "://" + strings.ToLower(u.Host) + strings.TrimSuffix(u.Path, "/")
		if j, dup := seen[key]; dup {
			v.errorf(tpath, "duplicate target %q (also %s)", t, joinIndex(path+".targets", j))
			continue
		}
		seen[key] = i
	}
	if d := s.DNS; d != nil {
		dpath := path + ".dns"
		if !validHostname(d.Name) {
			v.errorf(dpath+".name", "%q is not a DNS name", d.Name)
		}
		if d.Port < 1 || d.Port > 65535 {
			v.errorf(dpath+".port", "must be a port number from 1 to 65535")
		}
		switch d.Scheme {
		case "http":
		case "https":
			https = true
		default:
			v.errorf(dpath+".scheme", "unknown scheme %q; use http or https", d.Scheme)
		}
		if d.Refresh < MinDNSRefresh {
			v.errorf(dpath+".refresh", "%s is shorter than the minimum of %s", d.Refresh, MinDNSRefresh)
		}
	}
	return https
}

func (v *validator) timeouts(path string, t *Timeouts) {
	ok := v.positive(path+".dial", t.Dial)
	ok = v.positive(path+".response_header", t.ResponseHeader) && ok
	ok = v.positive(path+".request", t.Request) && ok
	if !ok {
		return
	}
	if t.Dial > t.Request {
		v.errorf(path+".dial", "%s is longer than %s.request (%s), which includes connecting",
			v.value(path+".dial", t.Dial), path, t.Request)
	}
	if t.ResponseHeader > t.Request {
		v.errorf(path+".response_header", "%s is longer than %s.request (%s), which includes waiting for headers",
			v.value(path+".response_header", t.ResponseHeader), path, t.Request)
	}
}

func (v *validator) pool(path string, p *Pool) {
	if p.MaxIdlePerHost < 0 {
		v.errorf(path+".max_idle_per_host", "must not be negative")
	}
	if p.MaxConnsPerHost < 0 {
		v.errorf(path+".max_conns_per_host", "must not be negative; 0 means no cap")
	}
	v.positive(path+".idle_timeout", p.IdleTimeout)
}

func (v *validator) healthCheck(path string, h *HealthCheck) {
	if u, err := url.ParseRequestURI(h.Path); err != nil || !strings.HasPrefix(h.Path, "/") || u.Fragment != "" {
		v.errorf(path+".path", "%q must be an absolute path such as /healthz", h.Path)
	}
	okI := v.positive(path+".interval", h.Interval)
	okT := v.positive(path+".timeout", h.Timeout)
	if okI && okT && h.Timeout >= h.Interval {
		v.errorf(path+".timeout", "%s must be shorter than %s.interval (%s), or probes would overlap",
			v.value(path+".timeout", h.Timeout), path, h.Interval)
	}
	if h.HealthyThreshold < 1 {
		v.errorf(path+".healthy_threshold", "must be at least 1")
	}
	if h.UnhealthyThreshold < 1 {
		v.errorf(path+".unhealthy_threshold", "must be at least 1")
	}
}

func (v *validator) outlier(path string, o *Outlier) {
	if o.ConsecutiveFailures != nil && *o.ConsecutiveFailures < 0 {
		v.errorf(path+".consecutive_failures", "must not be negative; 0 disables ejection")
	}
	v.positive(path+".base_ejection", o.BaseEjection)
	if o.MaxEjectedPercent < 1 || o.MaxEjectedPercent > 100 {
		v.errorf(path+".max_ejected_percent", "%d is outside 1..100", o.MaxEjectedPercent)
	}
}

func (v *validator) breaker(path string, b *CircuitBreaker) {
	if b.FailureRatio != nil && !inUnit(*b.FailureRatio) {
		v.errorf(path+".failure_ratio", "%v is outside [0, 1]; 0 disables the breaker", *b.FailureRatio)
	}
	if b.MinRequests < 1 {
		v.errorf(path+".min_requests", "must be at least 1")
	}
	v.positive(path+".window", b.Window)
	okMin := v.positive(path+".min_open_for", b.MinOpenFor)
	okMax := v.positive(path+".open_for", b.OpenFor)
	if okMin && okMax && b.MinOpenFor > b.OpenFor {
		v.errorf(path+".min_open_for", "%s is longer than %s.open_for (%s), the longest the breaker stays open",
			v.value(path+".min_open_for", b.MinOpenFor), path, b.OpenFor)
	}
	if b.HalfOpenRequests < 1 {
		v.errorf(path+".half_open_requests", "must be at least 1")
	}
}

func (v *validator) retry(path string, r *Retry) {
	v.attempts(path+".attempts", r.Attempts)
	if r.BudgetRatio != nil && !inUnit(*r.BudgetRatio) {
		v.errorf(path+".budget_ratio", "%v is outside [0, 1]", *r.BudgetRatio)
	}
	if r.MinPerSecond < 0 {
		v.errorf(path+".min_per_second", "must not be negative")
	}
}

// attempts checks a number of tries including the first.
func (v *validator) attempts(path string, n int) {
	if n < 1 || n > MaxRetryAttempts {
		v.errorf(path, "%d is outside 1..%d (tries including the first; 1 means no retry)", n, MaxRetryAttempts)
	}
}
