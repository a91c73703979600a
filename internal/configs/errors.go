package configs

import (
	"errors"
	"strings"
)

// Sentinel errors of the package. Callers test for them with errors.Is.
var (
	// ErrInvalid means an argument is malformed or breaks a rule: a domain
	// with a scheme, a bundle id with one segment, a settings document that
	// is not valid.
	ErrInvalid = errors.New("invalid argument")
	// ErrNotFound means a named thing does not exist, such as a property
	// of a settings document, or is not visible in the organization asked
	// about.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the change lost to another: a delivery key already
	// in use, or a settings version appended by a Store on a version that
	// is no longer the current one (which the Service reports as
	// ErrStale).
	ErrConflict = errors.New("conflict")
	// ErrForbidden means the caller may see the record but not do this to
	// it: a viewer changing settings, an editor renaming an integration,
	// anyone but staff bypassing one.
	ErrForbidden = errors.New("forbidden")
	// ErrStale means a change named the version it started from, and that
	// version is no longer the current one (the HTTP layer answers 412 to
	// the If-Match that named it).
	ErrStale = errors.New("stale version")
	// ErrInvalidDocument means a delivery settings document fails
	// ValidateSettings; the *Error's Fields say where and why.
	ErrInvalidDocument = errors.New("invalid settings document")
	// ErrIdempotencyKeyReused means an idempotency key came back with a
	// request other than the one it was first sent with.
	ErrIdempotencyKeyReused = errors.New("idempotency key reused for another request")
)

// codes are the sentinels Code recognises, in the order it tries them on
// an error that carries no *Error.
var codes = []error{ErrIdempotencyKeyReused, ErrInvalidDocument, ErrStale, ErrForbidden, ErrNotFound, ErrConflict, ErrInvalid}

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

// Error is a failure the package can explain to whoever asked, in the
// shape of auth.Error: Code is one of the sentinels above, which the error
// matches with errors.Is, and Message says what is wrong in words safe to
// show any client ("remove the port"). Err, the cause, is for logs only.
type Error struct {
	// Code is the sentinel the error matches: one of the package's Err
	// variables.
	Code error
	// Message is the client-facing explanation: a sentence fragment in
	// lower case that names the rule, never an internal detail. It may
	// quote a scheme the package recognised, never free text of the
	// request.
	Message string
	// Fields, when not empty, are the invalid fields of the request, each
	// with its JSON Pointer and a safe detail.
	Fields []FieldError
	// Err is the cause, or nil; it never reaches a client.
	Err error
}

func invalid(msg string) *Error { return &Error{Code: ErrInvalid, Message: msg} }

// NewError returns an *Error of code whose Message is msg, a constant
// that names a rule, never what a client sent or a store returned.
func NewError(code error, msg string) *Error { return &Error{Code: code, Message: msg} }

// SafeMessage returns the Message of the first *Error in err's chain, or ""
// when it has none.
func SafeMessage(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return ""
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

// FieldError is one problem of a JSON document: Pointer locates the value
// (RFC 6901; "" is the whole document) and Detail says what is wrong with
// it in words safe to show any client: it names rules and limits from the
// schema, never the value that was sent.
type FieldError struct {
	// Pointer is the JSON Pointer of the offending value, or of where a
	// missing one belongs.
	Pointer string `json:"pointer"`
	// Detail is a lower-case sentence fragment such as "must be at most 1".
	Detail string `json:"detail"`
}

// Error implements error: the pointer, then the detail.
func (e FieldError) Error() string {
	if e.Pointer == "" {
		return "document: " + e.Detail
	}
	return e.Pointer + ": " + e.Detail
}

// pointer returns the RFC 6901 pointer of the reference tokens.
func pointer(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapeToken(t))
	}
	return b.String()
}

// escapeToken escapes one reference token: ~ as ~0, / as ~1 (in that
// order, RFC 6901 §3).
func escapeToken(t string) string {
	if !strings.ContainsAny(t, "~/") {
		return t
	}
	return strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
}
