package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Introspection describes a credential (RFC 7662 §2.2). An inactive one
// has only Active false: nothing else is said about it.
type Introspection struct {
	Active bool
	// TokenType is one of the Credential* kinds.
	TokenType string
	Subject   string
	ClientID  string
	OrgID     string
	Scopes    []string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Introspect describes a credential for a client allowed to: one with
// Options.IntrospectScope among its scopes (ErrForbidden otherwise). A
// client of the staff organization (Options.StaffOrgID, or the one the
// Directory says is staff) may introspect every credential; any other
// only its own organization's API keys, access and refresh tokens, and
// gets an inactive answer for anything else (another organization's
// credential, a session), so the scope, which any administrator of an
// organization can grant, says nothing about other organizations. hint, a
// Credential* kind or "", is tried first for opaque tokens. Introspection
// does not count as use of the credential.
func (s *Service) Introspect(ctx context.Context, c Client, token, hint string) (Introspection, error) {
	if !slices.Contains(c.Scopes, s.o.IntrospectScope) {
		return Introspection{}, fmt.Errorf("introspect: client lacks scope %s: %w", s.o.IntrospectScope, ErrForbidden)
	}
	in, err := s.introspect(ctx, token, hint)
	if err != nil || !in.Active {
		return Introspection{}, err
	}
	staff := s.o.StaffOrgID != "" && c.OrgID == s.o.StaffOrgID
	if !staff {
		info, err := s.dir.Organization(ctx, c.OrgID)
		if err != nil {
			return Introspection{}, fmt.Errorf("introspect: %w", err)
		}
		staff = info.Staff
	}
	if !staff && (in.OrgID == "" || in.OrgID != c.OrgID) {
		return Introspection{}, nil
	}
	return in, nil
}

// introspect describes any credential, for any organization.
func (s *Service) introspect(ctx context.Context, token, hint string) (Introspection, error) {
	now := s.now()
	switch DetectCredential(token) {
	case CredentialAPIKey:
		k, err := s.apiKey(ctx, token)
		if err != nil || !k.Active(now) {
			return Introspection{}, inactive(err)
		}
		if err := s.creatorActive(ctx, k.IdentityID); err != nil {
			return Introspection{}, inactive(err)
		}
		if err := s.orgActive(ctx, k.OrgID); err != nil {
			return Introspection{}, inactive(err)
		}
		in := Introspection{Active: true, TokenType: CredentialAPIKey, Subject: k.ID, OrgID: k.OrgID, Scopes: k.Scopes, IssuedAt: k.CreatedAt}
		if k.ExpiresAt != nil {
			in.ExpiresAt = *k.ExpiresAt
		}
		return in, nil
	case CredentialBearer:
		ac, _, err := s.accessToken(ctx, token)
		if err != nil {
			return Introspection{}, inactive(err)
		}
		return Introspection{Active: true, TokenType: CredentialBearer, Subject: ac.Subject, ClientID: ac.ClientID,
			OrgID: ac.OrgID, Scopes: ac.Scopes, IssuedAt: ac.IssuedAt, ExpiresAt: ac.ExpiresAt}, nil
	case CredentialSession:
		hash, _ := HashToken(token)
		for _, kind := range opaqueOrder(hint) {
			in, found, err := s.introspectOpaque(ctx, kind, hash, now)
			if err != nil || found {
				return in, err
			}
		}
	}
	return Introspection{}, nil
}

// inactive turns a lookup failure into an inactive answer, except for
// store failures, which stay errors.
func inactive(err error) error {
	if err == nil || errors.Is(err, ErrUnauthenticated) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalid) {
		return nil
	}
	return err
}

func opaqueOrder(hint string) []string {
	if hint == CredentialRefresh || hint == "refresh_token" {
		return []string{CredentialRefresh, CredentialSession}
	}
	return []string{CredentialSession, CredentialRefresh}
}

func (s *Service) introspectOpaque(ctx context.Context, kind string, hash []byte, now time.Time) (Introspection, bool, error) {
	if kind == CredentialSession {
		ses, err := s.store.GetSessionByTokenHash(ctx, hash)
		if err != nil {
			return Introspection{}, false, inactive(err)
		}
		id, err := s.store.GetIdentity(ctx, ses.IdentityID)
		if err != nil {
			return Introspection{}, true, fmt.Errorf("introspect: %w", err)
		}
		if !ses.Active(now) || id.Status != StatusActive {
			return Introspection{}, true, nil
		}
		exp := ses.IdleExpiresAt
		return Introspection{Active: true, TokenType: CredentialSession, Subject: ses.IdentityID, IssuedAt: ses.CreatedAt, ExpiresAt: exp}, true, nil
	}
	rt, err := s.store.GetRefreshToken(ctx, hash)
	if err != nil {
		return Introspection{}, false, inactive(err)
	}
	c, err := s.store.GetClient(ctx, rt.ClientID)
	if err != nil {
		return Introspection{}, true, fmt.Errorf("introspect: %w", err)
	}
	if rt.UsedAt != nil || rt.RevokedAt != nil || !now.Before(rt.ExpiresAt) {
		return Introspection{}, true, nil
	}
	if err := s.clientUsable(ctx, c); err != nil {
		return Introspection{}, true, inactive(err)
	}
	return Introspection{Active: true, TokenType: CredentialRefresh, Subject: rt.Subject, ClientID: rt.ClientID,
		OrgID: c.OrgID, Scopes: rt.Scopes, IssuedAt: rt.CreatedAt, ExpiresAt: rt.ExpiresAt}, true, nil
}

