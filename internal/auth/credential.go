package auth

import (
	"encoding/base64"
	"strings"
)

// Credential kinds the gateway sends to the exchange and clients send to
// revocation and introspection.
const (
	CredentialSession = "session"
	CredentialBearer  = "bearer"
	CredentialAPIKey  = "api_key"
	// CredentialRefresh is only for revocation and introspection.
	CredentialRefresh = "refresh"
)

// MaxCredentialLen bounds any credential accepted; longer ones are
// rejected unparsed.
const MaxCredentialLen = 4096

// DetectCredential guesses a credential's kind from its shape: an API key
// has its prefix, a JWT has two dots, and a 43-character base64url string
// whose unused trailing bits are zero is an opaque token (a session token
// or a refresh token, which the shape cannot tell apart; it reports
// CredentialSession). Anything else is "".
func DetectCredential(s string) string {
	switch {
	case len(s) == 0 || len(s) > MaxCredentialLen:
		return ""
	case strings.HasPrefix(s, APIKeyPrefix):
		return CredentialAPIKey
	case strings.Count(s, ".") == 2:
		return CredentialBearer
	case len(s) == TokenLen && isToken(s, base64URL) && canonicalToken(s):
		return CredentialSession
	}
	return ""
}

// canonicalToken reports whether s decodes strictly to TokenBytes bytes,
// as HashToken requires (unused trailing bits must be zero).
func canonicalToken(s string) bool {
	var buf [TokenBytes + 2]byte
	n, err := base64.RawURLEncoding.Strict().Decode(buf[:], []byte(s))
	return err == nil && n == TokenBytes
}
