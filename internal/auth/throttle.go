package auth

import (
	"context"
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

// checkThrottle returns a *ThrottledError when an attempt for account from
// ip must wait (see ThrottleOptions), or nil.
func (s *Service) checkThrottle(ctx context.Context, account, ip string) error {
	t, now := s.o.Throttle, s.now()
	st, err := s.store.LoginFailureStats(ctx, account, ip, now.Add(-t.Window))
	if err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	var until time.Time
	wait := func(c FailureCount, free int, base, max time.Duration) {
		if d := throttleDelay(c.Count, free, base, max); d > 0 && c.Last.Add(d).After(until) {
			until = c.Last.Add(d)
		}
	}
	// Without an address, the address keys would lump every such client
	// together; only the account key applies, to every attempt.
	suspect := ip == ""
	if !suspect {
		wait(st.Pair, t.PairFree, t.PairBase, t.PairMax)
		wait(st.IP, t.IPFree, t.IPBase, t.IPMax)
		suspect = st.Pair.Count > 0 || st.IP.Count > 0
	}
	if suspect || st.Account.Count >= t.AccountHard {
		wait(st.Account, t.AccountFree, t.AccountBase, t.AccountMax)
	}
	if !until.After(now) {
		return nil
	}
	return &ThrottledError{RetryAfter: until.Sub(now)}
}

// recordFailure stores a failed attempt and audits the start of a
// lockout of the pair (account, ip).
func (s *Service) recordFailure(ctx context.Context, account, ip, identityID string) error {
	now := s.now()
	if err := s.store.RecordLoginFailure(ctx, LoginFailure{
		ID: NewID(LoginFailureIDPrefix, now), Account: truncateUTF8(account, MaxAccountKeyLen), IP: ip, At: now,
	}); err != nil {
		return fmt.Errorf("record failure: %w", err)
	}
	st, err := s.store.LoginFailureStats(ctx, account, ip, now.Add(-s.o.Throttle.Window))
	if err != nil {
		return fmt.Errorf("record failure: %w", err)
	}
	if st.Pair.Count == s.o.Throttle.PairFree {
		s.audit(ctx, AuditEvent{Kind: "login.lockout", ActorID: identityID, IP: ip,
			Detail: map[string]string{"account": account, "failures": fmt.Sprint(st.Pair.Count)}})
	}
	return nil
}

// PruneLoginFailures deletes failures that have aged out of the throttling
// window. Call it periodically (every few minutes) from one place.
func (s *Service) PruneLoginFailures(ctx context.Context) (int64, error) {
	return s.store.PruneLoginFailures(ctx, s.now().Add(-s.o.Throttle.Window))
}
