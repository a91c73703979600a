package upstream

import (
	"sync"
	"sync/atomic"
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
type breaker struct {
	ratio       float64
	minRequests int64
	openFor     int64
	trials      int64

	word      atomic.Uint64 // generation<<2 | state
	openUntil atomic.Int64  // while open: when trials may start
	admitted  atomic.Uint64 // while half-open: generation<<32 | trials admitted
	win       *window       // while closed: a = requests, b = failures

	mu        sync.Mutex // serialises transitions and trial results
	succeeded int64      // while half-open, under mu
}

func packWord(gen uint64, st BreakerState) uint64 { return gen<<2 | uint64(st) }

func wordState(w uint64) BreakerState { return BreakerState(w & 3) }

func wordGen(w uint64) uint64 { return w >> 2 }

func newBreaker(o BreakerOptions) *breaker {
	if o.FailureRatio == 0 {
		return nil
	}
	return &breaker{
		ratio:       o.FailureRatio,
		minRequests: int64(o.MinRequests),
		openFor:     int64(o.OpenFor),
		trials:      int64(o.HalfOpenRequests),
		win:         newWindow(o.Window),
	}
}

// admit decides whether a request may start now. It returns the word the
// request was admitted under and whether it is a half-open trial; changed
// reports a transition (to half-open) the caller must announce.
func (b *breaker) admit(c *clock) (w uint64, trial bool, changed bool, err error) {
	for {
		w = b.word.Load()
		switch wordState(w) {
		case Closed:
			return w, false, changed, nil
		case Open:
			now := c.nanos()
			if now < b.openUntil.Load() {
				return 0, false, changed, ErrCircuitOpen
			}
			if b.toHalfOpen(w) {
				changed = true
			}
		case HalfOpen:
			gen := wordGen(w)
			a := b.admitted.Load()
			if a>>32 != gen&0xffffffff || int64(a&0xffffffff) >= b.trials {
				if b.word.Load() != w {
					continue
				}
				return 0, false, changed, ErrCircuitOpen
			}
			if b.admitted.CompareAndSwap(a, a+1) {
				return w, true, changed, nil
			}
		}
	}
}

func (b *breaker) toHalfOpen(from uint64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.word.Load() != from {
		return false
	}
	gen := wordGen(from) + 1
	b.succeeded = 0
	b.admitted.Store((gen & 0xffffffff) << 32)
	b.word.Store(packWord(gen, HalfOpen))
	return true
}

// done records the outcome, at now, of an attempt admitted under word w and
// returns the new state when the outcome caused a transition.
func (b *breaker) done(w uint64, trial bool, o Outcome, now int64) (BreakerState, bool) {
	if trial {
		return b.trialDone(w, o, now)
	}
	if o == Canceled || b.word.Load() != w {
		return 0, false
	}
	if o == Success {
		b.win.add(now, 1, 0)
		return 0, false
	}
	b.win.add(now, 1, 1)
	reqs, fails := b.win.sum(now)
	if reqs < b.minRequests || float64(fails) < b.ratio*float64(reqs) {
		return 0, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.word.Load() != w {
		return 0, false
	}
	b.open(w, now)
	return Open, true
}

func (b *breaker) trialDone(w uint64, o Outcome, now int64) (BreakerState, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.word.Load() != w {
		return 0, false
	}
	switch o {
	case Canceled:
		// The trial told nothing: give its slot to another request.
		b.admitted.Add(^uint64(0))
		return 0, false
	case Success:
		b.succeeded++
		if b.succeeded < b.trials {
			return 0, false
		}
		b.win.reset()
		b.word.Store(packWord(wordGen(w)+1, Closed))
		return Closed, true
	}
	b.open(w, now)
	return Open, true
}

// open moves from word w to open; b.mu must be held.
func (b *breaker) open(w uint64, now int64) {
	b.openUntil.Store(now + b.openFor)
	b.word.Store(packWord(wordGen(w)+1, Open))
}

// state returns the current state.
func (b *breaker) state() BreakerState {
	if b == nil {
		return Closed
	}
	return wordState(b.word.Load())
}
