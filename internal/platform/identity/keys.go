package identity

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// MinRSABits is the smallest RSA modulus accepted for RS256 keys. The
// largest is go-jose's limit (4096 bits), enforced when a JWK is decoded.
const MinRSABits = 2048

// KeySource finds the public key a token names by its kid. JWKS fetches
// them from auth; StaticKeys holds a fixed set; the auth service's signing
// manager serves its own keys in process.
type KeySource interface {
	// Key returns the public key with the given kid, with its Algorithm
	// set, or an error wrapping ErrUnknownKey (no such key) or
	// ErrKeysUnavailable (the set could not be read).
	Key(ctx context.Context, kid string) (jose.JSONWebKey, error)
}

// SupportedAlgorithms returns the signature algorithms Portico signs and
// verifies with: ES256 (the default), EdDSA (Ed25519) and RS256.
func SupportedAlgorithms() []string {
	return []string{string(jose.ES256), string(jose.EdDSA), string(jose.RS256)}
}

// supportedAlgorithm reports whether alg is one of SupportedAlgorithms.
func supportedAlgorithm(alg string) bool {
	switch jose.SignatureAlgorithm(alg) {
	case jose.ES256, jose.EdDSA, jose.RS256:
		return true
	}
	return false
}

// CheckKey returns an error unless key is a public key of the type and
// size alg needs: a P-256 key for ES256 (P-384 for ES384, P-521 for
// ES512), an Ed25519 key for EdDSA, an RSA key of at least MinRSABits for
// RS256, RS384, RS512, PS256, PS384 and PS512. Which algorithms a verifier
// accepts is its own setting; CheckKey only says whether key can serve alg.
func CheckKey(alg string, key any) error {
	switch jose.SignatureAlgorithm(alg) {
	case jose.ES256, jose.ES384, jose.ES512:
		want := curveOf(alg)
		k, ok := key.(*ecdsa.PublicKey)
		if !ok || k.Curve != want {
			return fmt.Errorf("%s needs a %s public key, got %T", alg, want.Params().Name, key)
		}
	case jose.EdDSA:
		k, ok := key.(ed25519.PublicKey)
		if !ok || len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("EdDSA needs an Ed25519 public key, got %T", key)
		}
	case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
		k, ok := key.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("%s needs an RSA public key, got %T", alg, key)
		}
		if k.N.BitLen() < MinRSABits {
			return fmt.Errorf("%s key has %d bits, want at least %d", alg, k.N.BitLen(), MinRSABits)
		}
	default:
		return fmt.Errorf("algorithm %q is not supported", alg)
	}
	return nil
}

// curveOf returns the curve of an ECDSA algorithm (RFC 7518, section
// 3.4).
func curveOf(alg string) elliptic.Curve {
	switch jose.SignatureAlgorithm(alg) {
	case jose.ES384:
		return elliptic.P384()
	case jose.ES512:
		return elliptic.P521()
	}
	return elliptic.P256()
}

// checkJWK checks a key taken from a key set: public, with a kid, and a
// supported algorithm that fits its type.
func checkJWK(k jose.JSONWebKey) error {
	if k.KeyID == "" {
		return fmt.Errorf("key without kid")
	}
	if !k.IsPublic() {
		return fmt.Errorf("key %q is not a public key", k.KeyID)
	}
	if k.Use != "" && k.Use != "sig" {
		return fmt.Errorf("key %q has use %q, want sig", k.KeyID, k.Use)
	}
	if err := CheckKey(k.Algorithm, k.Key); err != nil {
		return fmt.Errorf("key %q: %w", k.KeyID, err)
	}
	return nil
}

// checkUntypedJWK checks a key that names no algorithm: public, with a
// kid, for signatures, and of a type some algorithm verifies with. Which
// algorithm it may serve is decided per token (keyFits).
func checkUntypedJWK(k jose.JSONWebKey) error {
	if k.KeyID == "" {
		return fmt.Errorf("key without kid")
	}
	if !k.IsPublic() {
		return fmt.Errorf("key %q is not a public key", k.KeyID)
	}
	if k.Use != "" && k.Use != "sig" {
		return fmt.Errorf("key %q has use %q, want sig", k.KeyID, k.Use)
	}
	switch k.Key.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return nil
	}
	return fmt.Errorf("key %q has no signature algorithm for type %T", k.KeyID, k.Key)
}

// keyFits reports whether k may verify a token signed with alg: k names
// alg, or names none and its type and size fit alg. A key published for
// one algorithm never verifies another: that is how algorithm-confusion
// attacks start.
func keyFits(k jose.JSONWebKey, alg string) bool {
	if k.Algorithm != "" {
		return k.Algorithm == alg
	}
	return CheckKey(alg, k.Key) == nil
}

// StaticKeys is a fixed KeySource, for tests and for processes that hold
// the keys themselves.
type StaticKeys struct {
	keys map[string]jose.JSONWebKey
}

// NewStaticKeys returns a key source holding keys, each of which must be a
// public key with a kid and a supported algorithm that fits it; kids must
// be distinct.
func NewStaticKeys(keys ...jose.JSONWebKey) (*StaticKeys, error) {
	m := make(map[string]jose.JSONWebKey, len(keys))
	for _, k := range keys {
		if err := checkJWK(k); err != nil {
			return nil, fmt.Errorf("static keys: %w", err)
		}
		if _, dup := m[k.KeyID]; dup {
			return nil, fmt.Errorf("static keys: kid %q appears twice", k.KeyID)
		}
		m[k.KeyID] = k
	}
	return &StaticKeys{keys: m}, nil
}

// Key implements KeySource.
func (s *StaticKeys) Key(_ context.Context, kid string) (jose.JSONWebKey, error) {
	k, ok := s.keys[kid]
	if !ok {
		return jose.JSONWebKey{}, fmt.Errorf("kid %q: %w", truncate(kid), ErrUnknownKey)
	}
	return k, nil
}

// truncate shortens an attacker-chosen string before it goes into an
// error message.
func truncate(s string) string {
	const maxLen = 64
	if len(s) <= maxLen {
		return s
	}
	return strings.ToValidUTF8(s[:maxLen], "") + "..."
}

var _ KeySource = (*StaticKeys)(nil)
