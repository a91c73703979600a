package ratelimit

import (
	"context"
	"time"
)

// Source says which store decided a request.
type Source uint8

// The sources of a decision.
const (
	// SourceMemory: the memory store, the only one configured.
	SourceMemory Source = iota
	// SourceRedis: Redis, shared by every replica.
	SourceRedis
	// SourceLease: leases this replica took from Redis earlier, without
	// a call to Redis.
	SourceLease
	// SourceLocal: the replica's own limiter, because Redis could not
	// decide (it failed, was too slow, or its breaker is open).
	SourceLocal
	// SourceNone: nobody; Redis could not decide and errors fail closed.
	SourceNone
)

// String returns memory, redis, lease, local or none.
func (s Source) String() string {
	switch s {
	case SourceRedis:
		return "redis"
	case SourceLease:
		return "lease"
	case SourceLocal:
		return "local"
	case SourceNone:
		return "none"
	}
	return "memory"
}

// Observer receives what a Limiter does, for metrics. Every field may be
// nil.
type Observer struct {
	// RedisCall is called after every call to Redis with its duration and
	// error (nil on success).
	RedisCall func(d time.Duration, err error)
	// BreakerChanged is called when the breaker around Redis changes
	// state.
	BreakerChanged func(BreakerState)
	// Evicted is called for every key the in-memory limiter drops to make
	// room; see MemoryOptions.Evicted.
	Evicted func(live bool)
	// Leased is called for every lease Redis granted, of more than one
	// request, with its size.
	Leased func(n int64)
	// LeaseDecision is called for every decision served from leases alone,
	// without a call to Redis.
	LeaseDecision func()
}

// Options configure a Limiter.
type Options struct {
	// MaxKeys caps the keys of the in-memory limiter: the memory store, or
	// the local floor beside Redis.
	MaxKeys int
	// Redis, when set, keeps the limits in Redis; nil keeps them in
	// memory only.
	Redis *RedisOptions
	// FailClosed refuses to decide while Redis cannot; false lets the
	// local floor decide alone.
	FailClosed bool
	// BreakerFailures consecutive failed calls to Redis open the breaker
	// for BreakerCoolDown.
	BreakerFailures int
	BreakerCoolDown time.Duration
	// Clock returns monotonic time since an arbitrary origin, for the
	// in-memory limiter and the breaker; nil uses the process's monotonic
	// clock. Tests move it by hand.
	Clock func() time.Duration
	// Observe receives what the limiter does.
	Observe Observer
}

// Limiter decides requests against limits, in memory or in Redis with an
// in-memory floor.
//
// With Redis, a check whose Lease is above 1 takes that many of its key's
// requests from Redis at once, a lease, and spends them in memory, one
// per request, each no later than the time Redis reserved it for (see
// leaseTable); a key without a usable lease asks Redis for one, in the
// same single script call as the request's other checks. Requests served
// from leases alone make no call to Redis, and keep being served while
// Redis fails, until their leases run out.
//
// With Redis, every request Redis admits is also counted by the local
// limiter, which is therefore warm when Redis stops answering: a key does
// not get a fresh burst because Redis failed. While Redis cannot decide,
// the local limiter decides alone (each replica applies every limit on its
// own, so the replicas together admit up to their number times a limit),
// or, failing closed, nothing is decided and the caller refuses.
type Limiter struct {
	local  *Memory
	remote *Redis
	leases *leaseTable
	br     *breaker
	closed bool
	clock  func() time.Duration
	call   func(time.Duration, error)
	leased func(int64)
	served func()
}

// New returns a limiter.
func New(o Options) *Limiter {
	clock := o.Clock
	if clock == nil {
		clock = monotonic()
	}
	l := &Limiter{local: NewMemory(MemoryOptions{MaxKeys: o.MaxKeys, Clock: clock, Evicted: o.Observe.Evicted}), clock: clock}
	if o.Redis != nil {
		l.remote = NewRedis(*o.Redis)
		l.br = newBreaker(o.BreakerFailures, o.BreakerCoolDown, clock, o.Observe.BreakerChanged)
		l.closed = o.FailClosed
		l.call = o.Observe.RedisCall
		if l.call == nil {
			l.call = func(time.Duration, error) {}
		}
		l.leases = newLeaseTable(o.MaxKeys)
		l.leased, l.served = o.Observe.Leased, o.Observe.LeaseDecision
		if l.leased == nil {
			l.leased = func(int64) {}
		}
		if l.served == nil {
			l.served = func() {}
		}
	}
	return l
}

// Result is the outcome of one decision.
type Result struct {
	// Allowed says whether every check admits the request.
	Allowed bool
	// Source is what decided.
	Source Source
	// RetryAfter, when Source is SourceNone, is how long until Redis is
	// asked again.
	RetryAfter time.Duration
}

