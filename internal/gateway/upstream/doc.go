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
// it out for a while). When targets exist but none is eligible, requests go
// to all of them (panic routing, as Envoy does below its panic threshold):
// health checks and ejection are there to spread load away from bad targets,
// and with no good one left, trying them is better than refusing every
// request; the breaker still guards the service. Panic routing is logged and
// reported to a PanicObserver. Acquire returns ErrNoTarget only while a
// DNS-discovered service has no target at all.
//
// The circuit breaker counts outcomes in a rolling window of atomic buckets.
// It opens when failures / requests reaches the configured ratio with at
// least the configured number of requests in the window and rejects with
// ErrCircuitOpen while open, without touching a target. Its open time backs
// off: MinOpenFor the first time, then twice the previous time, up to
// OpenFor, each time it opens again before it has stayed closed for a whole
// window. So the wait after a target returns is shorter than the outage plus
// MinOpenFor (and at most OpenFor), while a target that stays down is tried
// ever more rarely. After the open time it admits trial requests
// (half-open), at most HalfOpenRequests at once: the first that succeeds
// closes it, one that fails before any has succeeded opens it again for the
// next, doubled, time. A health probe that passes while it is open moves it
// to half-open at once. Canceled outcomes (the client went away) count for
// nothing. State changes reach the Observer in the order they happened.
//
// The retry budget allows a retry while the retries granted in the last
// 10 seconds are fewer than max(MinPerSecond × 10, BudgetRatio × requests),
// where requests are the attempts finished in those 10 seconds that were
// not retries. The floor lets a quiet service retry at all; the ratio keeps
// retries from multiplying load on a service that is failing under load.
package upstream
