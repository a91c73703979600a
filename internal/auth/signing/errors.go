package signing

import "errors"

// Sentinel errors of the package and of every KeyStore. Callers test for
// them with errors.Is.
var (
	// ErrNotFound means the key asked about does not exist.
	ErrNotFound = errors.New("signing key not found")
	// ErrConflict means a key with the same kid or generation exists.
	ErrConflict = errors.New("signing key conflict")
	// ErrInvalid means an argument is malformed or breaks a limit: a key
	// record that fails Validate, a token lifetime above
	// MaxTokenLifetime, a claim that cannot be encoded.
	ErrInvalid = errors.New("invalid argument")
	// ErrNoSigningKey means no key is active and none could be made,
	// typically because the key store is unreachable.
	ErrNoSigningKey = errors.New("no active signing key")
)
