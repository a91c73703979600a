package upstream

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// recorder is an Observer that remembers what it was told.
type recorder struct {
	mu       sync.Mutex
	health   []string
	breaker  []BreakerState
	ejection []string
	removed  []string
	panics   []bool
	notify   chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 100)} }

func (r *recorder) TargetHealthChanged(_, target string, healthy bool) {
	r.mu.Lock()
	r.health = append(r.health, target+map[bool]string{true: " healthy", false: " unhealthy"}[healthy])
	r.mu.Unlock()
	r.signal()
}

func (r *recorder) BreakerStateChanged(_ string, st BreakerState) {
	r.mu.Lock()
	r.breaker = append(r.breaker, st)
	r.mu.Unlock()
	r.signal()
}

func (r *recorder) TargetEjectionChanged(_, target string, ejected bool) {
	r.mu.Lock()
	r.ejection = append(r.ejection, target+map[bool]string{true: " ejected", false: " returned"}[ejected])
	r.mu.Unlock()
	r.signal()
}

func (r *recorder) TargetsRemoved(_ string, targets []string) {
	r.mu.Lock()
	r.removed = append(r.removed, targets...)
	r.mu.Unlock()
	r.signal()
}

func (r *recorder) PanicRoutingChanged(_ string, panicking bool) {
	r.mu.Lock()
	r.panics = append(r.panics, panicking)
	r.mu.Unlock()
	r.signal()
}

func (r *recorder) panicEvents() []bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bool(nil), r.panics...)
}

func (r *recorder) removedTargets() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.removed...)
}

func (r *recorder) signal() {
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) healthEvents() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.health...)
}

func (r *recorder) breakerEvents() []BreakerState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]BreakerState(nil), r.breaker...)
}

func (r *recorder) ejectionEvents() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ejection...)
}

// fakeResolver answers lookups from a list that tests change between calls.
type fakeResolver struct {
	mu      sync.Mutex
	addrs   []string
	err     error
	lookups int
	looked  chan struct{} // signalled after every lookup
}

func newFakeResolver(addrs ...string) *fakeResolver {
	return &fakeResolver{addrs: addrs, looked: make(chan struct{}, 1)}
}

// set changes the answer and returns the number of lookups so far: every
// later lookup sees the new answer.
func (r *fakeResolver) set(addrs []string, err error) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs, r.err = addrs, err
	return r.lookups
}

func (r *fakeResolver) LookupHost(_ context.Context, _ string) ([]string, error) {
	r.mu.Lock()
	r.lookups++
	addrs, err := append([]string(nil), r.addrs...), r.err
	r.mu.Unlock()
	select {
	case r.looked <- struct{}{}:
	default:
	}
	return addrs, err
}

// waitLookups blocks until n lookups have started. The deadline only keeps
// a broken build from hanging.
func (r *fakeResolver) waitLookups(tb testing.TB, n int) {
	tb.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		done := r.lookups >= n
		r.mu.Unlock()
		if done {
			return
		}
		select {
		case <-r.looked:
		case <-deadline:
			tb.Fatalf("got fewer than %d lookups", n)
		}
	}
}

var errLookup = errors.New("lookup failed")

func mustNew(tb testing.TB, opts Options) *Service {
	tb.Helper()
	s, err := New(opts)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

func mustURL(tb testing.TB, raw string) *url.URL {
	tb.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatalf("parse %q: %v", raw, err)
	}
	return u
}

func mustURLs(tb testing.TB, raw ...string) []*url.URL {
	tb.Helper()
	us := make([]*url.URL, 0, len(raw))
	for _, r := range raw {
		us = append(us, mustURL(tb, r))
	}
	return us
}

func mustAcquire(tb testing.TB, s *Service, avoid *Target) Attempt {
	tb.Helper()
	a, err := s.Acquire(avoid)
	if err != nil {
		tb.Fatalf("Acquire: %v", err)
	}
	return a
}

// pickOnce admits one attempt, finishes it with o and returns its target.
func pickOnce(tb testing.TB, s *Service, o Outcome) string {
	tb.Helper()
	a := mustAcquire(tb, s, nil)
	name := a.Target().String()
	a.Done(o)
	return name
}

// failTarget finishes attempts at target with Failure, and at any other
// target with Success, until target has failed n times.
func failTarget(tb testing.TB, s *Service, target string, n int) {
	tb.Helper()
	finishTarget(tb, s, target, n, Failure)
}

// finishTarget finishes attempts at target with o, and at any other target
// with Success, until n attempts at target have ended with o.
func finishTarget(tb testing.TB, s *Service, target string, n int, o Outcome) {
	tb.Helper()
	for failed, tries := 0, 0; failed < n; tries++ {
		if tries > 1000 {
			tb.Fatalf("target %s was never picked", target)
		}
		a := mustAcquire(tb, s, nil)
		if a.Target().String() == target {
			a.Done(o)
			failed++
			continue
		}
		a.Done(Success)
	}
}

func targetState(tb testing.TB, s *Service, target string) TargetState {
	tb.Helper()
	for _, t := range s.Snapshot().Targets {
		if t.URL == target {
			return t
		}
	}
	tb.Fatalf("target %s not in snapshot %+v", target, s.Snapshot())
	return TargetState{}
}

func targetURLs(s *Service) []string {
	var out []string
	for _, t := range s.Snapshot().Targets {
		out = append(out, t.URL)
	}
	return out
}
