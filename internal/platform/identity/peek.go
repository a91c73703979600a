package identity

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// PeekIssuer returns the "iss" claim of a compact JWS of at most
// DefaultMaxTokenBytes without verifying anything: it only says which
// issuer's verifier should check the token, and that verifier checks the
// issuer again, from the verified payload. The payload must be base64url
// (unpadded, canonical) of a JSON object whose "iss", named exactly, is a
// non-empty string; anything else is ErrTooLarge or ErrMalformed. Nothing
// else of the token is looked at or trusted.
func PeekIssuer(token string) (string, error) {
	if len(token) > DefaultMaxTokenBytes {
		return "", fmt.Errorf("peek issuer: %d bytes, limit %d: %w", len(token), DefaultMaxTokenBytes, ErrTooLarge)
	}
	_, rest, ok := strings.Cut(token, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || strings.IndexByte(sig, '.') >= 0 {
		return "", fmt.Errorf("peek issuer: not three dot-separated parts: %w", ErrMalformed)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(payload)
	if err != nil {
		return "", fmt.Errorf("peek issuer: payload is not base64url: %w", ErrMalformed)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil || members == nil {
		return "", fmt.Errorf("peek issuer: payload is not a JSON object: %w", ErrMalformed)
	}
	var iss string
	if v, ok := members["iss"]; !ok || json.Unmarshal(v, &iss) != nil || iss == "" {
		return "", fmt.Errorf("peek issuer: no iss string: %w", ErrMalformed)
	}
	return iss, nil
}
