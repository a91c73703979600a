package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// PasswordPolicy is what a new password must satisfy. Following OWASP ASVS
// (V2.1) it sets lengths only, no composition rules. Lengths count
// characters (runes) after NFKC normalisation.
type PasswordPolicy struct {
	MinRunes int
	MaxRunes int
}

// DefaultPasswordPolicy returns the ASVS lengths: at least 8 and at most
// 128 characters.
func DefaultPasswordPolicy() PasswordPolicy {
	return PasswordPolicy{MinRunes: 8, MaxRunes: 128}
}

// Check returns an *Error of ErrInvalid unless password is valid UTF-8
// whose length is within the policy.
func (p PasswordPolicy) Check(password string) error {
	if !utf8.ValidString(password) {
		return NewError(ErrInvalid, "password must be valid UTF-8")
	}
	n := utf8.RuneCountInString(norm.NFKC.String(password))
	switch {
	case n < p.MinRunes:
		return NewError(ErrInvalid, "password too short (minimum %d characters)", p.MinRunes)
	case n > p.MaxRunes:
		return NewError(ErrInvalid, "password too long (maximum %d characters)", p.MaxRunes)
	}
	return nil
}

// PasswordHasher hashes and verifies passwords with argon2id.
type PasswordHasher struct {
	// Params are used for new hashes; a verified hash with other
	// parameters is reported as needing a rehash.
	Params Argon2Params
	// Limits bound the parameters a stored hash may carry.
	Limits PHCLimits
	// Policy is checked by Hash before hashing a new password.
	Policy PasswordPolicy
}

// NewPasswordHasher returns a hasher with OWASPArgon2Params,
// DefaultPHCLimits and DefaultPasswordPolicy.
func NewPasswordHasher() *PasswordHasher {
	return &PasswordHasher{Params: OWASPArgon2Params(), Limits: DefaultPHCLimits(), Policy: DefaultPasswordPolicy()}
}

// HashPassword hashes a new password with NewPasswordHasher's settings.
func HashPassword(password string) (string, error) {
	return NewPasswordHasher().Hash(password)
}

// VerifyPassword checks password against a stored PHC hash with
// NewPasswordHasher's settings; see PasswordHasher.Verify.
func VerifyPassword(phc, password string) (ok, needsRehash bool, err error) {
	return NewPasswordHasher().Verify(phc, password)
}

// Hash checks password against the policy and returns its argon2id hash
// as a PHC string with a fresh random salt. Passwords are NFKC-normalised
// first, so the same characters typed on different keyboards match.
func (h *PasswordHasher) Hash(password string) (string, error) {
	if err := h.Policy.Check(password); err != nil {
		return "", err
	}
	salt := make([]byte, h.Params.SaltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never returns an error
	p := PHC{Params: h.Params, Salt: salt, Key: deriveKey(password, h.Params, salt)}
	// Refuse to write a hash this hasher could not verify later.
	if _, err := ParsePHC(p.String(), h.Limits); err != nil {
		return "", fmt.Errorf("hash password: parameters outside limits: %w", err)
	}
	return p.String(), nil
}

// Verify reports whether password matches the stored PHC hash, comparing
// in constant time, and whether the hash should be replaced because it
// was made with parameters other than h.Params. The error wraps ErrInvalid
// when phc is malformed or outside h.Limits; a wrong password is ok=false
// with a nil error. Passwords longer than the policy allows never match,
// without being hashed.
func (h *PasswordHasher) Verify(phc, password string) (ok, needsRehash bool, err error) {
	p, err := ParsePHC(phc, h.Limits)
	if err != nil {
		return false, false, err
	}
	// Four bytes is the longest UTF-8 encoding of one character; NFKC can
	// expand text, so this bound is checked before normalising.
	if len(password) > 4*h.Policy.MaxRunes || !utf8.ValidString(password) {
		return false, false, nil
	}
	key := deriveKey(password, p.Params, p.Salt)
	if subtle.ConstantTimeCompare(key, p.Key) != 1 {
		return false, false, nil
	}
	return true, p.Params != h.Params, nil
}

func deriveKey(password string, p Argon2Params, salt []byte) []byte {
	return argon2.IDKey([]byte(norm.NFKC.String(password)), salt, p.Iterations, p.MemoryKiB, p.Parallelism, p.KeyLen)
}
