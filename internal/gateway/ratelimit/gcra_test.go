package ratelimit

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

const (
	sec    = int64(time.Second / time.Microsecond)
	minute = 60 * sec
)

func mustLimit(tb testing.TB, count int64, period time.Duration, burst int64) Limit {
	tb.Helper()
	l, err := NewLimit(count, period, burst)
	if err != nil {
		tb.Fatalf("NewLimit(%d, %s, %d): %v", count, period, burst, err)
	}
	return l
}

// step is one request at a time, and what the limit must say.
type step struct {
	at         int64 // microseconds
	allowed    bool
	remaining  int64
	retryAfter time.Duration
	reset      time.Duration
}

// run applies steps in order to one key, storing TATs as a store would.
func run(t *testing.T, l Limit, tat int64, steps []step) int64 {
	t.Helper()
	for i, s := range steps {
		d := l.Decide(tat, s.at)
		if d.Allowed != s.allowed || d.Remaining != s.remaining && s.allowed || d.RetryAfter != s.retryAfter || d.Reset != s.reset {
			t.Fatalf("step %d at %dµs: got %+v, want allowed %v remaining %d retry after %s reset %s",
				i, s.at, d, s.allowed, s.remaining, s.retryAfter, s.reset)
		}
		if d.Allowed {
			tat = d.TAT
		}
	}
	return tat
}

func TestDecideBurstAndRefill(t *testing.T) {
	// 10/m with a burst of 5: one request per 6 s, five at once.
	l := mustLimit(t, 10, time.Minute, 5)
	if l.Interval() != 6*time.Second || l.Burst() != 5 {
		t.Fatalf("got interval %s burst %d, want 6s and 5", l.Interval(), l.Burst())
	}
	t0 := 1000 * sec
	tat := run(t, l, 0, []step{
		{t0, true, 4, 0, 6 * time.Second},
		{t0, true, 3, 0, 12 * time.Second},
		{t0, true, 2, 0, 18 * time.Second},
		{t0, true, 1, 0, 24 * time.Second},
		{t0, true, 0, 0, 30 * time.Second},
		// The sixth at the same instant waits exactly one interval.
		{t0, false, 0, 6 * time.Second, 30 * time.Second},
		// One microsecond early is still refused, by one microsecond.
		{t0 + 6*sec - 1, false, 0, time.Microsecond, 24*time.Second + time.Microsecond},
		// Exactly on time is admitted, and uses the whole burst again.
		{t0 + 6*sec, true, 0, 0, 30 * time.Second},
		{t0 + 6*sec, false, 0, 6 * time.Second, 30 * time.Second},
	})
	// After the whole burst's refill (30 s after the last TAT was set,
	// i.e. at the TAT), the key is as if new.
	run(t, l, tat, []step{
		{tat, true, 4, 0, 6 * time.Second},
	})
	// Half-way through the refill, half the burst is back (rounded down).
	run(t, l, tat, []step{
		{tat - 15*sec, true, 1, 0, 21 * time.Second},
		{tat - 15*sec, true, 0, 0, 27 * time.Second},
		{tat - 15*sec, false, 0, 3 * time.Second, 27 * time.Second},
	})
}

func TestDecideBurstOfOne(t *testing.T) {
	l := mustLimit(t, 1, time.Second, 1)
	t0 := 5 * sec
	run(t, l, 0, []step{
		{t0, true, 0, 0, time.Second},
		{t0 + sec - 1, false, 0, time.Microsecond, time.Microsecond},
		{t0 + sec, true, 0, 0, time.Second},
		{t0 + 10*sec, true, 0, 0, time.Second},
	})
}

