package gateway

import (
	"fmt"
	"strings"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/gateway/ratelimit"
)

// explainRateLimits writes the rate limits that apply to rc, for Explain.
func explainRateLimits(b *strings.Builder, cfg *config.Config, rc *config.Route) {
	rl := cfg.RateLimits
	names := cfg.RouteRateLimits(rc)
	if rl == nil {
		return
	}
	if len(names) == 0 {
		if rc.SkipDefaultRateLimits {
			b.WriteString("ratelimit none (the route skips the default policies)\n")
		} else {
			b.WriteString("ratelimit none\n")
		}
		return
	}
	defaults := 0
	if !rc.SkipDefaultRateLimits {
		defaults = len(rl.DefaultPolicies)
	}
	for i, n := range names {
		p := rl.Policies[n]
		if p == nil {
			continue
		}
		fmt.Fprintf(b, "ratelimit %s: %s, burst %d, per [%s]", n, p.Rate, p.Burst, strings.Join(p.Key, ", "))
		if p.OnMissing == config.OnMissingSkip {
			b.WriteString(", not applied when a part is absent")
		} else if !onlyPresentParts(p.Key) {
			b.WriteString(", an absent part counted by client address")
		}
		if s := rl.Store; s.Kind == config.RateLimitStoreRedis && s.Redis != nil {
			if lim, err := ratelimit.NewLimit(p.Rate.Count, p.Rate.Period, int64(p.Burst)); err == nil {
				if n := policyLease(p, lim, s); n > 1 {
					fmt.Fprintf(b, ", leases of %d requests", n)
				} else {
					b.WriteString(", every request decided at redis")
				}
			}
		}
		if i < defaults {
			b.WriteString(" (default)")
		}
		b.WriteByte('\n')
	}
	s := rl.Store
	switch r := s.Redis; {
	case s.Kind == config.RateLimitStoreRedis && r != nil:
		fail := "the replica's own limiter decides alone"
		if r.OnError == config.OnErrorClosed {
			fail = "503 rate-limit-unavailable"
		}
		fmt.Fprintf(b, "          kept in redis at %s (timeout %s; breaker after %d failures, probe every %s; automatic leases within %s); when it cannot decide: %s\n",
			r.Addr, r.Timeout, r.Breaker.Failures, r.Breaker.CoolDown, r.LeaseTime, fail)
	default:
		fmt.Fprintf(b, "          kept in memory (this replica alone, up to %d keys)\n", s.MaxKeys)
	}
}

// onlyPresentParts reports whether every part of key is always present.
func onlyPresentParts(key []string) bool {
	for _, k := range key {
		if k != config.KeyClientAddress && k != config.KeyRoute {
			return false
		}
	}
	return true
}
