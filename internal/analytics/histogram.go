package analytics

import "sort"

// The startup-time histogram's buckets, by their exclusive upper bounds
// in milliseconds: 50 ms wide up to 2 s (where almost every startup
// falls, and where a dashboard's p95 must be sharp), 250 ms wide up to
// 5 s, 1 s wide up to 10 s, 5 s wide up to 30 s, then one bucket up to
// MaxStartupMS (inclusive). A startup time s falls in the first bucket
// whose bound exceeds s; MaxStartupMS itself falls in the last one.
var startupBounds = func() []int64 {
	var b []int64
	for v := int64(50); v <= 2000; v += 50 {
		b = append(b, v)
	}
	for v := int64(2250); v <= 5000; v += 250 {
		b = append(b, v)
	}
	for v := int64(6000); v <= 10000; v += 1000 {
		b = append(b, v)
	}
	for v := int64(15000); v <= 30000; v += 5000 {
		b = append(b, v)
	}
	return append(b, MaxStartupMS)
}()

// NumStartupBuckets is the number of buckets of a startup Histogram.
const NumStartupBuckets = 40 + 12 + 5 + 4 + 1

// Histogram counts startup times by bucket (see StartupBucket).
type Histogram [NumStartupBuckets]int64

// StartupBucket returns the index of the bucket of startup time ms
// (0 <= ms <= MaxStartupMS).
func StartupBucket(ms int64) int {
	i := sort.Search(len(startupBounds), func(i int) bool { return startupBounds[i] > ms })
	return min(i, NumStartupBuckets-1)
}

// StartupBucketBound returns the upper bound of bucket i in ms: what
// P95 reports for it.
func StartupBucketBound(i int) int64 { return startupBounds[i] }

// Add adds o into h.
func (h *Histogram) Add(o *Histogram) {
	for i := range h {
		h[i] += o[i]
	}
}

// Count returns the number of startup times counted.
func (h *Histogram) Count() int64 {
	var n int64
	for _, c := range h {
		n += c
	}
	return n
}

// P95 returns the 95th percentile of the counted startup times, as the
// upper bound of the bucket that holds the nearest-rank 95th percentile:
// with n times sorted ascending, the time of rank ceil(0.95·n) (from 1)
// falls in the first bucket whose cumulative count reaches that rank.
// So the answer is exact for the histogram, and equal to what the same
// rule gives on the raw startup times; it overstates the true percentile
// by less than one bucket width. ok is false when nothing was counted.
func (h *Histogram) P95() (ms int64, ok bool) {
	n := h.Count()
	if n == 0 {
		return 0, false
	}
	rank := (95*n + 99) / 100 // ceil(0.95 n) in integers
	var cum int64
	for i, c := range h {
		cum += c
		if cum >= rank {
			return startupBounds[i], true
		}
	}
	return startupBounds[NumStartupBuckets-1], true // not reached
}
