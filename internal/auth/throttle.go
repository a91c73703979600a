package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// throttleDelay is Base·2^(n−free) once n reaches free, capped at max.
func throttleDelay(n, free int, base, max time.Duration) time.Duration {
	if n < free {
		return 0
	}
	d := base
	for i := free; i < n; i++ {
		d *= 2
		if d >= max || d <= 0 {
			return max
		}
	}
	return min(d, max)
}

// A limit is how one throttling key admits attempts (see ThrottleOptions).
type limit struct {
	key string
	// free, base and max shape the backoff (see throttleDelay); window is
	// how long the key must be quiet before it resets.
	free      int
	base, max time.Duration
	window    time.Duration
	// cap, when positive, replaces the backoff: at most cap attempts per
	// window, counted from the first.
	cap int
	// addr marks the keys of the client address (the pair and the
	// address). hard, when positive, makes the key refuse only attempts
	// from a suspect address, one whose addr keys count attempts, until
	// its own count reaches hard; without an address every attempt is
	// suspect.
	addr bool
	hard int
	// clears makes a sign-in that succeeds reset the key, rather than
	// take back the attempt's own count.
	clears bool
}

// current returns c as it stands at now: reset once it has aged out.
func (l limit) current(c ThrottleCounter, now time.Time) ThrottleCounter {
	aged := c.Last.IsZero() || now.Sub(c.Last) >= l.window
	if l.cap > 0 {
		aged = c.Since.IsZero() || !now.Before(c.Since.Add(l.window))
	}
	if aged {
		return ThrottleCounter{Key: c.Key}
	}
	return c
}

// until is when c, current, lets the next attempt through; zero when at
// once.
func (l limit) until(c ThrottleCounter) time.Time {
	if l.cap > 0 {
		if c.Count >= l.cap {
			return c.Since.Add(l.window)
		}
		return time.Time{}
	}
	if d := throttleDelay(c.Count, l.free, l.base, l.max); d > 0 {
		return c.Last.Add(d)
	}
	return time.Time{}
}

// count counts one attempt at now on c, current.
func (l limit) count(c ThrottleCounter, now time.Time) ThrottleCounter {
	if c.Since.IsZero() {
		c.Since = now
	}
	c.Count++
	c.Last = now
	c.Until = l.until(c)
	return c
}

// refund takes one attempt's count back from c.
func (l limit) refund(c ThrottleCounter) ThrottleCounter {
	if c.Count <= 1 {
		return ThrottleCounter{Key: c.Key}
	}
	c.Count--
	c.Until = l.until(c)
	return c
}

// Prefixes of the throttle keys. An address (canonical, see cleanIP)
// never holds "/", so the pair's key is unambiguous.
const (
	pairKeyPrefix         = "pair:"
	addressKeyPrefix      = "ip:"
	accountKeyPrefix      = "account:"
	secondFactorKeyPrefix = "2fa:"
	challengeKeyPrefix    = "challenge:"
)

// signinLimits returns the limits of a sign-in attempt for account from
// ip: the pair and the address when the address is known, and the account.
func (s *Service) signinLimits(account, ip string) []limit {
	t := s.o.Throttle
	account = truncateUTF8(account, MaxAccountKeyLen)
	ls := make([]limit, 0, 4)
	if ip != "" {
		ls = append(ls,
			limit{key: pairKeyPrefix + ip + "/" + account, free: t.PairFree, base: t.PairBase, max: t.PairMax,
				window: t.Window, addr: true, clears: true},
			limit{key: addressKeyPrefix + ip, free: t.IPFree, base: t.IPBase, max: t.IPMax, window: t.Window, addr: true})
	}
	return append(ls, limit{key: accountKeyPrefix + account, free: t.AccountFree, base: t.AccountBase, max: t.AccountMax,
		window: t.Window, hard: t.AccountHard})
}

// secondFactorLimit is the limit on an identity's second-factor codes,
// from every address and over every challenge.
func (s *Service) secondFactorLimit(identityID string) limit {
	t := s.o.Throttle
	return limit{key: secondFactorKeyPrefix + identityID, free: t.SecondFactorFree, base: t.SecondFactorBase,
		max: t.SecondFactorMax, window: t.SecondFactorWindow}
}

// challengeLimit is the cap on an identity's new challenges.
func (s *Service) challengeLimit(identityID string) limit {
	t := s.o.Throttle
	return limit{key: challengeKeyPrefix + identityID, cap: t.ChallengeCap, window: t.ChallengeWindow, clears: true}
}

