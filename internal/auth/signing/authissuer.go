package signing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/identity"
)

// DefaultAccessAudience is the "aud" of the access tokens an AuthIssuer
// signs when no other is configured: Portico's public API, the resource
// server machine clients call through the gateway.
const DefaultAccessAudience = auth.DefaultAudience

// AuthIssuer is the auth service's token issuer (auth.TokenIssuer): it
// signs access and internal tokens with a Manager and verifies access
// tokens against the Manager's own keys, in process. It is safe for
// concurrent use.
type AuthIssuer struct {
	m        *Manager
	audience string
	access   *identity.Verifier
}

// NewAuthIssuer returns an AuthIssuer signing with m. Access tokens get the
// audience aud unless their claims name others; "" means
// DefaultAccessAudience. Access tokens are verified
// whatever their audience, because the issuer introspects and revokes every
// access token it signed, whoever it was for.
func NewAuthIssuer(m *Manager, aud string) (*AuthIssuer, error) {
	if aud == "" {
		aud = DefaultAccessAudience
	}
	if err := checkClaim("audience", aud, true); err != nil {
		return nil, fmt.Errorf("new auth issuer: %w", err)
	}
	v, err := identity.NewVerifier(identity.VerifierOptions{
		Keys:          m,
		Issuer:        m.o.Issuer,
		AnyAudience:   true,
		Types:         []string{identity.AccessTokenType},
		MaxTokenBytes: m.o.MaxTokenBytes,
		// No token this issuer signs lives longer; issuing refuses it.
		MaxLifetime: m.o.MaxTokenLifetime,
		Now:         m.o.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("new auth issuer: %w", err)
	}
	return &AuthIssuer{m: m, audience: aud, access: v}, nil
}

// IssueAccessToken implements auth.TokenIssuer. The Manager stamps iat
// itself; the token lives ExpiresAt − IssuedAt (the Manager's default when
// either is zero).
func (a *AuthIssuer) IssueAccessToken(ctx context.Context, c auth.AccessClaims) (string, error) {
	life, err := lifetimeOf(c.IssuedAt.IsZero() || c.ExpiresAt.IsZero(), c.ExpiresAt.Sub(c.IssuedAt))
	if err != nil {
		return "", fmt.Errorf("issue access token: %w", err)
	}
	aud := c.Audience
	if len(aud) == 0 {
		aud = []string{a.audience}
	}
	return a.m.IssueAccessToken(ctx, AccessClaims{
		Subject:  c.Subject,
		Audience: aud,
		ClientID: c.ClientID,
		Scopes:   c.Scopes,
		Lifetime: life,
		OrgID:    c.OrgID,
		ID:       c.ID,
	})
}

// IssueInternalToken implements auth.TokenIssuer: the Manager signs c
// (see Manager.IssueInternalToken) with the lifetime Expiry − IssuedAt, its
// default when either is zero. Every organization must name a role; the
// auth service gives clients and API keys auth.RoleScoped.
func (a *AuthIssuer) IssueInternalToken(ctx context.Context, c identity.Claims) (string, error) {
	life, err := lifetimeOf(c.IssuedAt.IsZero() || c.Expiry.IsZero(), c.Expiry.Sub(c.IssuedAt))
	if err != nil {
		return "", fmt.Errorf("issue internal token: %w", err)
	}
	return a.m.IssueInternalToken(ctx, c, life)
}

// VerifyAccessToken implements auth.TokenIssuer: the token must be an
// "at+jwt" signed by one of the Manager's published keys for its issuer,
// unexpired, with the client_id and jti RFC 9068 requires.
func (a *AuthIssuer) VerifyAccessToken(ctx context.Context, token string) (*auth.AccessClaims, error) {
	c, err := a.access.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	if c.ClientID == "" || c.ID == "" {
		return nil, errors.New("verify token: access token without client_id or jti")
	}
	return &auth.AccessClaims{
		Subject:   c.Subject,
		ClientID:  c.ClientID,
		OrgID:     c.OrgID,
		Scopes:    c.Scopes,
		Audience:  c.Audience,
		ID:        c.ID,
		IssuedAt:  c.IssuedAt,
		ExpiresAt: c.Expiry,
	}, nil
}

// lifetimeOf returns the Lifetime to ask the Manager for: zero (its
// default) when the caller gave no times, else life, which must be
// positive.
func lifetimeOf(unset bool, life time.Duration) (time.Duration, error) {
	if unset {
		return 0, nil
	}
	if life <= 0 {
		return 0, fmt.Errorf("expiry not after issue time: %w", ErrInvalid)
	}
	return life, nil
}

var _ auth.TokenIssuer = (*AuthIssuer)(nil)
