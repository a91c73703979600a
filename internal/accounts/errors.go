package accounts

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors returned by the package's functions and by every Store
// implementation. Callers test for them with errors.Is; wrapped errors add
// context but keep the sentinel.
var (
	// ErrNotFound means the requested record does not exist, or is not
	// visible in the organization asked about.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a record with the same unique key (ID, slug,
	// membership of the same identity) already exists.
	ErrConflict = errors.New("conflict")
	// ErrInvalid means an argument is malformed or breaks a limit: a bad
	// slug, an unknown role, a tampered cursor.
	ErrInvalid = errors.New("invalid argument")
	// ErrLastOwner means the change would leave an organization without
	// an owner: demoting or removing its only owner.
	ErrLastOwner = errors.New("last owner")
	// ErrForbidden means the caller may see the record but not do this to
	// it: a viewer editing its organization, anyone but staff creating
	// one, a change to a suspended organization.
	ErrForbidden = errors.New("forbidden")
	// ErrGone means the record existed but can no longer be used: an
	// invitation that expired, was revoked, or was accepted by someone
	// else.
	ErrGone = errors.New("gone")
	// ErrThrottled means the request came too soon after an earlier one:
	// an invitation resent within the resend interval. A *ThrottledError
	// in the chain says when to try again.
	ErrThrottled = errors.New("throttled")
	// ErrIdempotencyKeyReused means an idempotency key was used before by
	// the same caller with a different request.
	ErrIdempotencyKeyReused = errors.New("idempotency key reused")
	// ErrUnavailable means a service or component this one depends on
	// (the auth service, the mailer) did not do its part; retrying later
	// may work.
	ErrUnavailable = errors.New("unavailable")
	// ErrNotSent means a change was committed but the mail that should
	// tell someone about it could not be sent: an invitation exists and
	// can be resent.
	ErrNotSent = errors.New("mail not sent")
)

// codes are the sentinels Code recognises, in the order it tries them on an
// error that carries no *Error.
var codes = []error{ErrLastOwner, ErrForbidden, ErrGone, ErrThrottled, ErrIdempotencyKeyReused,
	ErrUnavailable, ErrNotSent, ErrNotFound, ErrConflict, ErrInvalid}

// Error is a failure the service can explain to whoever asked: Code says
// which kind of failure it is (one of the sentinel errors above, which it
// matches with errors.Is), and Message says what is wrong in words that are
// safe to show any client, such as "slug already in use". Err, the cause,
// is for logs only.
type Error struct {
	// Code is the sentinel the error matches: ErrInvalid, ErrConflict and
	// so on.
	Code error
	// Message is the client-facing explanation: a sentence fragment in
	// lower case that names the field or rule, never an internal detail or
	// a value of the request.
	Message string
	// Reason, when not empty, names the case more precisely than Code
	// for clients that act on it, such as "account-exists" for an
	// ErrConflict; a constant, never a value of the request.
	Reason string
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
// *Error in its chain, or else the first sentinel of the package that err
// matches; nil when it is none of them (an internal failure).
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

// Reason returns the Reason of the first *Error in err's chain, or "".
func Reason(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Reason
	}
	return ""
}

// ThrottledError is a request refused with ErrThrottled, and when it may
// be made again.
type ThrottledError struct {
	// RetryAfter is how long to wait before trying again.
	RetryAfter time.Duration
}

// Error implements error.
func (e *ThrottledError) Error() string { return "throttled for " + e.RetryAfter.String() }

// Is makes errors.Is(e, ErrThrottled) true.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }
