package analytics

import "testing"

func TestStartupBuckets(t *testing.T) {
	if len(startupBounds) != NumStartupBuckets {
		t.Fatalf("bounds: got %d, want %d", len(startupBounds), NumStartupBuckets)
	}
	for _, tc := range []struct{ ms, bound int64 }{{0, 50}, {49, 50}, {50, 100}, {1999, 2000}, {2000, 2250}, {4999, 5000},
		{5000, 6000}, {29999, 30000}, {30000, 600000}, {MaxStartupMS, MaxStartupMS}} {
		if got := StartupBucketBound(StartupBucket(tc.ms)); got != tc.bound {
			t.Errorf("bucket of %d ms: got bound %d, want %d", tc.ms, got, tc.bound)
		}
	}
}

func TestHistogramP95(t *testing.T) {
	var h Histogram
	if _, ok := h.P95(); ok {
		t.Errorf("empty histogram: got a p95")
	}
	for i := range 20 { // 19 fast startups and one slow: rank ceil(19) = 19
		ms := int64(10)
		if i == 19 {
			ms = 9000
		}
		h[StartupBucket(ms)]++
	}
	if got, _ := h.P95(); got != 50 {
		t.Errorf("p95 of 19 fast and 1 slow: got %d, want 50", got)
	}
	h[StartupBucket(9000)]++ // 21 times: rank ceil(19.95) = 20
	if got, _ := h.P95(); got != 10000 {
		t.Errorf("p95 of 19 fast and 2 slow: got %d, want 10000", got)
	}
}
