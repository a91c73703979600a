package upstream

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// TestConcurrentUse runs attempts with every guard enabled while discovery
// changes the targets and snapshots are taken, and checks that the books
// balance afterwards. Run it with -race.
func TestConcurrentUse(t *testing.T) {
	for _, policy := range []string{RoundRobin, LeastOutstanding} {
		t.Run(policy, func(t *testing.T) {
			clk := newFakeClock()
			r := newFakeResolver("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4")
			s := mustNew(t, Options{
				Name:    "a",
				DNS:     &DNSOptions{Name: "svc.local", Port: 80, Refresh: time.Hour, Resolver: r},
				Balance: policy,
				Outlier: OutlierOptions{ConsecutiveFailures: 3, BaseEjection: time.Second, MaxEjectedPercent: 50},
				Breaker: BreakerOptions{FailureRatio: 0.6, MinRequests: 20, Window: time.Second, OpenFor: 100 * time.Millisecond, HalfOpenRequests: 3},
				Retry:   RetryOptions{Attempts: 3, BudgetRatio: 0.2, MinPerSecond: 5},
				Now:     clk.Now,
			})
			mustResolve(t, s)
			var kept []Attempt // attempts held through the churn

			const workers, perWorker = 8, 3000
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for range workers {
				wg.Go(func() {
					for range perWorker {
						var prev *Target
						for try := 0; try < s.MaxAttempts(); try++ {
							a, err := s.Acquire(prev)
							if errors.Is(err, ErrCircuitOpen) || errors.Is(err, ErrNoTarget) {
								break
							}
							if err != nil {
								errs <- err
								return
							}
							o := Outcome(rand.IntN(4))
							a.Done(o)
							if o != Failure && o != Timeout || !s.AllowRetry() {
								break
							}
							prev = a.Target()
						}
					}
				})
			}
			for i := range 4 {
				if a, err := s.Acquire(nil); err == nil {
					kept = append(kept, a)
				}
				for j := range 200 {
					clk.Advance(10 * time.Millisecond)
					r.set([]string{"10.0.0.1", fmt.Sprintf("10.0.1.%d", (i*200+j)%7), "10.0.0.3"}, nil)
					if err := s.Resolve(t.Context()); err != nil {
						t.Fatalf("Resolve: %v", err)
					}
					_ = s.Snapshot()
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("Acquire: %v", err)
			}
			for i := range kept {
				kept[i].Done(Success)
			}
			for _, ts := range s.Snapshot().Targets {
				if ts.Outstanding != 0 {
					t.Errorf("%s: got %d outstanding, want 0", ts.URL, ts.Outstanding)
				}
			}
			for _, k := range kept {
				if got := k.Target().Outstanding(); got != 0 {
					t.Errorf("%s (held through churn): got %d outstanding, want 0", k.Target(), got)
				}
			}
		})
	}
}