// Revoke revokes a credential of any kind (RFC 7009). Session tokens and
// API keys are revoked for whoever presents them, since holding one is
// the right to end it (as secret scanners report leaked keys); access and
// refresh tokens only for the client they were issued to, else
// unauthorized_client. Unknown, malformed and already revoked credentials
// are not errors.
func (s *Service) Revoke(ctx context.Context, c Client, token, hint string) error {
	now := s.now()
	switch DetectCredential(token) {
	case CredentialAPIKey:
		k, err := s.apiKey(ctx, token)
		if err != nil {
			return inactive(err)
		}
		if err := s.store.RevokeAPIKey(ctx, k.OrgID, k.ID, now); err != nil {
			return fmt.Errorf("revoke: %w", err)
		}
		s.audit(ctx, AuditEvent{Kind: "api_key.revoked", OrgID: k.OrgID, ActorID: c.ID, Detail: map[string]string{"key": k.ID, "via": "oauth2_revoke"}})
	case CredentialBearer:
		ac, err := s.issuer.VerifyAccessToken(ctx, token)
		if err != nil {
			return nil
		}
		if ac.ClientID != c.ID {
			return oauthErr(OAuthUnauthorizedClient, "the token was issued to another client")
		}
		if err := s.store.RevokeAccessToken(ctx, ac.ID, ac.ExpiresAt); err != nil {
			return fmt.Errorf("revoke: %w", err)
		}
		s.audit(ctx, AuditEvent{Kind: "access_token.revoked", OrgID: c.OrgID, ActorID: c.ID})
	case CredentialSession:
		hash, _ := HashToken(token)
		for _, kind := range opaqueOrder(hint) {
			found, err := s.revokeOpaque(ctx, c, kind, hash, now)
			if err != nil || found {
				return err
			}
		}
	}
	return nil
}

func (s *Service) revokeOpaque(ctx context.Context, c Client, kind string, hash []byte, now time.Time) (bool, error) {
	if kind == CredentialSession {
		ses, err := s.store.GetSessionByTokenHash(ctx, hash)
		if err != nil {
			return false, inactive(err)
		}
		if err := s.store.RevokeSession(ctx, ses.ID, now); err != nil {
			return true, fmt.Errorf("revoke: %w", err)
		}
		s.audit(ctx, AuditEvent{Kind: "session.revoked", ActorID: c.ID, Detail: map[string]string{"session": ses.ID, "via": "oauth2_revoke"}})
		return true, nil
	}
	rt, err := s.store.GetRefreshToken(ctx, hash)
	if err != nil {
		return false, inactive(err)
	}
	if rt.ClientID != c.ID {
		return true, oauthErr(OAuthUnauthorizedClient, "the token was issued to another client")
	}
	if _, err := s.store.RevokeRefreshFamily(ctx, rt.FamilyID, now); err != nil {
		return true, fmt.Errorf("revoke: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "refresh_token.revoked", OrgID: c.OrgID, ActorID: c.ID, Detail: map[string]string{"family": rt.FamilyID}})
	return true, nil
}

// apiKey parses an API key, finds it and checks its secret; it does not
// check that it is active. ErrUnauthenticated for any mismatch.
func (s *Service) apiKey(ctx context.Context, key string) (APIKey, error) {
	lookupID, secret, err := ParseAPIKey(key)
	if err != nil {
		return APIKey{}, fmt.Errorf("api key: %w", ErrUnauthenticated)
	}
	k, err := s.store.GetAPIKey(ctx, lookupID)
	switch {
	case errors.Is(err, ErrNotFound):
		return APIKey{}, fmt.Errorf("api key: unknown: %w", ErrUnauthenticated)
	case err != nil:
		return APIKey{}, fmt.Errorf("api key: %w", err)
	}
	if !VerifyAPIKeySecret(secret, k.SecretHash) {
		return APIKey{}, fmt.Errorf("api key: wrong secret: %w", ErrUnauthenticated)
	}
	return k, nil
}

// accessToken verifies an access token and checks it is not revoked, its
// client is not revoked and the client's creator is active.
// ErrUnauthenticated otherwise.
func (s *Service) accessToken(ctx context.Context, token string) (*AccessClaims, Client, error) {
	ac, err := s.issuer.VerifyAccessToken(ctx, token)
	if err != nil {
		return nil, Client{}, fmt.Errorf("access token: %v: %w", err, ErrUnauthenticated)
	}
	if !s.now().Before(ac.ExpiresAt) {
		return nil, Client{}, fmt.Errorf("access token: expired: %w", ErrUnauthenticated)
	}
	revoked, err := s.store.AccessTokenRevoked(ctx, ac.ID)
	if err != nil {
		return nil, Client{}, fmt.Errorf("access token: %w", err)
	}
	if revoked {
		return nil, Client{}, fmt.Errorf("access token: revoked: %w", ErrUnauthenticated)
	}
	c, err := s.store.GetClient(ctx, ac.ClientID)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, Client{}, fmt.Errorf("access token: unknown client: %w", ErrUnauthenticated)
	case err != nil:
		return nil, Client{}, fmt.Errorf("access token: %w", err)
	}
	if err := s.clientUsable(ctx, c); err != nil {
		return nil, Client{}, fmt.Errorf("access token: %w", err)
	}
	return ac, c, nil
}
