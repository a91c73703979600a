package upstream

import (
	"testing"
	"time"
)

func newRetryService(t *testing.T, clk *fakeClock, r RetryOptions) *Service {
	t.Helper()
	return mustNew(t, Options{Name: "a", Targets: mustURLs(t, "http://10.0.0.1:80", "http://10.0.0.2:80"), Retry: r, Now: clk.Now})
}

// spendRetries grants retries, each followed by its attempt, until the
// budget refuses, and returns how many were granted.
func spendRetries(t *testing.T, s *Service) int {
	t.Helper()
	n := 0
	for s.AllowRetry() {
		n++
		if n > 10000 {
			t.Fatalf("budget never ran out")
		}
		pickOnce(t, s, Failure)
	}
	return n
}

func TestRetryBudget(t *testing.T) {
	cases := []struct {
		name     string
		opts     RetryOptions
		requests int
		want     int
	}{
		{"floor without traffic", RetryOptions{Attempts: 2, MinPerSecond: 1}, 0, 10},
		{"floor above ratio", RetryOptions{Attempts: 2, BudgetRatio: 0.2, MinPerSecond: 3}, 100, 30},
		{"ratio above floor", RetryOptions{Attempts: 3, BudgetRatio: 0.2, MinPerSecond: 1}, 500, 100},
		{"ratio without floor", RetryOptions{Attempts: 2, BudgetRatio: 0.5}, 40, 20},
		{"no budget at all", RetryOptions{Attempts: 2}, 100, 0},
		{"one attempt never retries", RetryOptions{Attempts: 1, BudgetRatio: 1, MinPerSecond: 100}, 100, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := newFakeClock()
			s := newRetryService(t, clk, c.opts)
			for range c.requests {
				pickOnce(t, s, Success)
			}
			if got := spendRetries(t, s); got != c.want {
				t.Errorf("got %d retries, want %d", got, c.want)
			}
		})
	}
}

func TestRetryBudgetRollsOver(t *testing.T) {
	clk := newFakeClock()
	s := newRetryService(t, clk, RetryOptions{Attempts: 2, MinPerSecond: 1})
	if got := spendRetries(t, s); got != 10 {
		t.Fatalf("first window: got %d retries, want 10", got)
	}
	clk.Advance(9 * time.Second)
	if s.AllowRetry() {
		t.Fatalf("9s later: got a retry, want the budget still spent")
	}
	clk.Advance(time.Second)
	if got := spendRetries(t, s); got != 10 {
		t.Errorf("10s later: got %d retries, want 10", got)
	}
}

func TestMaxAttempts(t *testing.T) {
	clk := newFakeClock()
	for _, c := range []struct{ attempts, want int }{{0, 1}, {1, 1}, {2, 2}, {5, 5}} {
		s := newRetryService(t, clk, RetryOptions{Attempts: c.attempts})
		if got := s.MaxAttempts(); got != c.want {
			t.Errorf("attempts %d: got %d, want %d", c.attempts, got, c.want)
		}
	}
}
