package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/gateway/ratelimit"
	"github.com/portico-gw/portico/internal/gateway/router"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// rateLimiter is a runtime's rate limiting: the compiled policies and the
// limiter that keeps their state. A reload that leaves the store as it
// was keeps the limiter, and so every key's state.
type rateLimiter struct {
	store    config.RateLimitStore // the block the limiter was built from
	password string                // read from store.redis.password_file
	lim      *ratelimit.Limiter
	policies map[string]*ratePolicy
	ipv6Bits int
}

// ratePolicy is a compiled config.RateLimitPolicy.
type ratePolicy struct {
	name  string
	limit ratelimit.Limit
	// lease is how many of a key's requests one decision at Redis takes;
	// 1 takes no lease.
	lease int64
	parts []keyPart
	skip  bool // on_missing: skip
	// policyItem is the policy's member of RateLimit-Policy.
	policyItem string

	allowed, limited, unavailable counter
}

// counter is the one method of a Prometheus counter the hot path uses.
type counter interface{ Inc() }

// keyPart is one compiled part of a policy's key.
type keyPart struct {
	kind byte   // the tag written before the part's value in the key
	name string // the canonical header name, or the claim name
}

// The tags of key parts. A part that is absent is replaced by the client
// address, tagged as such, so it never equals a present part's value.
const (
	partSubject      = 's'
	partAPIKey       = 'k'
	partOrganization = 'o'
	partClient       = 'a'
	partRoute        = 'r'
	partHeader       = 'h'
	partClaim        = 'c'
)

// routeRate is what a route needs to limit its requests.
type routeRate struct {
	policies []*ratePolicy
	// policyHeader is the RateLimit-Policy field, the same on every answer.
	policyHeader []string
	// tenant is the path parameter naming the organization the route acts
	// in (its require.tenant), the organization key part's first source.
	tenant string
}

// compileRateLimits builds the rate limiting of cfg, reusing prev's
// limiter when the store is unchanged.
func (g *Gateway) compileRateLimits(cfg *config.Config, prev *runtime) (*rateLimiter, error) {
	rc := cfg.RateLimits
	rl := &rateLimiter{store: rc.Store, policies: make(map[string]*ratePolicy, len(rc.Policies)), ipv6Bits: rc.IPv6Prefix}
	if r := rc.Store.Redis; r != nil && r.PasswordFile != "" {
		b, err := os.ReadFile(r.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("rate_limits.store.redis.password_file: %w", err)
		}
		rl.password = strings.TrimSpace(string(b))
	}
	for name, pc := range rc.Policies {
		p, err := g.compilePolicy(name, pc, rc.Store)
		if err != nil {
			return nil, fmt.Errorf("rate_limits.policies.%s: %w", name, err)
		}
		rl.policies[name] = p
	}
	if prev != nil && prev.rate != nil && prev.rate.password == rl.password && sameLimiterStore(prev.rate.store, rl.store) {
		rl.lim = prev.rate.lim
		return rl, nil
	}
	o := ratelimit.Options{
		MaxKeys: rc.Store.MaxKeys,
		Observe: ratelimit.Observer{
			RedisCall:      g.rm.redisCall,
			BreakerChanged: g.rm.breakerChanged,
			Evicted:        g.rm.evicted,
			Leased:         g.rm.leased,
			LeaseDecision:  g.rm.leaseDecision,
		},
	}
	if r := rc.Store.Redis; r != nil {
		o.Redis = &ratelimit.RedisOptions{
			Addr: r.Addr, Username: r.Username, Password: rl.password, DB: r.DB,
			KeyPrefix: r.KeyPrefix, Timeout: r.Timeout.D(), PoolSize: r.PoolSize,
		}
		o.FailClosed = r.OnError == config.OnErrorClosed
		o.BreakerFailures = r.Breaker.Failures
		o.BreakerCoolDown = r.Breaker.CoolDown.D()
	}
	rl.lim = ratelimit.New(o)
	g.rm.breakerChanged(ratelimit.Closed)
	if rds := rl.lim.Redis(); rds != nil {
		if err := rds.Ping(g.ctx); err != nil {
			mode := "the replica's own limiter decides until it does"
			if o.FailClosed {
				mode = "limited routes answer 503 until it does"
			}
			g.log.Warn("rate limit store unreachable; "+mode,
				slog.String("addr", o.Redis.Addr), slog.String("error", err.Error()))
		}
	}
	return rl, nil
}

// sameLimiterStore reports whether a limiter built for store a serves
// store b as it is: lease_time only sizes the policies' leases.
func sameLimiterStore(a, b config.RateLimitStore) bool {
	if a.Redis != nil && b.Redis != nil {
		ar, br := *a.Redis, *b.Redis
		ar.LeaseTime, br.LeaseTime = 0, 0
		a.Redis, b.Redis = &ar, &br
	}
	return reflect.DeepEqual(a, b)
}

