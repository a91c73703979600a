package upstream

import "errors"

// Errors returned by Acquire. They are returned unwrapped so that
// rejecting costs no allocation; compare with errors.Is.
var (
	// ErrCircuitOpen means the service's breaker rejects requests for now.
	ErrCircuitOpen = errors.New("upstream: circuit open")
	// ErrNoTarget means no target may receive requests: every target is
	// unhealthy or ejected, or discovery has found none yet.
	ErrNoTarget = errors.New("upstream: no eligible target")
)
