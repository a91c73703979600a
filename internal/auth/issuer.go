package auth

import (
	"context"
	"time"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// TokenIssuer signs and verifies the JWTs the service hands out. The
// signing package implements it; the service never sees a key.
type TokenIssuer interface {
	// IssueAccessToken signs an OAuth access token with the given claims.
	IssueAccessToken(ctx context.Context, c AccessClaims) (token string, err error)
	// IssueInternalToken signs an internal token, the credential services
	// verify on every proxied request, with c's subject, kind,
	// organizations, scopes, staff flag, credential ID ("sid") and ID
	// (jti), living from c.IssuedAt to c.Expiry. The issuer sets iss, aud
	// and the token type itself; c's Issuer, Audience and Type are ignored.
	IssueInternalToken(ctx context.Context, c identity.Claims) (token string, err error)
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
	// Audience (aud) names the resource servers the token is for (RFC
	// 8707 resource indicators, or plain audience strings). Empty when
	// issuing means the issuer's default audience.
	Audience []string
	// ID (jti) identifies the token, for revocation.
	ID string
	// IssuedAt (iat) and ExpiresAt (exp).
	IssuedAt  time.Time
	ExpiresAt time.Time
}