// charge counts an attempt against every limit before the attempt is
// checked, in one atomic update, so that however many attempts run at
// once, no more get through than the limits allow. When one of the limits
// says wait, it counts nothing and returns a *ThrottledError. It returns
// the counters after the count, by key.
func (s *Service) charge(ctx context.Context, ls []limit) (map[string]ThrottleCounter, error) {
	now := s.now()
	keys := make([]string, len(ls))
	for i, l := range ls {
		keys[i] = l.key
	}
	var after map[string]ThrottleCounter
	err := s.store.UpdateThrottleCounters(ctx, keys, func(cs []ThrottleCounter) ([]ThrottleCounter, error) {
		for i, l := range ls {
			cs[i] = l.current(cs[i], now)
		}
		suspect := isSuspect(ls, cs)
		var wait time.Duration
		for i, l := range ls {
			if l.hard > 0 && !suspect && cs[i].Count < l.hard {
				continue
			}
			if u := l.until(cs[i]); u.After(now) {
				wait = max(wait, u.Sub(now))
			}
		}
		if wait > 0 {
			return nil, &ThrottledError{RetryAfter: wait}
		}
		after = make(map[string]ThrottleCounter, len(ls))
		for i, l := range ls {
			cs[i] = l.count(cs[i], now)
			after[l.key] = cs[i]
		}
		return cs, nil
	})
	if te, ok := errors.AsType[*ThrottledError](err); ok {
		return nil, te
	}
	if err != nil {
		return nil, fmt.Errorf("throttle: %w", err)
	}
	return after, nil
}

// isSuspect reports whether an attempt comes from a suspect address: one
// whose address keys count attempts, or an unknown one.
func isSuspect(ls []limit, cs []ThrottleCounter) bool {
	known := false
	for i, l := range ls {
		if l.addr {
			known = true
			if cs[i].Count > 0 {
				return true
			}
		}
	}
	return !known
}

// settle records attempts that turned out to be no failures: each limit in
// refund takes back the attempt's count, and each in clear is reset (clear
// wins when a key is in both). A failure to write is logged and the
// attempt's outcome stands: the counts stay, which errs on the safe side.
func (s *Service) settle(ctx context.Context, refund, clear []limit) {
	ops := make(map[string]func(ThrottleCounter) ThrottleCounter, len(refund)+len(clear))
	var keys []string
	add := func(k string, op func(ThrottleCounter) ThrottleCounter) {
		if _, ok := ops[k]; !ok {
			keys = append(keys, k)
		}
		ops[k] = op
	}
	for _, l := range refund {
		add(l.key, l.refund)
	}
	for _, l := range clear {
		add(l.key, func(c ThrottleCounter) ThrottleCounter { return ThrottleCounter{Key: c.Key} })
	}
	if len(keys) == 0 {
		return
	}
	err := s.store.UpdateThrottleCounters(ctx, keys, func(cs []ThrottleCounter) ([]ThrottleCounter, error) {
		for i := range cs {
			cs[i] = ops[cs[i].Key](cs[i])
		}
		return cs, nil
	})
	if err != nil {
		s.o.Logger.ErrorContext(ctx, "settle sign-in throttle", "error", err)
	}
}

// splitClears returns the limits of ls a success takes its count back
// from, and those it clears.
func splitClears(ls []limit) (refund, clear []limit) {
	for _, l := range ls {
		if l.clears {
			clear = append(clear, l)
		} else {
			refund = append(refund, l)
		}
	}
	return refund, clear
}

// noteFailure follows up a failed attempt whose counts charge returned:
// it audits the start of a lockout of the pair (account, ip) and warns
// when one address makes most of the recent failures.
func (s *Service) noteFailure(ctx context.Context, account, ip, identityID string, counts map[string]ThrottleCounter) {
	for _, l := range s.signinLimits(account, ip) {
		if l.clears && counts[l.key].Count == s.o.Throttle.PairFree {
			s.audit(ctx, AuditEvent{Kind: "login.lockout", ActorID: identityID, IP: ip,
				Detail: map[string]string{"account": account, "failures": fmt.Sprint(counts[l.key].Count)}})
		}
	}
	if n, total, warn := s.hot.failed(ip, s.now()); warn {
		s.o.Logger.WarnContext(ctx, "one address makes most sign-in failures",
			"ip", ip, "failures", n, "of", total, "window", s.o.Throttle.HotAddressWindow.String(),
			"hint", "an attack from this address, or many people behind one NAT or proxy; if it is the gateway's "+
				"or a load balancer's address, set --trusted-proxies so that clients' own addresses are seen")
	}
}

// PruneLoginFailures deletes the throttling counters that have aged out.
// Call it periodically (every few minutes) from one place.
func (s *Service) PruneLoginFailures(ctx context.Context) (int64, error) {
	t := s.o.Throttle
	return s.store.PruneThrottleCounters(ctx, s.now().Add(-max(t.Window, t.SecondFactorWindow, t.ChallengeWindow)))
}
