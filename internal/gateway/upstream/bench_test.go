package upstream

import (
	"fmt"
	"testing"
	"time"
)

// newBenchService builds a service the way the gateway's defaults do:
// eight targets, ejection, breaker and retry budget all on, started so
// that the hot path reads the coarse clock.
func newBenchService(tb testing.TB, policy string) *Service {
	tb.Helper()
	var urls []string
	for i := range 8 {
		urls = append(urls, fmt.Sprintf("http://10.0.0.%d:8080", i+1))
	}
	s := mustNew(tb, Options{
		Name:    "bench",
		Targets: mustURLs(tb, urls...),
		Balance: policy,
		Outlier: OutlierOptions{ConsecutiveFailures: 5, BaseEjection: 30 * time.Second, MaxEjectedPercent: 50},
		Breaker: BreakerOptions{FailureRatio: 0.5, MinRequests: 20, Window: 10 * time.Second, OpenFor: 15 * time.Second, HalfOpenRequests: 5},
		Retry:   RetryOptions{Attempts: 2, BudgetRatio: 0.2, MinPerSecond: 10},
	})
	s.Start(tb.Context())
	return s
}

func BenchmarkAcquireDone(b *testing.B) {
	for _, policy := range []string{RoundRobin, LeastOutstanding} {
		b.Run(policy, func(b *testing.B) {
			s := newBenchService(b, policy)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					a, err := s.Acquire(nil)
					if err != nil {
						b.Fatalf("Acquire: %v", err)
					}
					a.Done(Success)
				}
			})
		})
	}
}

func TestAcquireDoneDoesNotAllocate(t *testing.T) {
	for _, policy := range []string{RoundRobin, LeastOutstanding} {
		t.Run(policy, func(t *testing.T) {
			s := newBenchService(t, policy)
			var prev *Target
			allocs := testing.AllocsPerRun(1000, func() {
				a, err := s.Acquire(prev)
				if err != nil {
					t.Fatalf("Acquire: %v", err)
				}
				prev = a.Target()
				a.Done(Success)
			})
			if allocs != 0 {
				t.Errorf("got %v allocs per Acquire+Done, want 0", allocs)
			}
		})
	}
}
