package auth

import (
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

// ValidateEmail returns an *Error of ErrInvalid unless email is a bare
// address (local@domain, no display name, no surrounding space) of at most
// MaxEmailLen bytes.
func ValidateEmail(email string) error {
	if email == "" || len(email) > MaxEmailLen {
		return NewError(ErrInvalid, "email must be 1 to %d bytes", MaxEmailLen)
	}
	errPlain := NewError(ErrInvalid, "email must be a plain address, local@domain")
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != email {
		return errPlain
	}
	local, domain, _ := strings.Cut(a.Address, "@")
	if local == "" || domain == "" || strings.HasPrefix(domain, "[") {
		return errPlain
	}
	return nil
}
