package upstream

import "errors"

// Errors returned by Acquire. They are returned unwrapped so that
// rejecting costs no allocation; compare with errors.Is.
var (
	// ErrCircuitOpen means the service's breaker rejects requests for now.
	ErrCircuitOpen = errors.New("upstream: circuit open")
	// ErrNoTarget means the service has no target at all: discovery has
	// found none yet. (When targets exist but none is eligible, requests go
	// to all of them instead: see panic routing in the package doc.)
	ErrNoTarget = errors.New("upstream: no eligible target")
)
