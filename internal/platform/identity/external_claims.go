package identity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// ExternalClaims are the verified claims of an outside issuer's token: the
// registered claims decoded, and every member kept as it was signed, for
// the caller to map (StringClaim, StringsClaim). Times are UTC with second
// precision; a zero IssuedAt or NotBefore means the token carried none.
type ExternalClaims struct {
	// Issuer, Subject, Audience and ID are iss, sub, aud and jti.
	Issuer   string
	Subject  string
	Audience []string
	ID       string
	// IssuedAt, NotBefore and Expiry are iat, nbf and exp.
	IssuedAt  time.Time
	NotBefore time.Time
	Expiry    time.Time

	members map[string]json.RawMessage
}

// parseExternalClaims decodes a payload into ExternalClaims. Members are
// found by their exact names, as parseHeader finds header parameters: a
// struct decode would also take "ISS" for "iss".
func parseExternalClaims(payload []byte) (*ExternalClaims, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil || m == nil {
		return nil, fmt.Errorf("claims are not a JSON object: %w", ErrMalformed)
	}
	c := &ExternalClaims{members: m}
	var aud jwt.Audience
	var exp, nbf, iat *jwt.NumericDate
	for name, dst := range map[string]any{
		"iss": &c.Issuer, "sub": &c.Subject, "jti": &c.ID, "aud": &aud,
		"exp": &exp, "nbf": &nbf, "iat": &iat,
	} {
		raw, ok := m[name]
		if !ok || isNull(raw) {
			continue
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return nil, fmt.Errorf("claim %q has the wrong type: %w", name, ErrMalformed)
		}
	}
	c.Audience = []string(aud)
	c.Expiry, c.NotBefore, c.IssuedAt = fromNumericDate(exp), fromNumericDate(nbf), fromNumericDate(iat)
	return c, nil
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// StringClaim returns the string claim name. ok is false when the token
// has no such claim (or it is null); err is set when it is not a string.
func (c *ExternalClaims) StringClaim(name string) (s string, ok bool, err error) {
	raw, found := c.members[name]
	if !found || isNull(raw) {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, fmt.Errorf("claim %q is not a string", truncate(name))
	}
	return s, true, nil
}

// StringsClaim returns the claim name as a list of strings: a JSON array
// of strings, or a string of space-separated values (as OAuth 2.0's
// "scope"). ok is false when the token has no such claim (or it is
// null); err is set when it is neither form.
func (c *ExternalClaims) StringsClaim(name string) (list []string, ok bool, err error) {
	raw, found := c.members[name]
	if !found || isNull(raw) {
		return nil, false, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.Fields(s), true, nil
	}
	if err := json.Unmarshal(raw, &list); err != nil || list == nil {
		return nil, false, fmt.Errorf("claim %q is neither a string nor an array of strings", truncate(name))
	}
	return list, true, nil
}
