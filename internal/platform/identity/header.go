package identity

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// header is the protected header of a token, as Verify allows it.
type header struct {
	Alg string
	Kid string
	Typ string
}

// parseHeader decodes the first part of a compact JWS and checks that it
// is a JSON object holding "alg" and "kid" strings, a "typ" string, and
// nothing else. The keys are compared exactly: decoding into a map keeps
// a differently cased "ALG" or a "jku" from slipping past the way a
// struct decode, which matches names case-insensitively and drops unknown
// ones, would let them.
func parseHeader(segment string) (header, error) {
	return parseHeaderIgnoring(segment, nil)
}

// externalHeaderHint reports whether name is a header parameter outside
// issuers add that ExternalVerifier lets pass unread: the certificate
// thumbprints (RFC 7515, sections 4.1.7 and 4.1.8) some providers send
// beside the kid. They name no key and carry none; the key is found by
// kid alone.
func externalHeaderHint(name string) bool { return name == "x5t" || name == "x5t#S256" }

// parseHeaderIgnoring is parseHeader that also lets the parameters
// ignored reports pass, unread; nil ignores none.
func parseHeaderIgnoring(segment string, ignored func(string) bool) (header, error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(segment)
	if err != nil {
		return header{}, fmt.Errorf("header is not base64url: %w", ErrMalformed)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return header{}, fmt.Errorf("header is not a JSON object: %w", ErrMalformed)
	}
	var h header
	for name, value := range fields {
		var dst *string
		switch name {
		case "alg":
			dst = &h.Alg
		case "kid":
			dst = &h.Kid
		case "typ":
			dst = &h.Typ
		default:
			if ignored != nil && ignored(name) {
				continue
			}
			return header{}, fmt.Errorf("header parameter %q not allowed: %w", truncate(name), ErrMalformed)
		}
		if err := json.Unmarshal(value, dst); err != nil {
			return header{}, fmt.Errorf("header parameter %q is not a string: %w", name, ErrMalformed)
		}
	}
	if h.Alg == "" {
		return header{}, fmt.Errorf("header has no alg: %w", ErrMalformed)
	}
	return h, nil
}

// normalizeType returns a "typ" value in the form types are compared in:
// media types are case-insensitive and "application/" may be left out
// (RFC 7515, section 4.1.9).
func normalizeType(typ string) string {
	typ = strings.ToLower(typ)
	return strings.TrimPrefix(typ, "application/")
}
