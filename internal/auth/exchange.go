package auth

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// Exchanged is the gateway's answer for an outside credential: an internal
// token and how long the gateway may reuse it for that credential.
type Exchanged struct {
	Token     string
	ExpiresAt time.Time
	Subject   string
	Kind      identity.PrincipalKind
	// CacheTTL is at most Options.ExchangeCacheTTL, and never beyond the
	// internal token's or the credential's expiry.
	CacheTTL time.Duration
}

// apiKeyTouchEvery is how stale an API key's LastUsedAt may get before a
// use writes it again, so busy keys do not write on every request.
const apiKeyTouchEvery = time.Minute

// Exchange turns an outside credential (a session token, an OAuth access
// token or an API key) into an internal token. kind is one of
// CredentialSession, CredentialBearer and CredentialAPIKey, or "" to
// detect it from the credential's shape. It records the use (a session's
// last-seen time, an API key's last use). ErrUnauthenticated when the
// credential is malformed, unknown, revoked or expired, or its identity,
// the identity that created the API key or the client, or the client is
// disabled;
// ErrInvalid for an unknown kind.
func (s *Service) Exchange(ctx context.Context, credential, kind string) (Exchanged, error) {
	if kind == "" {
		kind = DetectCredential(credential)
		if kind == "" {
			return Exchanged{}, fmt.Errorf("exchange: unrecognised credential: %w", ErrUnauthenticated)
		}
	}
	now := s.now()
	var (
		claims identity.Claims
		until  time.Time // the credential's own end
	)
	switch kind {
	case CredentialSession:
		p, ses, err := s.AuthenticateSession(ctx, credential)
		if err != nil {
			return Exchanged{}, fmt.Errorf("exchange: %w", err)
		}
		claims = identity.Claims{Subject: p.IdentityID, Kind: identity.KindUser, Orgs: p.Orgs, Staff: p.Staff, CredentialID: ses.ID}
		until = ses.IdleExpiresAt
	case CredentialAPIKey:
		k, err := s.apiKey(ctx, credential)
		if err != nil {
			return Exchanged{}, fmt.Errorf("exchange: %w", err)
		}
		if !k.Active(now) {
			return Exchanged{}, fmt.Errorf("exchange: api key revoked or expired: %w", ErrUnauthenticated)
		}
		if err := s.creatorActive(ctx, k.IdentityID); err != nil {
			return Exchanged{}, fmt.Errorf("exchange: api key: %w", err)
		}
		if err := s.orgActive(ctx, k.OrgID); err != nil {
			return Exchanged{}, fmt.Errorf("exchange: api key: %w", err)
		}
		if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= apiKeyTouchEvery {
			if err := s.store.TouchAPIKey(ctx, k.ID, now); err != nil {
				return Exchanged{}, fmt.Errorf("exchange: %w", err)
			}
		}
		claims = identity.Claims{Subject: k.ID, Kind: identity.KindAPIKey, Orgs: []identity.OrgRole{{ID: k.OrgID, Role: RoleScoped}},
			Scopes: k.Scopes, CredentialID: k.ID}
		if k.ExpiresAt != nil {
			until = *k.ExpiresAt
		}
	case CredentialBearer:
		ac, c, err := s.accessToken(ctx, credential)
		if err != nil {
			return Exchanged{}, fmt.Errorf("exchange: %w", err)
		}
		claims = identity.Claims{Subject: ac.Subject, Kind: identity.KindClient, Orgs: []identity.OrgRole{{ID: c.OrgID, Role: RoleScoped}},
			Scopes: ac.Scopes, CredentialID: ac.ID, ClientID: c.ID, Resources: slices.Clone(ac.Audience)}
		until = ac.ExpiresAt
	default:
		return Exchanged{}, &Error{Code: ErrInvalid, Message: `kind must be "session", "bearer" or "api_key"`,
			Err: fmt.Errorf("exchange: kind %q", kind)}
	}
	ex, err := s.issueExchanged(ctx, claims, until, now)
	if err != nil {
		return Exchanged{}, fmt.Errorf("exchange: %w", err)
	}
	return ex, nil
}

// issueExchanged issues the internal token of claims at now, expiring
// after InternalTokenLifetime or at until (the credential's own end, zero
// for none), whichever comes first, and says how long the gateway may
// cache it.
func (s *Service) issueExchanged(ctx context.Context, claims identity.Claims, until, now time.Time) (Exchanged, error) {
	claims.ID, claims.IssuedAt = newJTI(), now
	claims.Expiry = now.Add(s.o.InternalTokenLifetime)
	if !until.IsZero() && until.Before(claims.Expiry) {
		claims.Expiry = until
	}
	token, err := s.issuer.IssueInternalToken(ctx, claims)
	if err != nil {
		return Exchanged{}, fmt.Errorf("issue internal token: %w", err)
	}
	return Exchanged{
		Token: token, ExpiresAt: claims.Expiry, Subject: claims.Subject, Kind: claims.Kind,
		CacheTTL: min(s.o.ExchangeCacheTTL, claims.Expiry.Sub(now)),
	}, nil
}
