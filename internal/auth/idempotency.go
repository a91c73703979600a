package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"
)

// IdempotencyLifetime is how long the outcome of a request made with an
// idempotency key is remembered: a retry within it gets the first answer.
const IdempotencyLifetime = 24 * time.Hour

// Limits of idempotency records.
const (
	MaxIdempotencyKeyLen   = 255 // bytes of an idempotency key
	MaxIdempotencyScopeLen = 64  // bytes of IdempotencyRecord.Scope
	FingerprintLen         = sha256.Size
)

// Idempotency scopes: the same key sent by different callers, or to
// different operations, names different requests.
const (
	// idempotencyScopeInvitation is every invitation acceptance; the
	// accounts service is its only caller.
	idempotencyScopeInvitation = "invitation"
	// idempotencyScopeStaff prefixes the ID of the staff member who
	// creates identities.
	idempotencyScopeStaff = "staff:"
)

// IdempotencyRecord remembers the outcome of a request made with an
// Idempotency-Key header, so a retry with the same key and the same request
// gets the same answer and a different request with the same key is
// refused.
type IdempotencyRecord struct {
	// Scope names the caller and operation the key belongs to, such as
	// "invitation"; 1 to MaxIdempotencyScopeLen bytes of letters, digits
	// and ":._-".
	Scope string
	// Key is the client's key, 1 to MaxIdempotencyKeyLen bytes of printable
	// ASCII (see ValidIdempotencyKey).
	Key string
	// Fingerprint is the SHA-256 of the request's non-secret fields; secret
	// fields (a password) are checked against the created record's own
	// hash instead, so no fast hash of a secret is ever stored.
	Fingerprint []byte
	// ResourceID is the ID of what the first request created.
	ResourceID string
	// CreatedAt is when the first request was served; ExpiresAt when the
	// record stops counting (and may be pruned).
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Validate returns an error wrapping ErrInvalid if r cannot be stored.
func (r IdempotencyRecord) Validate() error {
	switch {
	case r.Scope == "" || len(r.Scope) > MaxIdempotencyScopeLen || !isToken(r.Scope, idAlphabet+":."):
		return fmt.Errorf("idempotency scope %q: %w", r.Scope, ErrInvalid)
	case !ValidIdempotencyKey(r.Key):
		return fmt.Errorf("idempotency key: %w", ErrInvalid)
	case len(r.Fingerprint) != FingerprintLen:
		return fmt.Errorf("idempotency fingerprint must be %d bytes: %w", FingerprintLen, ErrInvalid)
	case r.ResourceID == "" || len(r.ResourceID) > MaxActorIDLen || !isToken(r.ResourceID, idAlphabet):
		return fmt.Errorf("idempotency resource id %q: %w", r.ResourceID, ErrInvalid)
	case r.CreatedAt.IsZero() || !r.ExpiresAt.After(r.CreatedAt):
		return fmt.Errorf("idempotency record must expire after it is created: %w", ErrInvalid)
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

// identityFingerprint is the fingerprint of a request to create an
// identity: its address as given and whether it carried a password. The
// password itself is compared with the identity's argon2id hash on replay.
func identityFingerprint(email string, hasPassword bool) []byte {
	h := sha256.New()
	h.Write([]byte("portico identity v1\x00"))
	h.Write([]byte(email))
	if hasPassword {
		h.Write([]byte("\x00password"))
	} else {
		h.Write([]byte("\x00no password"))
	}
	return h.Sum(nil)
}

// replayIdentity answers a request with an idempotency key that an earlier
// request already used: found is false when there is no live record for
// the key. The same request gets the identity the first one created;
// another request gets ErrIdempotencyKeyReused.
func (s *Service) replayIdentity(ctx context.Context, scope string, req NewIdentity) (c CreatedIdentity, found bool, err error) {
	rec, err := s.store.GetIdempotencyRecord(ctx, scope, req.IdempotencyKey, s.now())
	switch {
	case errors.Is(err, ErrNotFound):
		return CreatedIdentity{}, false, nil
	case err != nil:
		return CreatedIdentity{}, true, fmt.Errorf("idempotency record: %w", err)
	}
	fp := identityFingerprint(req.Email, req.Password != "")
	if subtle.ConstantTimeCompare(rec.Fingerprint, fp) != 1 {
		return CreatedIdentity{}, true, ErrIdempotencyKeyReused
	}
	id, err := s.store.GetIdentity(ctx, rec.ResourceID)
	if err != nil {
		return CreatedIdentity{}, true, fmt.Errorf("identity of idempotency record: %w", err)
	}
	if req.Password != "" {
		ok := false
		if id.PasswordHash != "" {
			var verr error
			if err := s.hashes.run(ctx, func() { ok, _, verr = s.o.Hasher.Verify(id.PasswordHash, req.Password) }); err != nil {
				return CreatedIdentity{}, true, err
			}
			if verr != nil {
				s.o.Logger.ErrorContext(ctx, "stored password hash unusable", "identity", id.ID, "error", verr)
			}
		}
		if !ok {
			return CreatedIdentity{}, true, ErrIdempotencyKeyReused
		}
	}
	return CreatedIdentity{Identity: id, Replayed: true}, true, nil
}

// PruneIdempotencyRecords deletes idempotency records that have expired.
// Call it periodically (every few minutes) from one place.
func (s *Service) PruneIdempotencyRecords(ctx context.Context) (int64, error) {
	return s.store.PruneIdempotencyRecords(ctx, s.now())
}