func (g *Gateway) compilePolicy(name string, pc *config.RateLimitPolicy, store config.RateLimitStore) (*ratePolicy, error) {
	lim, err := ratelimit.NewLimit(pc.Rate.Count, pc.Rate.Period, int64(pc.Burst))
	if err != nil {
		return nil, err
	}
	p := &ratePolicy{
		name:  name,
		limit: lim,
		lease: policyLease(pc, lim, store),
		skip:  pc.OnMissing == config.OnMissingSkip,
		policyItem: strconv.Quote(name) + ";q=" + strconv.FormatInt(pc.Rate.Count, 10) +
			";w=" + strconv.FormatInt(int64(pc.Rate.Period/time.Second), 10),
		allowed:     g.rm.decisions.WithLabelValues(name, "allowed"),
		limited:     g.rm.decisions.WithLabelValues(name, "limited"),
		unavailable: g.rm.decisions.WithLabelValues(name, "unavailable"),
	}
	for _, part := range pc.Key {
		switch part {
		case config.KeySubject:
			p.parts = append(p.parts, keyPart{kind: partSubject})
		case config.KeyAPIKey:
			p.parts = append(p.parts, keyPart{kind: partAPIKey})
		case config.KeyOrganization:
			p.parts = append(p.parts, keyPart{kind: partOrganization})
		case config.KeyClientAddress:
			p.parts = append(p.parts, keyPart{kind: partClient})
		case config.KeyRoute:
			p.parts = append(p.parts, keyPart{kind: partRoute})
		default:
			if h, ok := config.KeyPartHeader(part); ok {
				p.parts = append(p.parts, keyPart{kind: partHeader, name: http.CanonicalHeaderKey(h)})
			} else if c, ok := config.KeyPartClaim(part); ok {
				p.parts = append(p.parts, keyPart{kind: partClaim, name: c})
			} else {
				return nil, fmt.Errorf("unknown key part %q", part)
			}
		}
	}
	return p, nil
}

// policyLease returns the lease size of a policy whose limit is lim: 1
// (no lease) with the memory store.
func policyLease(pc *config.RateLimitPolicy, lim ratelimit.Limit, store config.RateLimitStore) int64 {
	if store.Redis == nil || store.Kind != config.RateLimitStoreRedis {
		return 1
	}
	n, auto := pc.LeaseSize()
	if auto {
		return ratelimit.AutoLease(lim, store.Redis.LeaseTime.D())
	}
	return max(1, n)
}

// forRoute returns the rate limiting of route rc, or nil when no policy
// applies to it.
func (rl *rateLimiter) forRoute(cfg *config.Config, rc *config.Route) (*routeRate, error) {
	if rl == nil {
		return nil, nil
	}
	names := cfg.RouteRateLimits(rc)
	switch {
	case len(names) == 0:
		return nil, nil
	case len(names) > ratelimit.MaxChecks:
		return nil, fmt.Errorf("%d rate limit policies apply; at most %d may", len(names), ratelimit.MaxChecks)
	}
	rr := &routeRate{}
	if rc.Require != nil {
		rr.tenant = rc.Require.Tenant
	}
	items := make([]string, 0, len(names))
	for _, n := range names {
		p, ok := rl.policies[n]
		if !ok {
			return nil, fmt.Errorf("unknown rate limit policy %q", n)
		}
		rr.policies = append(rr.policies, p)
		items = append(items, p.policyItem)
	}
	rr.policyHeader = []string{strings.Join(items, ", ")}
	return rr, nil
}

// releaseRateLimits undoes what compiling rt's rate limiting did when rt
// is never served: it closes a limiter that is not prev's, and deletes the
// series of policies prev does not have.
func (g *Gateway) releaseRateLimits(rt, prev *runtime) {
	rl := rt.rate
	if rl == nil {
		return
	}
	var kept *rateLimiter
	if prev != nil {
		kept = prev.rate
	}
	if kept == nil || kept.lim != rl.lim {
		rl.lim.Close()
	}
	for name := range rl.policies {
		if kept == nil || kept.policies[name] == nil {
			g.rm.forgetPolicy(name)
		}
	}
}

// retireRateLimits closes old's limiter after the grace when cur has
// another, and deletes the series of policies cur no longer has.
func (g *Gateway) retireRateLimits(old, cur *runtime) {
	if old.rate == nil {
		return
	}
	if cur.rate == nil || cur.rate.lim != old.rate.lim {
		lim := old.rate.lim
		time.AfterFunc(old.grace, func() { lim.Close() })
	}
	for name := range old.rate.policies {
		if cur.rate == nil || cur.rate.policies[name] == nil {
			g.rm.forgetPolicy(name)
		}
	}
}

