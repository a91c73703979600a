package identity

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// Token types (the JOSE "typ" header) and the internal audience.
const (
	// InternalTokenType is the "typ" of internal tokens. A type of its own
	// (RFC 8725, section 3.11) keeps an internal token from being taken
	// for any other JWT, and any other JWT from being taken for one.
	InternalTokenType = "portico-internal+jwt"
	// AccessTokenType is the "typ" of OAuth 2.0 access tokens in the JWT
	// profile of RFC 9068.
	AccessTokenType = "at+jwt"
	// InternalAudience is the "aud" of every internal token: a value no
	// outside party is issued tokens for.
	InternalAudience = "portico-internal"
)

// PrincipalKind says what kind of caller an internal token speaks for.
type PrincipalKind string

// The principal kinds.
const (
	// KindUser is a person signed in with a session.
	KindUser PrincipalKind = "user"
	// KindClient is an OAuth 2.0 machine client.
	KindClient PrincipalKind = "client"
	// KindAPIKey is a caller using an organization's API key.
	KindAPIKey PrincipalKind = "api_key"
)

// Valid reports whether k is one of the defined kinds.
func (k PrincipalKind) Valid() bool { return k == KindUser || k == KindClient || k == KindAPIKey }

// OrgRole is one organization the principal belongs to and its role there.
type OrgRole struct {
	// ID is the organization's ID, such as "org_01J...".
	ID string `json:"id"`
	// Role is the principal's role in it: owner, admin, editor or viewer.
	Role string `json:"role"`
}

// Claims are the verified contents of a token. Times are UTC with second
// precision; a zero NotBefore means the token carried no "nbf".
type Claims struct {
	// Type is the token's "typ" header, lower-cased and without an
	// "application/" prefix: InternalTokenType or AccessTokenType.
	Type string
	// Issuer, Subject, Audience and ID are the registered claims iss,
	// sub, aud and jti.
	Issuer   string
	Subject  string
	Audience []string
	ID       string
	// IssuedAt, NotBefore and Expiry are iat, nbf and exp.
	IssuedAt  time.Time
	NotBefore time.Time
	Expiry    time.Time
	// Scopes are the granted scopes (the space-separated "scope" claim).
	Scopes []string
	// ClientID is the OAuth 2.0 client the token was issued to
	// ("client_id"), when there is one.
	ClientID string
	// OrgID is the organization of a machine client's access token
	// ("org_id"), when there is one.
	OrgID string
	// Kind, Orgs, Staff and CredentialID are carried by internal tokens
	// only: the principal's kind, its organizations and roles, whether it
	// belongs to the operator's staff, and the ID of the outside
	// credential the token was exchanged for ("sid": a session ID, an API
	// key ID or an access token's jti).
	Kind         PrincipalKind
	Orgs         []OrgRole
	Staff        bool
	CredentialID string
	// Resources ("resource"), in internal tokens of kind client only, are
	// the audiences of the access token the internal token was exchanged
	// for: the APIs it was minted for, which a route may require. Empty
	// for other kinds, whose credentials name no audience.
	Resources []string
}

// Role returns the principal's role in the organization orgID, and false
// when it is not a member.
func (c *Claims) Role(orgID string) (string, bool) {
	for _, o := range c.Orgs {
		if o.ID == orgID {
			return o.Role, true
		}
	}
	return "", false
}

// HasResource reports whether the token was minted for the resource
// (audience) r.
func (c *Claims) HasResource(r string) bool { return slices.Contains(c.Resources, r) }

// HasScope reports whether scope was granted.
func (c *Claims) HasScope(scope string) bool { return slices.Contains(c.Scopes, scope) }

// wireClaims is the JSON payload of a token.
type wireClaims struct {
	Issuer       string           `json:"iss"`
	Subject      string           `json:"sub"`
	Audience     jwt.Audience     `json:"aud"`
	Expiry       *jwt.NumericDate `json:"exp,omitempty"`
	NotBefore    *jwt.NumericDate `json:"nbf,omitempty"`
	IssuedAt     *jwt.NumericDate `json:"iat,omitempty"`
	ID           string           `json:"jti,omitempty"`
	ClientID     string           `json:"client_id,omitempty"`
	OrgID        string           `json:"org_id,omitempty"`
	Scope        string           `json:"scope,omitempty"`
	Kind         PrincipalKind    `json:"kind,omitempty"`
	Orgs         []OrgRole        `json:"orgs,omitempty"`
	Staff        bool             `json:"staff,omitempty"`
	CredentialID string           `json:"sid,omitempty"`
	Resources    []string         `json:"resource,omitempty"`
}

func numericDate(t time.Time) *jwt.NumericDate {
	if t.IsZero() {
		return nil
	}
	return jwt.NewNumericDate(t)
}

func fromNumericDate(d *jwt.NumericDate) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time().UTC()
}

// MarshalJSON encodes c as a token payload; Type is a header, not a claim,
// and is left out. The issuing side uses it, so both sides share one
// format.
func (c Claims) MarshalJSON() ([]byte, error) {
	return json.Marshal(wireClaims{
		Issuer:       c.Issuer,
		Subject:      c.Subject,
		Audience:     jwt.Audience(c.Audience),
		Expiry:       numericDate(c.Expiry),
		NotBefore:    numericDate(c.NotBefore),
		IssuedAt:     numericDate(c.IssuedAt),
		ID:           c.ID,
		ClientID:     c.ClientID,
		OrgID:        c.OrgID,
		Scope:        strings.Join(c.Scopes, " "),
		Kind:         c.Kind,
		Orgs:         c.Orgs,
		Staff:        c.Staff,
		CredentialID: c.CredentialID,
		Resources:    c.Resources,
	})
}

// UnmarshalJSON decodes a token payload into c, leaving Type unchanged.
func (c *Claims) UnmarshalJSON(b []byte) error {
	var w wireClaims
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode claims: %w", err)
	}
	*c = Claims{
		Type:         c.Type,
		Issuer:       w.Issuer,
		Subject:      w.Subject,
		Audience:     []string(w.Audience),
		ID:           w.ID,
		IssuedAt:     fromNumericDate(w.IssuedAt),
		NotBefore:    fromNumericDate(w.NotBefore),
		Expiry:       fromNumericDate(w.Expiry),
		Scopes:       strings.Fields(w.Scope),
		ClientID:     w.ClientID,
		OrgID:        w.OrgID,
		Kind:         w.Kind,
		Orgs:         w.Orgs,
		Staff:        w.Staff,
		CredentialID: w.CredentialID,
		Resources:    w.Resources,
	}
	return nil
}

// validInternal reports why c cannot be the payload of an internal token,
// or nil.
func (c *Claims) validInternal() error {
	if !c.Kind.Valid() {
		return fmt.Errorf("principal kind %q", c.Kind)
	}
	for _, o := range c.Orgs {
		if o.ID == "" || o.Role == "" {
			return fmt.Errorf("organization entry without id or role")
		}
	}
	return nil
}
