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
	// ErrBusy means the service cannot take the request now because too
	// much of the same work is under way (see Options.MaxConcurrentHashes);
	// a *BusyError says when to try again.
	ErrBusy = errors.New("busy")
	// ErrIdempotencyKeyReused means an idempotency key came back with a
	// request other than the one it was first used for.
	ErrIdempotencyKeyReused = errors.New("idempotency key reused for another request")
	// ErrUnavailable means a service auth depends on (the accounts
	// service, as the Directory) did not answer: the request may succeed
	// when retried.
	ErrUnavailable = errors.New("a service auth depends on is unavailable")
)

// codes are the sentinels Code recognises, in the order it tries them on an
// error that carries no *Error.
var codes = []error{
	ErrThrottled, ErrBusy, ErrUnavailable, ErrUnauthenticated, ErrForbidden, ErrNotFound, ErrConflict,
	ErrIdempotencyKeyReused, ErrInvalid,
}

// Error is a failure the service can explain to whoever asked: Code says
// which kind of failure it is (one of the sentinel errors above, which it
// matches with errors.Is), and Message says what is wrong in words that are
// safe to show any client, such as "email already in use". Err, the cause,
// is for logs only. The service returns one where it knows what the client
// got wrong; an error without one still has a Code, and clients then get
// the code's generic message.
type Error struct {
	// Code is the sentinel the error matches: ErrInvalid, ErrConflict and
	// so on.
	Code error
	// Message is the client-facing explanation: a sentence fragment in
	// lower case that names the field or rule, never an internal detail or
	// a value of the request.
	Message string
	// Err is the cause, or nil; it may hold anything and never reaches a
	// client.
	Err error
}

// NewError returns an *Error of code whose Message is
// fmt.Sprintf(format, args...). Only constants and limits belong in args,
// never what a client sent or a store returned.
func NewError(code error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error implements error: the message, then the cause.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(e, e.Code) true.
func (e *Error) Is(target error) bool { return target == e.Code }

// Code returns the sentinel that classifies err: the Code of the first
// *Error in its chain, or else the first of ErrThrottled, ErrBusy,
// ErrUnavailable, ErrUnauthenticated, ErrForbidden, ErrNotFound, ErrConflict,
// ErrIdempotencyKeyReused and ErrInvalid that err matches; nil when it is
// none of them (an internal failure).
func Code(err error) error {
	if e, ok := errors.AsType[*Error](err); ok && e.Code != nil {
		return e.Code
	}
	for _, c := range codes {
		if errors.Is(err, c) {
			return c
		}
	}
	return nil
}

// SafeMessage returns the Message of the first *Error in err's chain, or ""
// when it has none.
func SafeMessage(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return ""
}

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

// BusyError is returned when a request waited Options.HashWait for one of
// Options.MaxConcurrentHashes and got none. It matches ErrBusy with
// errors.Is.
type BusyError struct {
	// RetryAfter is a suggested wait before trying again.
	RetryAfter time.Duration
}

// Error implements error.
func (e *BusyError) Error() string {
	return fmt.Sprintf("busy: retry after %s", e.RetryAfter)
}

// Is makes errors.Is(err, ErrBusy) true.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }
