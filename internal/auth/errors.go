package auth

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors returned by the package's functions and by every Store
// implementation. Callers test for them with errors.Is; wrapped errors add
// context but keep the sentinel.
var (
	// ErrNotFound means the requested record does not exist (or is not
	// visible in the organization asked about).
	ErrNotFound = errors.New("not found")
	// ErrConflict means a record with the same unique key (ID, e-mail
	// address, token hash) already exists.
	ErrConflict = errors.New("conflict")
	// ErrInvalid means an argument is malformed or breaks a limit: a bad
	// e-mail address, a too-short password, a tampered cursor, an
	// unparsable API key.
	ErrInvalid = errors.New("invalid argument")
)

// Errors of the service's flows, mapped by the HTTP layer to statuses.
var (
	// ErrUnauthenticated means a credential is missing, wrong, expired or
	// revoked, or its identity is disabled. Which of these is never said.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden means the caller is known but may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrThrottled means too many recent failures; a *ThrottledError says
	// how long to wait.
	ErrThrottled = errors.New("too many attempts")
	// ErrIdempotencyKeyReused means an idempotency key came back with a
	// request other than the one it was first used for.
	ErrIdempotencyKeyReused = errors.New("idempotency key reused for another request")
)

// ThrottledError is returned when sign-in is throttled. It matches
// ErrThrottled with errors.Is.
type ThrottledError struct {
	// RetryAfter is how long until an attempt will be considered.
	RetryAfter time.Duration
}

// Error implements error.
func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many attempts: retry after %s", e.RetryAfter)
}

// Is makes errors.Is(err, ErrThrottled) true.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }
