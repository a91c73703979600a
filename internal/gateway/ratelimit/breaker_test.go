package ratelimit

import (
	"testing"
	"time"
)

func TestBreaker(t *testing.T) {
	clock := newFakeClock()
	var changes []BreakerState
	b := newBreaker(3, 10*time.Second, clock.read, func(s BreakerState) { changes = append(changes, s) })
	mustAllow := func(wantOK, wantProbe bool) time.Duration {
		t.Helper()
		ok, probe, wait := b.allow()
		if ok != wantOK || probe != wantProbe {
			t.Fatalf("allow: got ok %v probe %v, want %v %v (state %s)", ok, probe, wantOK, wantProbe, b.current())
		}
		return wait
	}

	// Failures below the threshold, or interrupted by a success, keep it
	// closed.
	for range 2 {
		mustAllow(true, false)
		b.failure(false)
	}
	b.success(false)
	for range 2 {
		b.failure(false)
	}
	if b.current() != Closed {
		t.Fatalf("after 2, a success and 2 more failures: %s, want closed", b.current())
	}
	b.failure(false)
	if b.current() != Open {
		t.Fatalf("after 3 failures in a row: %s, want open", b.current())
	}

	// Open: nobody asks Redis until the cool-down has passed.
	if wait := mustAllow(false, false); wait != 10*time.Second {
		t.Errorf("wait right after opening: got %s, want 10s", wait)
	}
	clock.advance(10*time.Second - time.Nanosecond)
	if wait := mustAllow(false, false); wait != time.Nanosecond {
		t.Errorf("wait just before the cool-down ends: got %s, want 1ns", wait)
	}
	clock.advance(time.Nanosecond)

	// Half open: exactly one probe at a time.
	mustAllow(true, true)
	mustAllow(false, false)
	b.failure(true)
	if b.current() != Open {
		t.Fatalf("after a failed probe: %s, want open again", b.current())
	}
	mustAllow(false, false)
	clock.advance(10 * time.Second)
	mustAllow(true, true)
	// A late failure of a call from before does not count against the
	// probe's outcome.
	b.failure(false)
	if b.current() != HalfOpen {
		t.Fatalf("after a late non-probe failure: %s, want still half open", b.current())
	}
	b.success(true)
	if b.current() != Closed {
		t.Fatalf("after a successful probe: %s, want closed", b.current())
	}
	mustAllow(true, false)

	want := []BreakerState{Open, HalfOpen, Open, HalfOpen, Closed}
	if len(changes) != len(want) {
		t.Fatalf("changes: got %v, want %v", changes, want)
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Fatalf("changes: got %v, want %v", changes, want)
		}
	}
}
