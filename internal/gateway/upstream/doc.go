// Package upstream keeps the gateway's view of one upstream service: its
// targets (listed, or discovered by resolving a DNS name), which of them may
// receive requests, how the next one is chosen, and the service-wide guards
// that protect it (a circuit breaker and a retry budget).
//
// The proxy calls Acquire once per attempt and finishes the returned
// Attempt with Done and the attempt's Outcome. Both are on the hot path and
// do not allocate: targets that may receive requests are kept in an
// immutable slice that is swapped atomically when health, ejection or
// discovery changes it, and every per-request counter is an atomic.
//
// A target is eligible when it is healthy (active health checks, when
// configured, have not marked it unhealthy; every target starts healthy so a
// cold start serves) and not ejected (passive outlier detection has not taken
// it out for a while). When no target is eligible Acquire returns
// ErrNoTarget: there is deliberately no "panic mode" that sends traffic to
// targets known to be failing, so the gateway answers 503 honestly instead.
//
// The circuit breaker counts outcomes in a rolling window of atomic buckets.
// It opens when failures / requests reaches the configured ratio with at
// least the configured number of requests in the window, rejects with
// ErrCircuitOpen while open, then admits a few trial requests (half-open):
// if all succeed it closes, if any fails it opens again. Canceled outcomes
// (the client went away) count for nothing.
//
// The retry budget allows a retry while the retries granted in the last
// 10 seconds are fewer than max(MinPerSecond × 10, BudgetRatio × requests),
// where requests are the attempts finished in those 10 seconds that were
// not retries. The floor lets a quiet service retry at all; the ratio keeps
// retries from multiplying load on a service that is failing under load.
package upstream
