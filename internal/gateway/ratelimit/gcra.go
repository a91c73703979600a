package ratelimit

import (
	"errors"
	"math"
	"time"
)

// Limit is a rate with a burst, applied with GCRA. Times are microseconds.
// The zero value admits nothing; obtain one from NewLimit.
type Limit struct {
	interval  int64 // T: the time one request uses up, period ÷ count
	tolerance int64 // τ: burst × T, how far the TAT may run ahead of now
}

// NewLimit returns the limit of count requests per period with a burst of
// burst requests at once. The period ÷ count must be at least a
// microsecond, and burst × that no more than math.MaxInt64 / 2
// microseconds.
func NewLimit(count int64, period time.Duration, burst int64) (Limit, error) {
	if count <= 0 || period <= 0 || burst <= 0 {
		return Limit{}, errors.New("ratelimit: count, period and burst must be positive")
	}
	t := int64(period/time.Microsecond) / count
	if t < 1 {
		return Limit{}, errors.New("ratelimit: more than one request per microsecond")
	}
	if burst > math.MaxInt64/2/t {
		return Limit{}, errors.New("ratelimit: burst too large for the rate")
	}
	return Limit{interval: t, tolerance: burst * t}, nil
}

// Interval is the time one request uses up: the period ÷ the count.
func (l Limit) Interval() time.Duration { return us(l.interval) }

// Burst is the number of requests admitted at once from a key that has
// been quiet for Interval × Burst.
func (l Limit) Burst() int64 {
	if l.interval == 0 {
		return 0
	}
	return l.tolerance / l.interval
}

// Decision is what a limit says about one request.
type Decision struct {
	// Allowed says whether the limit admits the request.
	Allowed bool
	// TAT is the key's theoretical arrival time after the request, which
	// the store keeps when every limit of the request admits it.
	TAT int64
	// Remaining is the number of requests the limit would admit now, after
	// this one when it was admitted.
	Remaining int64
	// RetryAfter is, for a refused request, how long until the limit
	// admits it.
	RetryAfter time.Duration
	// Reset is how long until the whole burst is available again.
	Reset time.Duration
	// Granted is, for a decision that asked for a lease (Limit.Lease), the
	// number of requests the limit granted at once, this one included;
	// 0 from Decide and Peek.
	Granted int64
}

// Decide applies the limit to one request at time now, for a key whose
// stored TAT is tat (0 for a key never seen or dropped).
//
// A TAT in the past is a key with its whole burst available, the same as
// an absent key. A TAT further ahead than the limit allows (the clock went
// back, or the limit was lowered since) is brought back to now plus the
// tolerance: the key counts as exhausted, never longer than one burst's
// refill.
func (l Limit) Decide(tat, now int64) Decision {
	tat = l.clamp(tat, now)
	next := tat + l.interval
	if next-now > l.tolerance {
		return Decision{TAT: tat, RetryAfter: us(next - l.tolerance - now), Reset: us(tat - now)}
	}
	return Decision{Allowed: true, TAT: next, Remaining: (l.tolerance - (next - now)) / l.interval, Reset: us(next - now)}
}

// Lease applies the limit to a request that asks for up to want requests
// at once, for a key whose stored TAT is tat, at now: a lease of the
// key's next slots. It is admitted when Decide admits one request, and
// then grants as many of want as fit within the tolerance, at least one;
// the key's TAT moves to the TAT before the request plus Granted × the
// interval (clamped as Decide does), which is TAT + (Granted - 1) ×
// the interval. Every other field is Decide's for the one request, so
// Lease(tat, now, 1) is Decide(tat, now) with Granted 1.
func (l Limit) Lease(tat, now, want int64) Decision {
	d := l.Decide(tat, now)
	if !d.Allowed {
		return d
	}
	start := d.TAT - l.interval
	// The slots that fit: start + k×T - now ≤ τ.
	d.Granted = min(max(want, 1), (l.tolerance-(start-now))/l.interval)
	return d
}

// LeaseTAT is the key's TAT after a lease decision d: the slots it
// granted are all used up.
func (l Limit) LeaseTAT(d Decision) int64 { return d.TAT + (d.Granted-1)*l.interval }

// Peek describes the limit for a key with TAT tat at time now without a
// request: what a response refused by another limit reports for this one.
func (l Limit) Peek(tat, now int64) Decision {
	tat = l.clamp(tat, now)
	return Decision{Allowed: true, TAT: tat, Remaining: (l.tolerance - (tat - now)) / l.interval, Reset: us(tat - now)}
}

// Force returns the key's TAT after a request admitted elsewhere: the
// local floor beside Redis counts what Redis admitted, whatever it would
// have said itself, never beyond the tolerance.
func (l Limit) Force(tat, now int64) int64 {
	return min(l.clamp(tat, now)+l.interval, now+l.tolerance)
}

func (l Limit) clamp(tat, now int64) int64 {
	if tat < now {
		return now
	}
	if m := now + l.tolerance; tat > m {
		return m
	}
	return tat
}

func us(n int64) time.Duration { return time.Duration(n) * time.Microsecond }

// A Check asks one limit about one key.
type Check struct {
	// Key names what is counted, unique across the limits sharing a
	// store: the policy's name is part of it.
	Key []byte
	// Limit is the policy's limit.
	Limit Limit
	// Lease is, with the Redis store, how many requests of the key a
	// decision at Redis takes at once, to spend in memory until they run
	// out; 0 or 1 takes one (no lease). See Limiter.
	Lease int64
}

// settle fills out with the decisions of checks for keys whose TATs
// (before the request) are tats, at now, and reports whether every check
// admits the request. With leases, a check asks for Check.Lease requests
// (Limit.Lease). When one refuses, the checks that would admit it report
// Peek, since nothing is consumed.
func settle(checks []Check, tats []int64, now int64, out []Decision, leases bool) bool {
	allowed := true
	for i, c := range checks {
		if leases {
			out[i] = c.Limit.Lease(tats[i], now, c.Lease)
		} else {
			out[i] = c.Limit.Decide(tats[i], now)
		}
		allowed = allowed && out[i].Allowed
	}
	if !allowed {
		for i, c := range checks {
			if out[i].Allowed {
				out[i] = c.Limit.Peek(tats[i], now)
			}
		}
	}
	return allowed
}