// Decide applies checks to one request and fills out (as long as checks)
// with each check's decision. With Source SourceNone, out is not filled
// and the request must be refused.
func (l *Limiter) Decide(ctx context.Context, checks []Check, out []Decision) Result {
	if l.remote == nil {
		return Result{Allowed: l.local.Decide(checks, out), Source: SourceMemory}
	}
	for _, c := range checks {
		if c.Lease > 1 {
			return l.decideLeased(ctx, checks, out)
		}
	}
	ok, probe, wait := l.br.allow()
	if ok {
		start := l.clock()
		allowed, err := l.remote.Decide(ctx, checks, out)
		l.call(l.clock()-start, err)
		if err == nil {
			l.br.success(probe)
			if allowed {
				l.local.Record(checks)
			}
			return Result{Allowed: allowed, Source: SourceRedis}
		}
		l.br.failure(probe)
		if l.br.current() == Open {
			wait = l.br.coolDown
		}
	}
	if l.closed {
		return Result{Source: SourceNone, RetryAfter: wait}
	}
	return Result{Allowed: l.local.Decide(checks, out), Source: SourceLocal}
}

// decideLeased is Decide for checks of which some take leases.
func (l *Limiter) decideLeased(ctx context.Context, checks []Check, out []Decision) Result {
	if len(checks) > MaxChecks {
		// Beyond what the scratch arrays hold: every check at Redis, one
		// request each, as without leases.
		one := make([]Check, len(checks))
		for i, c := range checks {
			one[i] = Check{Key: c.Key, Limit: c.Limit}
		}
		return l.Decide(ctx, one, out)
	}
	var (
		hashes [MaxChecks]uint64
		state  [MaxChecks]int // leaseServed, leaseFetch, leaseSingle, or -1: no lease
		slots  [MaxChecks]taken
		ask    [MaxChecks]Check // what Redis is asked, in checks' order
		asked  [MaxChecks]int   // the index in checks of each of ask
		got    [MaxChecks]Decision
	)
	now := l.local.now()
	n := 0
	for i, c := range checks {
		state[i] = -1
		want := int64(1)
		if c.Lease > 1 {
			hashes[i] = l.leases.hash(c.Key)
			state[i], slots[i] = l.leases.take(hashes[i], c.Limit, now, &out[i])
			if state[i] == leaseServed {
				continue
			}
			if state[i] == leaseFetch {
				want = c.Lease
			}
		}
		ask[n], asked[n] = Check{Key: c.Key, Limit: c.Limit, Lease: want}, i
		n++
	}
	if n == 0 {
		l.local.Record(checks)
		l.served()
		return Result{Allowed: true, Source: SourceLease}
	}
	ok, probe, wait := l.br.allow()
	if ok {
		start := l.clock()
		allowed, srvNow, err := l.remote.decide(ctx, ask[:n], got[:n])
		l.call(l.clock()-start, err)
		if err == nil {
			l.br.success(probe)
			for j, i := range asked[:n] {
				out[i] = got[j]
				if state[i] != leaseFetch {
					continue
				}
				if !allowed || got[j].Granted <= 1 {
					l.leases.drop(hashes[i])
					continue
				}
				// The lease's first slot, in this replica's clock: the
				// server's time is taken to be the local time the call
				// started at, which is never later than when the server
				// read its clock, so every slot is given up no later
				// than the server's time says it passes.
				first := got[j].TAT - checks[i].Limit.interval - srvNow + int64(start/time.Microsecond)
				l.leases.install(hashes[i], checks[i].Limit, first, got[j].Granted, now)
				l.leased(got[j].Granted)
			}
			if allowed {
				l.local.Record(checks)
			} else {
				l.giveBack(checks, hashes[:], state[:], slots[:])
			}
			return Result{Allowed: allowed, Source: SourceRedis}
		}
		l.br.failure(probe)
		if l.br.current() == Open {
			wait = l.br.coolDown
		}
	}
	// Redis could not decide: the slots spent go back, and the floor (or
	// nobody) decides the whole request, as without leases.
	for _, i := range asked[:n] {
		if state[i] == leaseFetch {
			l.leases.drop(hashes[i])
		}
	}
	l.giveBack(checks, hashes[:], state[:], slots[:])
	if l.closed {
		return Result{Source: SourceNone, RetryAfter: wait}
	}
	return Result{Allowed: l.local.Decide(checks, out), Source: SourceLocal}
}

// giveBack returns the lease slots a refused request spent.
func (l *Limiter) giveBack(checks []Check, hashes []uint64, state []int, slots []taken) {
	for i, c := range checks {
		if state[i] == leaseServed {
			l.leases.giveBack(hashes[i], c.Limit, slots[i])
		}
	}
}

// Breaker returns the state of the breaker around Redis; Closed without
// Redis.
func (l *Limiter) Breaker() BreakerState {
	if l.br == nil {
		return Closed
	}
	return l.br.current()
}

// Local returns the in-memory limiter: the store, or the floor beside
// Redis.
func (l *Limiter) Local() *Memory { return l.local }

// Redis returns the Redis store, or nil.
func (l *Limiter) Redis() *Redis { return l.remote }

// Close releases the connections to Redis.
func (l *Limiter) Close() error {
	if l.remote == nil {
		return nil
	}
	return l.remote.Close()
}