func TestDecideClockEdges(t *testing.T) {
	l := mustLimit(t, 1, time.Minute, 2) // τ = 2 min
	t0 := 100 * minute

	t.Run("clock went back far", func(t *testing.T) {
		// A TAT ten hours ahead: the clock was set back, or another
		// replica's clock ran ahead. The key counts as exhausted for one
		// interval, not for ten hours.
		d := l.Decide(t0+600*minute, t0)
		if d.Allowed || d.RetryAfter != time.Minute || d.Reset != 2*time.Minute {
			t.Fatalf("got %+v, want refused for exactly 1m (reset 2m)", d)
		}
	})
	t.Run("clock went back a little", func(t *testing.T) {
		// Two requests at t0, then the clock reads 30 s earlier: the TAT
		// is 2m30s ahead, beyond τ, so it counts as exactly exhausted.
		tat := run(t, l, 0, []step{{t0, true, 1, 0, time.Minute}, {t0, true, 0, 0, 2 * time.Minute}})
		d := l.Decide(tat, t0-30*sec)
		if d.Allowed || d.RetryAfter != time.Minute {
			t.Fatalf("got %+v, want refused for exactly 1m", d)
		}
	})
	t.Run("clock jumped ahead", func(t *testing.T) {
		tat := run(t, l, 0, []step{{t0, true, 1, 0, time.Minute}, {t0, true, 0, 0, 2 * time.Minute}})
		d := l.Decide(tat, t0+10_000*minute)
		if !d.Allowed || d.Remaining != 1 {
			t.Fatalf("got %+v, want admitted with the burst back", d)
		}
	})
	t.Run("time zero and a fresh key", func(t *testing.T) {
		d := l.Decide(0, 0)
		if !d.Allowed || d.Remaining != 1 || d.TAT != minute {
			t.Fatalf("got %+v, want admitted, 1 remaining, TAT 1m", d)
		}
	})
}

func TestPeekAndForce(t *testing.T) {
	l := mustLimit(t, 1, time.Second, 3)
	t0 := 50 * sec
	if d := l.Peek(0, t0); d.Remaining != 3 || d.Reset != 0 {
		t.Errorf("peek at a fresh key: got %+v, want 3 remaining, reset 0", d)
	}
	tat := l.Force(0, t0)
	if d := l.Peek(tat, t0); d.Remaining != 2 || d.Reset != time.Second {
		t.Errorf("peek after one: got %+v, want 2 remaining, reset 1s", d)
	}
	// Force never runs past the tolerance, whatever it is told.
	for range 10 {
		tat = l.Force(tat, t0)
	}
	if want := t0 + 3*sec; tat != want {
		t.Errorf("forced ten times more: got TAT %d, want %d (now + τ)", tat, want)
	}
}

func TestNewLimitBounds(t *testing.T) {
	for _, c := range []struct {
		count  int64
		period time.Duration
		burst  int64
	}{
		{0, time.Second, 1}, {1, 0, 1}, {1, time.Second, 0}, {2_000_000, time.Second, 1}, {1, 24 * time.Hour, 1 << 50},
	} {
		if _, err := NewLimit(c.count, c.period, c.burst); err == nil {
			t.Errorf("NewLimit(%d, %s, %d): got no error, want one", c.count, c.period, c.burst)
		}
	}
	if _, err := NewLimit(1_000_000, time.Second, 1); err != nil {
		t.Errorf("one per microsecond: %v", err)
	}
}

// TestDecideNeverExceedsTheBound drives random arrivals (sorted, with
// ties) through a limit and checks GCRA's guarantee in every window:
// within any span of W, at most B + ⌊W/T⌋ requests are admitted; and that
// every refusal names a positive wait.
func TestDecideNeverExceedsTheBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		count := int64(1 + rng.IntN(20))
		burst := int64(1 + rng.IntN(10))
		l := mustLimit(t, count, time.Second, burst)
		T := l.interval
		arrivals := make([]int64, 300)
		for i := range arrivals {
			arrivals[i] = rng.Int64N(20 * sec)
		}
		slices.Sort(arrivals)
		var tat int64
		var admitted []int64
		for _, at := range arrivals {
			d := l.Decide(tat, at)
			if d.Allowed {
				tat = d.TAT
				admitted = append(admitted, at)
			} else if d.RetryAfter <= 0 {
				t.Fatalf("trial %d: refused at %d with retry after %s", trial, at, d.RetryAfter)
			}
		}
		for i := range admitted {
			for j := i; j < len(admitted); j++ {
				w := admitted[j] - admitted[i]
				if n := int64(j - i + 1); n > burst+w/T {
					t.Fatalf("trial %d (%d/s burst %d): %d admitted within %dµs, more than %d",
						trial, count, burst, n, w, burst+w/T)
				}
			}
		}
	}
}
