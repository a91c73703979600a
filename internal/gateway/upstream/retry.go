package upstream

import "time"

// retryWindow is the period the retry budget looks back over.
const retryWindow = 10 * time.Second

// retryBudget grants retries while those granted in the last retryWindow
// are fewer than max(minPerSecond × 10, ratio × requests), requests being
// the attempts finished in the window minus the retries among them.
type retryBudget struct {
	ratio float64
	floor float64
	win   *window // a = attempts finished, b = retries granted
}

func newRetryBudget(o RetryOptions) *retryBudget {
	if o.Attempts <= 1 {
		return nil
	}
	return &retryBudget{
		ratio: o.BudgetRatio,
		floor: float64(o.MinPerSecond) * retryWindow.Seconds(),
		win:   newWindow(retryWindow),
	}
}

// finished counts one finished attempt at now.
func (r *retryBudget) finished(now int64) {
	r.win.add(now, 1, 0)
}

// allow reports whether a retry fits the budget at now and consumes one if
// so. Concurrent callers may overshoot the budget by at most their number.
func (r *retryBudget) allow(now int64) bool {
	attempts, retries := r.win.sum(now)
	requests := max(attempts-retries, 0)
	if float64(retries) >= max(r.floor, r.ratio*float64(requests)) {
		return false
	}
	r.win.add(now, 0, 1)
	return true
}

// AllowRetry reports whether a retry may be spent now under the retry
// budget, and consumes one if so. It is always false when MaxAttempts is 1.
func (s *Service) AllowRetry() bool {
	if s.retry == nil {
		return false
	}
	return s.retry.allow(s.clock.nanos())
}

// MaxAttempts returns the maximum number of tries of one request,
// including the first.
func (s *Service) MaxAttempts() int {
	return s.maxAttempts
}
