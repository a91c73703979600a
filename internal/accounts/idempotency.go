package accounts

import (
	"crypto/sha256"
	"time"
)

// Limits of idempotency records.
const (
	// IdempotencyLifetime is how long the outcome of a request made with
	// an idempotency key is remembered: a retry within it gets the first
	// answer.
	IdempotencyLifetime = 24 * time.Hour
	// MaxIdempotencyKeyLen bounds an idempotency key, in bytes.
	MaxIdempotencyKeyLen = 255
	// MaxIdempotencyScopeLen bounds IdempotencyRecord.Scope.
	MaxIdempotencyScopeLen = 100
)

// IdempotencyRecord remembers the outcome of a request made with an
// Idempotency-Key header, so that a retry with the same key and request
// gets the same answer and a different request with the same key is
// refused.
type IdempotencyRecord struct {
	// Scope names the caller and operation the key belongs to, such as
	// "create-org:" and the caller's identity ID: the same key sent by
	// two callers names two requests.
	Scope string
	// Key is the client's key (see ValidIdempotencyKey).
	Key string
	// Fingerprint is the SHA-256 of the request's fields.
	Fingerprint [sha256.Size]byte
	// ResourceID is the ID of what the first request created.
	ResourceID string
	// CreatedAt is when the first request was served; ExpiresAt when the
	// record stops counting (and may be pruned).
	CreatedAt, ExpiresAt time.Time
}

// Validate returns an *Error of code ErrInvalid if r cannot be stored.
func (r IdempotencyRecord) Validate() error {
	switch {
	case r.Scope == "" || len(r.Scope) > MaxIdempotencyScopeLen || !printable(r.Scope):
		return NewError(ErrInvalid, "idempotency scope must be 1 to %d bytes of printable text", MaxIdempotencyScopeLen)
	case !ValidIdempotencyKey(r.Key):
		return NewError(ErrInvalid, "idempotency key must be 1 to %d printable ASCII characters", MaxIdempotencyKeyLen)
	case r.ResourceID == "":
		return NewError(ErrInvalid, "idempotency record must name what the request created")
	case r.CreatedAt.IsZero() || !r.ExpiresAt.After(r.CreatedAt):
		return NewError(ErrInvalid, "idempotency record must expire after it is created")
	}
	return nil
}

// ValidIdempotencyKey reports whether key is 1 to MaxIdempotencyKeyLen
// bytes of printable ASCII (space to tilde) that neither begins nor ends
// with a space. UUIDs, ULIDs and the like all qualify.
func ValidIdempotencyKey(key string) bool {
	if key == "" || len(key) > MaxIdempotencyKeyLen || key[0] == ' ' || key[len(key)-1] == ' ' {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return false
		}
	}
	return true
}