// rateScratch is the memory of one decision, pooled so that a decision
// in memory allocates nothing but its RateLimit field.
type rateScratch struct {
	buf       []byte
	ends      [ratelimit.MaxChecks]int
	applied   []*ratePolicy
	checks    []ratelimit.Check
	decisions []ratelimit.Decision
}

var rateScratchPool = sync.Pool{New: func() any {
	return &rateScratch{
		buf:       make([]byte, 0, 256),
		applied:   make([]*ratePolicy, 0, ratelimit.MaxChecks),
		checks:    make([]ratelimit.Check, 0, ratelimit.MaxChecks),
		decisions: make([]ratelimit.Decision, ratelimit.MaxChecks),
	}
}}

// maxPooledKeyBuf keeps a scratch whose key buffer grew past it (a long
// header value) out of the pool.
const maxPooledKeyBuf = 4 << 10

// limitRate applies the route's rate limits to the request and sets the
// RateLimit-Policy and RateLimit fields. It reports whether the request
// goes on; if not, it has answered 429, or 503 when the limits cannot be
// checked (Redis failing and on_error closed).
func (g *Gateway) limitRate(ctx context.Context, rl *rateLimiter, rte *route, st *reqState, r *http.Request, params *router.Params, ident *authn.Result) bool {
	sc := rateScratchPool.Get().(*rateScratch)
	ok := g.decideRate(ctx, rl, rte, st, r, params, ident, sc)
	if cap(sc.buf) <= maxPooledKeyBuf {
		rateScratchPool.Put(sc)
	}
	return ok
}

// decideRate is limitRate with its scratch memory.
func (g *Gateway) decideRate(ctx context.Context, rl *rateLimiter, rte *route, st *reqState, r *http.Request, params *router.Params, ident *authn.Result, sc *rateScratch) bool {
	rr := rte.rate
	h := st.Header()
	h["Ratelimit-Policy"] = rr.policyHeader[:1:1]

	buf, applied := sc.buf[:0], sc.applied[:0]
	for _, p := range rr.policies {
		start := len(buf)
		var ok bool
		if buf, ok = rl.appendKey(buf, p, rte, st.client, r, params, ident); !ok {
			buf = buf[:start]
			continue
		}
		sc.ends[len(applied)] = len(buf)
		applied = append(applied, p)
	}
	sc.buf, sc.applied = buf, applied
	if len(applied) == 0 {
		return true
	}
	checks := sc.checks[:0]
	start := 0
	for i, p := range applied {
		checks = append(checks, ratelimit.Check{Key: buf[start:sc.ends[i]:sc.ends[i]], Limit: p.limit, Lease: p.lease})
		start = sc.ends[i]
	}
	sc.checks = checks
	out := sc.decisions[:len(checks)]

	res := rl.lim.Decide(ctx, checks, out)
	switch res.Source {
	case ratelimit.SourceLocal:
		g.rm.fallbacks.local.Inc()
	case ratelimit.SourceNone:
		g.rm.fallbacks.refused.Inc()
		for _, p := range applied {
			p.unavailable.Inc()
		}
		h.Set("Retry-After", strconv.FormatInt(max(1, ceilSeconds(res.RetryAfter)), 10))
		g.reject(st, r, problem.Unavailable("rate-limit-unavailable",
			"The rate limits of this route cannot be checked right now; try again shortly."), "rate_limit_unavailable")
		return false
	}
	h["Ratelimit"] = []string{rateLimitField(applied, out)}
	if res.Allowed {
		for _, p := range applied {
			p.allowed.Inc()
		}
		return true
	}
	var retry time.Duration
	violated := make([]string, 0, 1)
	for i, p := range applied {
		if !out[i].Allowed {
			p.limited.Inc()
			violated = append(violated, p.name)
			retry = max(retry, out[i].RetryAfter)
		}
	}
	secs := ceilSeconds(retry)
	h.Set("Retry-After", strconv.FormatInt(secs, 10))
	p := problem.New(http.StatusTooManyRequests, "rate-limited", "Too many requests",
		"The request exceeds a rate limit of this route; retry after the number of seconds Retry-After gives.").
		With("violated_policies", violated).With("retry_after_seconds", secs)
	g.reject(st, r, p, "rate_limited")
	return false
}

// rateLimitField is the RateLimit field: each applied policy's remaining
// requests and the seconds until its whole burst is back.
func rateLimitField(applied []*ratePolicy, out []ratelimit.Decision) string {
	var b []byte
	var arr [128]byte
	b = arr[:0]
	for i, p := range applied {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '"')
		b = append(b, p.name...)
		b = append(b, `";r=`...)
		rem := out[i].Remaining
		if !out[i].Allowed {
			rem = 0
		}
		b = strconv.AppendInt(b, rem, 10)
		b = append(b, ";t="...)
		b = strconv.AppendInt(b, ceilSeconds(out[i].Reset), 10)
	}
	return string(b)
}

// ceilSeconds rounds d up to whole seconds, at least 1 for any wait.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
