package upstream

import (
	"sync"
	"sync/atomic"
	"time"
)

// BreakerState is the state of a service's circuit breaker.
type BreakerState int

// Breaker states.
const (
	// Closed admits every request and counts outcomes.
	Closed BreakerState = iota
	// Open rejects every request with ErrCircuitOpen.
	Open
	// HalfOpen admits a few trial requests to decide between the two.
	HalfOpen
)

// String returns the state's name as used in logs and metrics.
func (st BreakerState) String() string {
	switch st {
	case Closed:
		return "closed"
	case Open:
		return "open"
	case HalfOpen:
		return "half_open"
	}
	return "unknown"
}

// breaker is a circuit breaker whose closed state costs atomics only.
//
// Its state and a generation number share one atomic word; every
// transition increments the generation, so an outcome reported for an
// attempt admitted under an earlier generation is ignored instead of
// counting against the state that replaced it.
//
// The time it stays open backs off: minOpen when it opens after a whole
// window closed (or for the first time), otherwise twice its previous open
// time, up to maxOpen. A failed trial opens it again at once, so with the
// defaults a target that stays down is tried 1s, 3s, 7s, 15s, 30s... after
// the breaker opened: a target back after an outage waits less than the
// outage plus minOpen for its first trial, and one that stays down costs a
// round of trials per maxOpen.
type breaker struct {
	ratio       float64
	minRequests int64
	minOpen     int64
	maxOpen     int64
	window      int64 // the rolling window's length: the closed spell that resets the backoff
	trials      int64

	word      atomic.Uint64 // generation<<2 | state
	openUntil atomic.Int64  // while open: when trials may start
	admitted  atomic.Uint64 // while half-open: generation<<32 | trials admitted
	win       *window       // while closed: a = requests, b = failures

	// announce is told every new state, and for Open the open time, with
	// mu held so that the states arrive in the order they were entered.
	announce func(st BreakerState, openFor time.Duration)

	mu       sync.Mutex // serialises transitions, their announcements and trial results
	openedAt int64      // when it last opened, under mu
	lastOpen int64      // the open time it last chose, 0 before the first, under mu
	closedAt int64      // when it last closed after trials, under mu
}

func packWord(gen uint64, st BreakerState) uint64 { return gen<<2 | uint64(st) }

func wordState(w uint64) BreakerState { return BreakerState(w & 3) }

func wordGen(w uint64) uint64 { return w >> 2 }

func newBreaker(o BreakerOptions, announce func(BreakerState, time.Duration)) *breaker {
	if o.FailureRatio == 0 {
		return nil
	}
	return &breaker{
		announce:    announce,
		ratio:       o.FailureRatio,
		minRequests: int64(o.MinRequests),
		minOpen:     int64(o.MinOpenFor),
		maxOpen:     int64(o.OpenFor),
		window:      int64(o.Window),
		trials:      int64(o.HalfOpenRequests),
		win:         newWindow(o.Window),
	}
}

// admit decides whether a request may start now. It returns the word the
// request was admitted under and whether it is a half-open trial.
func (b *breaker) admit(c *clock) (w uint64, trial bool, err error) {
	for {
		w = b.word.Load()
		switch wordState(w) {
		case Closed:
			return w, false, nil
		case Open:
			now := c.nanos()
			if now < b.openUntil.Load() {
				return 0, false, ErrCircuitOpen
			}
			b.toHalfOpen(w)
		case HalfOpen:
			gen := wordGen(w)
			a := b.admitted.Load()
			if a>>32 != gen&0xffffffff || int64(a&0xffffffff) >= b.trials {
				if b.word.Load() != w {
					continue
				}
				return 0, false, ErrCircuitOpen
			}
			if b.admitted.CompareAndSwap(a, a+1) {
				return w, true, nil
			}
		}
	}
}

func (b *breaker) toHalfOpen(from uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.word.Load() == from {
		b.halfOpenLocked(from)
	}
}

// halfOpenLocked moves from word w to half-open; b.mu must be held.
func (b *breaker) halfOpenLocked(w uint64) {
	gen := wordGen(w) + 1
	b.admitted.Store((gen & 0xffffffff) << 32)
	b.word.Store(packWord(gen, HalfOpen))
	b.announce(HalfOpen, 0)
}

// probePassed tells the breaker that a health probe started at started
// passed. An open breaker that opened no later than that moves to half-open
// at once, so that the next request is a trial instead of waiting out the
// open time; it reports whether it moved. A probe proves less than a
// request (it asks another path, without the request's load), so it never
// closes the breaker by itself.
func (b *breaker) probePassed(started int64) bool {
	if wordState(b.word.Load()) != Open {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.word.Load()
	if wordState(w) != Open || started < b.openedAt {
		return false
	}
	b.halfOpenLocked(w)
	return true
}

// done records the outcome, at now, of an attempt admitted under word w.
func (b *breaker) done(w uint64, trial bool, o Outcome, now int64) {
	if trial {
		b.trialDone(w, o, now)
		return
	}
	if o == Canceled || b.word.Load() != w {
		return
	}
	if o == Success {
		b.win.add(now, 1, 0)
		return
	}
	b.win.add(now, 1, 1)
	reqs, fails := b.win.sum(now)
	if reqs < b.minRequests || float64(fails) < b.ratio*float64(reqs) {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.word.Load() == w {
		b.open(w, now)
	}
}

// trialDone records a trial's outcome: the first success closes the
// breaker, a failure before any success opens it again.
func (b *breaker) trialDone(w uint64, o Outcome, now int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.word.Load() != w {
		return
	}
	switch o {
	case Canceled:
		// The trial told nothing: give its slot to another request.
		b.admitted.Add(^uint64(0))
	case Success:
		b.win.reset()
		b.closedAt = now
		b.word.Store(packWord(wordGen(w)+1, Closed))
		b.announce(Closed, 0)
	default:
		b.open(w, now)
	}
}

// open moves from word w to open for the next open time of the backoff;
// b.mu must be held.
func (b *breaker) open(w uint64, now int64) {
	d := b.minOpen
	if b.lastOpen > 0 && (wordState(w) == HalfOpen || now-b.closedAt < b.window) {
		d = min(2*b.lastOpen, b.maxOpen)
	}
	b.lastOpen = d
	b.openedAt = now
	b.openUntil.Store(now + d)
	b.word.Store(packWord(wordGen(w)+1, Open))
	b.announce(Open, time.Duration(d))
}

// retryAfter returns how much longer, from now, the breaker rejects every
// request: the rest of its open time, or 0 when it is not open.
func (b *breaker) retryAfter(now int64) time.Duration {
	if b == nil || wordState(b.word.Load()) != Open {
		return 0
	}
	return time.Duration(max(b.openUntil.Load()-now, 0))
}

// state returns the current state.
func (b *breaker) state() BreakerState {
	if b == nil {
		return Closed
	}
	return wordState(b.word.Load())
}
