package upstream

import "math/rand/v2"

// Outcome is how an attempt at a target ended.
type Outcome int

// Outcomes of an attempt.
const (
	// Success is any response that is not a server error.
	Success Outcome = iota
	// Failure is a connection error or a 5xx response; it counts towards
	// the target's ejection and the service's breaker.
	Failure
	// Timeout is an attempt that ran out of time; it counts as a Failure.
	Timeout
	// Canceled is an attempt abandoned because the client went away; it
	// counts for nothing.
	Canceled
)

// String returns the outcome's name as used in logs and metrics.
func (o Outcome) String() string {
	switch o {
	case Success:
		return "success"
	case Failure:
		return "failure"
	case Timeout:
		return "timeout"
	case Canceled:
		return "canceled"
	}
	return "unknown"
}

// Attempt is one admitted attempt at a target. It is a small value so that
// admitting costs no allocation; finish it exactly once with Done, through
// the variable Acquire's result was stored in. The zero Attempt has no
// target and its Done does nothing.
type Attempt struct {
	svc    *Service
	target *Target
	word   uint64 // breaker word at admission
	trial  bool   // a half-open trial
}

// Acquire admits one attempt: it checks the breaker and picks an eligible
// target, skipping avoid (the target of a failed previous attempt, may be
// nil) when another one is eligible. It returns ErrNoTarget when no target
// is eligible and ErrCircuitOpen when the breaker rejects.
func (s *Service) Acquire(avoid *Target) (Attempt, error) {
	if n := s.nextReturn.Load(); n != noReturn && s.clock.nanos() >= n {
		s.returnEjected()
	}
	set := *s.eligible.Load()
	if len(set) == 0 {
		return Attempt{}, ErrNoTarget
	}
	var a Attempt
	if b := s.breaker; b != nil {
		w, trial, err := b.admit(s.clock)
		if err != nil {
			return Attempt{}, err
		}
		a.word, a.trial = w, trial
	}
	a.svc = s
	a.target = s.pick(set, avoid)
	a.target.outstanding.Add(1)
	return a, nil
}

// pick chooses a target from the non-empty eligible set.
func (s *Service) pick(set []*Target, avoid *Target) *Target {
	n := uint64(len(set))
	if n == 1 {
		return set[0]
	}
	if !s.leastOut {
		i := s.rr.Add(1) - 1
		t := set[i%n]
		if t == avoid {
			t = set[(i+1)%n]
		}
		return t
	}
	// One random word gives both choices; the modulo bias is negligible
	// for any realistic number of targets.
	r := rand.Uint64()
	i := (r >> 32) % n
	j := (r & 0xffffffff) % (n - 1)
	if j >= i {
		j++
	}
	a, b := set[i], set[j]
	if b == avoid || (a != avoid && a.outstanding.Load() <= b.outstanding.Load()) {
		return a
	}
	return b
}

// Target returns the attempt's target; it stays valid after Done, so that
// a retry can avoid it.
func (a *Attempt) Target() *Target { return a.target }

// Done finishes the attempt with its outcome. Calls after the first do
// nothing.
func (a *Attempt) Done(o Outcome) {
	s := a.svc
	if s == nil {
		return
	}
	a.svc = nil
	t := a.target
	t.outstanding.Add(-1)
	switch o {
	case Success:
		if t.failures.Load() != 0 {
			t.failures.Store(0)
		}
	case Failure, Timeout:
		if n := s.outlier.ConsecutiveFailures; n > 0 && t.failures.Add(1) >= int64(n) {
			s.ejectFailing(t)
		}
	}
	if s.breaker == nil && s.retry == nil {
		return
	}
	now := s.clock.nanos()
	if s.retry != nil {
		s.retry.finished(now)
	}
	if s.breaker != nil {
		s.breaker.done(a.word, a.trial, o, now)
	}
}
