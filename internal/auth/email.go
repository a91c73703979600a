package auth

import (
	"fmt"
	"net/mail"
	"strings"
)

// MaxEmailLen is the longest e-mail address accepted, in bytes (RFC 5321
// limits a forward path to 256 octets including the angle brackets).
const MaxEmailLen = 254

// NormalizeEmail returns the form of an e-mail address that identities are
// unique by: trimmed of surrounding space and lower-cased. Two addresses
// that differ only in case name the same identity.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// ValidateEmail returns an error wrapping ErrInvalid unless email is a bare
// address (local@domain, no display name, no surrounding space) of at most
// MaxEmailLen bytes.
func ValidateEmail(email string) error {
	if email == "" || len(email) > MaxEmailLen {
		return fmt.Errorf("email must be 1 to %d bytes: %w", MaxEmailLen, ErrInvalid)
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != email {
		return fmt.Errorf("email %q is not a plain address: %w", email, ErrInvalid)
	}
	local, domain, _ := strings.Cut(a.Address, "@")
	if local == "" || domain == "" || strings.HasPrefix(domain, "[") {
		return fmt.Errorf("email %q is not a plain address: %w", email, ErrInvalid)
	}
	return nil
}
