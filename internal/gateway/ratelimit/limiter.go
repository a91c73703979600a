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
	// SourceLocal: the replica's own limiter, because Redis could not
	// decide (it failed, was too slow, or its breaker is open).
	SourceLocal
	// SourceNone: nobody; Redis could not decide and errors fail closed.
	SourceNone
)

// String returns memory, redis, local or none.
func (s Source) String() string {
	switch s {
	case SourceRedis:
		return "redis"
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
// With Redis, every request Redis admits is also counted by the local
// limiter, which is therefore warm when Redis stops answering: a key does
// not get a fresh burst because Redis failed. While Redis cannot decide,
// the local limiter decides alone (each replica applies every limit on its
// own, so the replicas together admit up to their number times a limit),
// or, failing closed, nothing is decided and the caller refuses.
type Limiter struct {
	local  *Memory
	remote *Redis
	br     *breaker
	closed bool
	clock  func() time.Duration
	call   func(time.Duration, error)
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
