package upstream

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// windowBuckets is the number of buckets a rolling window is kept in: the
// window forgets its oldest tenth at a time.
const windowBuckets = 10

// window counts two quantities over a rolling period of windowBuckets
// buckets. Adding is two atomic operations in the common case; a bucket is
// recycled under its own small lock once per period, never per event.
type window struct {
	width   int64 // bucket width in nanoseconds
	_       [56]byte
	buckets [windowBuckets]bucket
}

type bucket struct {
	mu    sync.Mutex // serialises recycling only
	epoch atomic.Int64
	a, b  atomic.Int64
	_     [32]byte // keeps neighbouring buckets off one cache line
}

func newWindow(period time.Duration) *window {
	w := &window{width: int64(period) / windowBuckets}
	w.reset()
	return w
}

// add counts da and db at now (nanoseconds on the service's clock). Events
// older than the window are dropped.
func (w *window) add(now, da, db int64) {
	idx := now / w.width
	bk := &w.buckets[idx%windowBuckets]
	if bk.epoch.Load() != idx && !bk.recycle(idx) {
		return
	}
	if da != 0 {
		bk.a.Add(da)
	}
	if db != 0 {
		bk.b.Add(db)
	}
}

// recycle makes bk count for epoch idx if it held an older one, and reports
// whether bk now counts for idx.
func (bk *bucket) recycle(idx int64) bool {
	bk.mu.Lock()
	defer bk.mu.Unlock()
	if e := bk.epoch.Load(); e < idx {
		bk.a.Store(0)
		bk.b.Store(0)
		bk.epoch.Store(idx)
	}
	return bk.epoch.Load() == idx
}

// sum returns both totals over the window ending at now.
func (w *window) sum(now int64) (a, b int64) {
	idx := now / w.width
	for i := range w.buckets {
		bk := &w.buckets[i]
		if e := bk.epoch.Load(); e <= idx && e > idx-windowBuckets {
			a += bk.a.Load()
			b += bk.b.Load()
		}
	}
	return a, b
}

// reset forgets everything counted.
func (w *window) reset() {
	for i := range w.buckets {
		bk := &w.buckets[i]
		bk.mu.Lock()
		bk.epoch.Store(math.MinInt64)
		bk.a.Store(0)
		bk.b.Store(0)
		bk.mu.Unlock()
	}
}
