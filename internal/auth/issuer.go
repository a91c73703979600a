package auth

import (
	"context"
	"time"
)

// TokenIssuer signs and verifies the JWTs the service hands out. The
// signing package implements it; the service never sees a key.
type TokenIssuer interface {
	// IssueAccessToken signs an OAuth access token with the given claims.
	IssueAccessToken(ctx context.Context, c AccessClaims) (token string, err error)
	// IssueInternalToken signs an internal token, the credential services
	// verify on every proxied request.
	IssueInternalToken(ctx context.Context, c InternalClaims) (token string, err error)
	// VerifyAccessToken checks an access token's signature, issuer,
	// audience and expiry and returns its claims. Any failure is an error;
	// the service maps every one to "inactive" or "unauthenticated".
	VerifyAccessToken(ctx context.Context, token string) (*AccessClaims, error)
}

// AccessClaims are the claims of an OAuth access token.
type AccessClaims struct {
	// Subject (sub) is who the token acts for: a client ID for the client
	// credentials grant.
	Subject string
	// ClientID (client_id) is the client the token was issued to.
	ClientID string
	// OrgID is the organization of the client.
	OrgID string
	// Scopes (scope, space-separated in the JWT) are the granted scopes.
	Scopes []string
	// ID (jti) identifies the token, for revocation.
	ID string
	// IssuedAt (iat) and ExpiresAt (exp).
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// CredentialKind says what kind of principal an internal token speaks for.
type CredentialKind string

// The principal kinds of internal tokens.
const (
	KindUser   CredentialKind = "user"
	KindClient CredentialKind = "client"
	KindAPIKey CredentialKind = "api_key"
)

// OrgRole is one organization an internal token's subject belongs to,
// with its role; clients and API keys have no role (their scopes decide).
type OrgRole struct {
	ID   string `json:"id"`
	Role string `json:"role,omitempty"`
}

// InternalClaims are the claims of an internal token.
type InternalClaims struct {
	// Subject (sub) is an identity ID, a client ID or an API key ID.
	Subject string
	// Kind says which of those Subject is.
	Kind CredentialKind
	// Orgs are the organizations the subject may act in, with its role.
	Orgs []OrgRole
	// Scopes limit what a client or API key may do; empty for users, whose
	// rights come from their roles.
	Scopes []string
	// Staff is true for the operator's staff.
	Staff bool
	// CredentialID is the session ID, API key ID or access token ID (jti)
	// the token was exchanged for (the "sid" claim).
	CredentialID string
	// ID (jti), IssuedAt (iat) and ExpiresAt (exp).
	ID        string
	IssuedAt  time.Time
	ExpiresAt time.Time
}
