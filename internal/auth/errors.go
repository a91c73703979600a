package auth

import "errors"

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
