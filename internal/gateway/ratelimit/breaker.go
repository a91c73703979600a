package ratelimit

import (
	"sync"
	"sync/atomic"
	"time"
)

// BreakerState is the state of the circuit breaker around Redis. The
// values are those of the gateway's breaker gauges: 0 closed, 1 half
// open, 2 open.
type BreakerState int32

// The breaker states.
const (
	// Closed: every decision asks Redis.
	Closed BreakerState = iota
	// HalfOpen: one decision probes Redis; the others do not ask it.
	HalfOpen
	// Open: no decision asks Redis until the cool-down has passed.
	Open
)

// String returns closed, half_open or open.
func (s BreakerState) String() string {
	switch s {
	case HalfOpen:
		return "half_open"
	case Open:
		return "open"
	}
	return "closed"
}

// breaker stops asking Redis after consecutive failures, so that a dead
// or stalled server costs nothing per request (no dial, no timeout) while
// it is open, and lets one request probe it after each cool-down.
type breaker struct {
	failures int
	coolDown time.Duration
	clock    func() time.Duration
	changed  func(BreakerState)

	// state and consecutive are read without the lock on the closed path.
	state       atomic.Int32
	consecutive atomic.Int32

	mu       sync.Mutex
	openedAt time.Duration
	probing  bool
}

func newBreaker(failures int, coolDown time.Duration, clock func() time.Duration, changed func(BreakerState)) *breaker {
	if changed == nil {
		changed = func(BreakerState) {}
	}
	return &breaker{failures: max(1, failures), coolDown: coolDown, clock: clock, changed: changed}
}

// allow reports whether a decision may ask Redis now, and whether it is
// the probe of a half-open breaker. When it may not, wait is how long
// until the next probe.
func (b *breaker) allow() (ok, probe bool, wait time.Duration) {
	if BreakerState(b.state.Load()) == Closed {
		return true, false, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch BreakerState(b.state.Load()) {
	case Closed:
		return true, false, 0
	case HalfOpen:
		if b.probing {
			return false, false, 0
		}
		b.probing = true
		return true, true, 0
	}
	if left := b.openedAt + b.coolDown - b.clock(); left > 0 {
		return false, false, left
	}
	b.set(HalfOpen)
	b.probing = true
	return true, true, 0
}

// success records a decision Redis answered.
func (b *breaker) success(probe bool) {
	if !probe && BreakerState(b.state.Load()) == Closed {
		if b.consecutive.Load() != 0 {
			b.consecutive.Store(0)
		}
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.consecutive.Store(0)
	if probe {
		b.probing = false
	}
	if BreakerState(b.state.Load()) != Closed {
		b.set(Closed)
	}
}

// failure records a decision Redis failed or answered too late.
func (b *breaker) failure(probe bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		b.probing = false
	}
	switch BreakerState(b.state.Load()) {
	case Open:
		return // a call from before it opened
	case HalfOpen:
		if !probe {
			return
		}
	default:
		if b.consecutive.Add(1) < int32(b.failures) {
			return
		}
	}
	b.consecutive.Store(0)
	b.openedAt = b.clock()
	b.set(Open)
}

// current returns the state.
func (b *breaker) current() BreakerState { return BreakerState(b.state.Load()) }

func (b *breaker) set(s BreakerState) {
	b.state.Store(int32(s))
	b.changed(s)
}
