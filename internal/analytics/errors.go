package analytics

import "errors"

// Sentinel errors of the package. Callers test for them with errors.Is.
var (
	// ErrInvalid means an argument is malformed or breaks a rule: a beacon
	// field out of bounds, a query whose timeframe is not aligned, or one
	// that would scan more than the service allows.
	ErrInvalid = errors.New("invalid argument")
	// ErrNotFound means a named thing does not exist or is not visible to
	// the caller: an organization the caller may not read, an unknown
	// delivery key.
	ErrNotFound = errors.New("not found")
	// ErrForbidden means the caller may see the organization but not read
	// its analytics (a machine principal without ScopeRead), or a beacon
	// batch came from an origin or app its integration does not allow.
	ErrForbidden = errors.New("forbidden")
	// ErrRefused means a whole beacon batch was refused: its integration
	// is disabled. The *Error's Reason says why.
	ErrRefused = errors.New("refused")
	// ErrTooLarge means a beacon batch holds more beacons than the service
	// accepts at once.
	ErrTooLarge = errors.New("too large")
)

// codes are the sentinels Code recognises, in the order it tries them on
// an error that carries no *Error.
var codes = []error{ErrTooLarge, ErrRefused, ErrForbidden, ErrNotFound, ErrInvalid}

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
// shape of the other services' errors: Code is one of the sentinels above,
// which the error matches with errors.Is, and Message says what is wrong
// in words safe to show any client. Err, the cause, is for logs only.
type Error struct {
	// Code is the sentinel the error matches.
	Code error
	// Reason is a machine-readable slug for refusals of beacons and
	// batches ("invalid", "too-late", "origin-not-allowed"...), "" for
	// other errors.
	Reason string
	// Pointer locates the offending field of a beacon (RFC 6901, relative
	// to the beacon object, such as "/session_id"), "" for the beacon or
	// the request as a whole.
	Pointer string
	// Message is the client-facing explanation: a lower-case sentence
	// fragment that names the rule, never what a client sent or a store
	// returned.
	Message string
	// Err is the cause, or nil; it never reaches a client.
	Err error
}

// NewError returns an *Error of code whose Message is msg, a constant
// that names a rule.
func NewError(code error, msg string) *Error { return &Error{Code: code, Message: msg} }

func invalid(msg string) *Error { return &Error{Code: ErrInvalid, Reason: ReasonInvalid, Message: msg} }

// SafeMessage returns the Message of the first *Error in err's chain, or ""
// when it has none.
func SafeMessage(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return ""
}

// Error implements error: the pointer, the message, then the cause.
func (e *Error) Error() string {
	s := e.Message
	if e.Pointer != "" {
		s = e.Pointer + ": " + s
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(e, e.Code) true.
func (e *Error) Is(target error) bool { return target == e.Code }

// Refusal returns the refusal of the beacon at index of a batch that e
// refused: its pointer prefixed with the beacon's own (BeaconPointer).
func (e *Error) Refusal(index int) Refusal {
	reason := e.Reason
	if reason == "" {
		reason = ReasonInvalid
	}
	return Refusal{Index: index, Pointer: BeaconPointer(index) + e.Pointer, Reason: reason, Detail: e.Message}
}
