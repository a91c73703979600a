package signing

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// Limits on a stored key record.
const (
	// MaxKIDLen is the longest kid, in bytes.
	MaxKIDLen = 64
	// MaxPublicKeyBytes caps the public JWK (a 4096-bit RSA key takes
	// about 750 bytes).
	MaxPublicKeyBytes = 8 << 10
	// MaxSealedKeyBytes caps the sealed private key (a 4096-bit RSA key
	// takes about 2400 bytes).
	MaxSealedKeyBytes = 8 << 10
)

// KeyRecord is a signing key as a KeyStore keeps it. Times are UTC with
// microsecond precision once stored.
type KeyRecord struct {
	// KID is the key's ID, published as "kid"; unique.
	KID string
	// Generation orders keys; unique. The first key is 1 and each
	// successor one more than the highest before it.
	Generation int64
	// Algorithm is the JWS algorithm: ES256, EdDSA or RS256.
	Algorithm string
	// PublicKey is the public JWK as JSON, with kid, alg and use.
	PublicKey []byte
	// SealedPrivateKey is the PKCS #8 private key sealed under the KEK
	// with the kid as associated data.
	SealedPrivateKey []byte
	// CreatedAt is when the key was made and first published.
	CreatedAt time.Time
	// ActivatesAt is when it starts signing.
	ActivatesAt time.Time
	// RetiresAt is when it stops signing; RetireSigningKey may bring it
	// forward.
	RetiresAt time.Time
	// ExpiresAt is when it stops being published and may be deleted.
	ExpiresAt time.Time
}

// Validate returns an error wrapping ErrInvalid if k cannot be
// stored.
func (k KeyRecord) Validate() error {
	switch {
	case k.KID == "" || len(k.KID) > MaxKIDLen || !validKID(k.KID):
		return fmt.Errorf("kid %q must be 1 to %d letters, digits, '-' or '_': %w", k.KID, MaxKIDLen, ErrInvalid)
	case k.Generation < 1:
		return fmt.Errorf("generation %d must be positive: %w", k.Generation, ErrInvalid)
	case !supported(k.Algorithm):
		return fmt.Errorf("algorithm %q is not supported: %w", k.Algorithm, ErrInvalid)
	case len(k.PublicKey) == 0 || len(k.PublicKey) > MaxPublicKeyBytes:
		return fmt.Errorf("public key must be 1 to %d bytes: %w", MaxPublicKeyBytes, ErrInvalid)
	case len(k.SealedPrivateKey) == 0 || len(k.SealedPrivateKey) > MaxSealedKeyBytes:
		return fmt.Errorf("sealed private key must be 1 to %d bytes: %w", MaxSealedKeyBytes, ErrInvalid)
	case k.CreatedAt.IsZero() || k.ActivatesAt.Before(k.CreatedAt):
		return fmt.Errorf("key must be created before it activates: %w", ErrInvalid)
	case !k.ActivatesAt.Before(k.RetiresAt):
		return fmt.Errorf("key must activate before it retires: %w", ErrInvalid)
	case k.ExpiresAt.Before(k.RetiresAt):
		return fmt.Errorf("key must retire before it expires: %w", ErrInvalid)
	}
	return nil
}

func validKID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func supported(alg string) bool { return slices.Contains(identity.SupportedAlgorithms(), alg) }

// KeyStore keeps signing keys; authstore.Store implements it. It returns
// this package's ErrInvalid, ErrConflict and ErrNotFound (wrapped or not)
// for the cases each method names.
type KeyStore interface {
	// CreateSigningKey stores a new key and returns it as stored.
	// ErrInvalid if it fails KeyRecord.Validate; ErrConflict if its kid or
	// its generation is taken, which is how concurrent replicas agree on
	// one key.
	CreateSigningKey(ctx context.Context, k KeyRecord) (KeyRecord, error)
	// ListSigningKeys returns every stored key, expired ones included,
	// by ascending generation.
	ListSigningKeys(ctx context.Context) ([]KeyRecord, error)
	// RetireSigningKey brings a key's RetiresAt forward to at and its
	// ExpiresAt forward to expiresAt; neither ever moves later.
	// ErrInvalid if at is after expiresAt; ErrNotFound if there is no such
	// key.
	RetireSigningKey(ctx context.Context, kid string, at, expiresAt time.Time) error
	// DeleteExpiredSigningKeys deletes the keys whose ExpiresAt is not
	// after now and returns how many it deleted.
	DeleteExpiredSigningKeys(ctx context.Context, now time.Time) (int64, error)
}
