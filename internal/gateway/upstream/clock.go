package upstream

import (
	"context"
	"sync/atomic"
	"time"
)

// Bounds of the coarse clock's tick: a tenth of the shortest rolling-window
// bucket, but no finer than a millisecond and no coarser than 100ms.
const (
	minClockTick = time.Millisecond
	maxClockTick = 100 * time.Millisecond
)

// clock reads the service's clock as nanoseconds since the service was
// created.
//
// Reading the real clock costs about as much as the rest of Acquire and
// Done together, so while the service runs (between Start and Close) a
// goroutine publishes the time every tick and the hot path reads that
// instead: outcomes may land in a window bucket, and ejections and open
// breakers may end, up to one tick late. Otherwise the real clock reads only
// the monotonic time (time.Since takes that shortcut when its argument
// carries a monotonic reading), which is immune to wall-clock steps. An
// injected clock is always read directly.
type clock struct {
	now     func() time.Time // nil means the real clock
	base    time.Time
	ticking atomic.Bool
	coarse  atomic.Int64
}

func newClock(now func() time.Time) *clock {
	if now == nil {
		return &clock{base: time.Now()}
	}
	return &clock{now: now, base: now()}
}

// nanos returns the time on this clock.
func (c *clock) nanos() int64 {
	if c.ticking.Load() {
		return c.coarse.Load()
	}
	return c.precise()
}

func (c *clock) precise() int64 {
	if c.now == nil {
		return int64(time.Since(c.base))
	}
	return int64(c.now().Sub(c.base))
}

// startTicking makes nanos return the published time; tick must run next.
func (c *clock) startTicking() {
	c.coarse.Store(c.precise())
	c.ticking.Store(true)
}

// tick publishes the real time every period until ctx ends, then makes
// nanos read the real clock again.
func (c *clock) tick(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	defer c.ticking.Store(false)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.coarse.Store(c.precise())
		}
	}
}

// at converts nanoseconds on this clock back to a time.
func (c *clock) at(n int64) time.Time {
	return c.base.Add(time.Duration(n))
}

// clockTick returns how often the coarse clock should tick for a service
// whose finest window bucket is bucket wide.
func clockTick(bucket time.Duration) time.Duration {
	return min(max(bucket/10, minClockTick), maxClockTick)
}
