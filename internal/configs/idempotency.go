package configs

import (
	"crypto/sha256"
	"time"
)

// DefaultIdempotencyLifetime is how long the outcome of a request made
// with an idempotency key is remembered by default: a retry within it
// gets the first answer.
const DefaultIdempotencyLifetime = 24 * time.Hour

// Limits of idempotency records.
const (
	MaxIdempotencyKeyLen = 255 // bytes of an idempotency key
	FingerprintLen       = sha256.Size
)

// IdempotencyRecord remembers the integration a POST with an
// Idempotency-Key created, so that a retry with the same key and request
// gets the same answer and another request with the same key is refused.
// A key belongs to one principal in one organization: the same key sent by
// another caller names another request.
type IdempotencyRecord struct {
	OrgID string
	// Principal is the ID of the caller (Principal.ID).
	Principal string
	// Key is the client's key (see ValidIdempotencyKey).
	Key string
	// Fingerprint is the SHA-256 of the request body.
	Fingerprint []byte
	// IntegrationID is what the first request created.
	IntegrationID string
	// CreatedAt is when the first request was served; ExpiresAt when the
	// record stops counting and may be pruned.
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Validate returns an *Error of code ErrInvalid naming the first field of
// r that is malformed, or nil.
func (r IdempotencyRecord) Validate() error {
	switch {
	case !ValidForeignID(r.OrgID):
		return invalid("organization id is malformed")
	case !ValidForeignID(r.Principal):
		return invalid("principal is malformed")
	case !ValidIdempotencyKey(r.Key):
		return invalid("idempotency key is malformed")
	case len(r.Fingerprint) != FingerprintLen:
		return invalid("idempotency fingerprint must be a SHA-256")
	case !ValidIntegrationID(r.IntegrationID):
		return invalid("integration id is malformed")
	case r.CreatedAt.IsZero() || !r.ExpiresAt.After(r.CreatedAt):
		return invalid("idempotency record must expire after it is created")
	}
	return nil
}

// ValidIdempotencyKey reports whether key is 1 to MaxIdempotencyKeyLen
// bytes of printable ASCII (space to tilde) that neither begins nor ends
// with a space, as the auth service accepts them.
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
