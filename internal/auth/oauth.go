package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"
)

// OAuth error codes (RFC 6749 §5.2, RFC 7009 §2.2.1).
const (
	OAuthInvalidRequest       = "invalid_request"
	OAuthInvalidClient        = "invalid_client"
	OAuthInvalidGrant         = "invalid_grant"
	OAuthUnauthorizedClient   = "unauthorized_client"
	OAuthUnsupportedGrantType = "unsupported_grant_type"
	OAuthInvalidScope         = "invalid_scope"
	OAuthUnsupportedTokenType = "unsupported_token_type"
	// OAuthInvalidTarget is a resource or audience the token endpoint does
	// not mint tokens for (RFC 8707 §2).
	OAuthInvalidTarget = "invalid_target"
)

// DefaultAudience is the audience of access tokens when Options.Audiences
// is not set: Portico's public API, the resource server machine clients
// call through the gateway.
const DefaultAudience = "portico-api"

// OAuthError is an error the token, revocation and introspection endpoints
// answer in the RFC 6749 §5.2 shape. Description is safe to show.
type OAuthError struct {
	Code        string
	Description string
}

// Error implements error.
func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }

func oauthErr(code, description string) error {
	return &OAuthError{Code: code, Description: description}
}

// TokenResponse is a successful token endpoint answer.
type TokenResponse struct {
	AccessToken string
	ExpiresIn   time.Duration
	// RefreshToken is empty unless the client receives refresh tokens.
	RefreshToken string
	Scopes       []string
}

// ClientCredentials grants an access token to an authenticated client
// (RFC 6749 §4.4). requested, when not nil, selects a subset of the
// client's scopes; nil grants them all. An unknown scope is invalid_scope.
// audiences, when not empty, are the resources or audiences the token is
// for, each one of Options.Audiences (else invalid_target); empty means
// the first of them. A refresh token issued with the access token keeps
// its audiences.
func (s *Service) ClientCredentials(ctx context.Context, c Client, requested, audiences []string) (TokenResponse, error) {
	scopes, err := downSelect(c.Scopes, requested)
	if err != nil {
		return TokenResponse{}, err
	}
	aud, err := selectAudiences(s.o.Audiences, s.o.Audiences[:1], audiences)
	if err != nil {
		return TokenResponse{}, err
	}
	resp, err := s.issueAccess(ctx, c, c.ID, scopes, aud)
	if err != nil {
		return TokenResponse{}, err
	}
	if c.RefreshTokens {
		now := s.now()
		token, hash := GenerateToken()
		id := NewID(RefreshTokenIDPrefix, now)
		if _, err := s.store.CreateRefreshToken(ctx, RefreshToken{
			ID: id, FamilyID: id, ClientID: c.ID, Subject: c.ID, Scopes: scopes, Audiences: aud, TokenHash: hash,
			CreatedAt: now, ExpiresAt: now.Add(s.o.RefreshTokenLifetime),
		}); err != nil {
			return TokenResponse{}, fmt.Errorf("client credentials: %w", err)
		}
		resp.RefreshToken = token
	}
	s.audit(ctx, AuditEvent{Kind: "client.token_issued", OrgID: c.OrgID, ActorID: c.ID})
	return resp, nil
}

// downSelect returns requested if every entry is in allowed, all of
// allowed when requested is nil, or invalid_scope.
func downSelect(allowed, requested []string) ([]string, error) {
	if requested == nil {
		return slices.Clone(allowed), nil
	}
	if err := ValidateScopes(requested); err != nil {
		return nil, oauthErr(OAuthInvalidScope, "the scope parameter is malformed")
	}
	for _, sc := range requested {
		if !slices.Contains(allowed, sc) {
			return nil, oauthErr(OAuthInvalidScope, "scope "+sc+" is not allowed for this client")
		}
	}
	return slices.Clone(requested), nil
}

// selectAudiences returns the audiences of an access token: requested,
// deduplicated, when every entry is in allowed (else invalid_target), or
// def when requested is empty.
func selectAudiences(allowed, def, requested []string) ([]string, error) {
	if len(requested) == 0 {
		return slices.Clone(def), nil
	}
	var out []string
	for _, a := range requested {
		if !slices.Contains(allowed, a) {
			return nil, oauthErr(OAuthInvalidTarget, "a requested resource or audience is not one this server issues tokens for")
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (s *Service) issueAccess(ctx context.Context, c Client, subject string, scopes, audiences []string) (TokenResponse, error) {
	now := s.now()
	claims := AccessClaims{
		Subject: subject, ClientID: c.ID, OrgID: c.OrgID, Scopes: scopes, Audience: audiences,
		ID: newJTI(), IssuedAt: now, ExpiresAt: now.Add(s.o.AccessTokenLifetime),
	}
	token, err := s.issuer.IssueAccessToken(ctx, claims)
	if err != nil {
		return TokenResponse{}, fmt.Errorf("issue access token: %w", err)
	}
	return TokenResponse{AccessToken: token, ExpiresIn: s.o.AccessTokenLifetime, Scopes: scopes}, nil
}

// newJTI returns a random JWT ID: 128 bits in base64url.
func newJTI() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Refresh exchanges a refresh token for a new access token and a new
// refresh token (RFC 6749 §6), rotating it: the old one is spent. Using a
// spent token again revokes its whole family (it was stolen, or the client
// is confused), except within Options.RefreshGrace of its first use, when
// the caller gets the same successor again, so two concurrent refreshes
// by one client do not log it out. requested may narrow the access
// token's scopes, and audiences its audiences (RFC 8707 §2.2: any other is
// invalid_target); the refresh token keeps the family's. A family from
// before tokens had a choice of audience has the default one.
func (s *Service) Refresh(ctx context.Context, c Client, refreshToken string, requested, audiences []string) (TokenResponse, error) {
	raw, hash, err := tokenBytes(refreshToken)
	if err != nil {
		return TokenResponse{}, oauthErr(OAuthInvalidGrant, "the refresh token is invalid")
	}
	old, err := s.store.GetRefreshToken(ctx, hash)
	switch {
	case errors.Is(err, ErrNotFound):
		return TokenResponse{}, oauthErr(OAuthInvalidGrant, "the refresh token is invalid")
	case err != nil:
		return TokenResponse{}, fmt.Errorf("refresh: %w", err)
	}
	now := s.now()
	if old.ClientID != c.ID || old.RevokedAt != nil || !now.Before(old.ExpiresAt) {
		return TokenResponse{}, oauthErr(OAuthInvalidGrant, "the refresh token is invalid, expired or revoked")
	}
	scopes, err := downSelect(old.Scopes, requested)
	if err != nil {
		return TokenResponse{}, err
	}
	granted := old.Audiences
	if len(granted) == 0 {
		granted = s.o.Audiences[:1]
	}
	aud, err := selectAudiences(granted, granted, audiences)
	if err != nil {
		return TokenResponse{}, err
	}
	if old.UsedAt == nil {
		nonce := make([]byte, 32)
		_, _ = rand.Read(nonce) // crypto/rand.Read never returns an error
		next, nextHash := successorToken(raw, nonce)
		err := s.store.RotateRefreshToken(ctx, old.ID, nonce, RefreshToken{
			ID: NewID(RefreshTokenIDPrefix, now), FamilyID: old.FamilyID, ClientID: c.ID, Subject: old.Subject,
			Scopes: old.Scopes, Audiences: old.Audiences, TokenHash: nextHash, CreatedAt: now, ExpiresAt: now.Add(s.o.RefreshTokenLifetime),
		})
		switch {
		case err == nil:
			resp, err := s.issueAccess(ctx, c, old.Subject, scopes, aud)
			resp.RefreshToken = next
			return resp, err
		case !errors.Is(err, ErrConflict):
			return TokenResponse{}, fmt.Errorf("refresh: %w", err)
		}
		// A concurrent refresh won: reread to find its successor.
		if old, err = s.store.GetRefreshToken(ctx, hash); err != nil {
			return TokenResponse{}, fmt.Errorf("refresh: %w", err)
		}
		if old.RevokedAt != nil || old.UsedAt == nil {
			return TokenResponse{}, oauthErr(OAuthInvalidGrant, "the refresh token is invalid, expired or revoked")
		}
	}
	return s.reuse(ctx, c, old, raw, scopes, aud)
}

// reuse handles a spent refresh token: the same successor within the
// grace window if that successor is itself unspent, else revocation of the
// family.
func (s *Service) reuse(ctx context.Context, c Client, old RefreshToken, raw []byte, scopes, audiences []string) (TokenResponse, error) {
	now := s.now()
	if now.Sub(*old.UsedAt) <= s.o.RefreshGrace && len(old.SuccessorNonce) > 0 {
		next, nextHash := successorToken(raw, old.SuccessorNonce)
		succ, err := s.store.GetRefreshToken(ctx, nextHash)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return TokenResponse{}, fmt.Errorf("refresh: %w", err)
		}
		if err == nil && succ.UsedAt == nil && succ.RevokedAt == nil {
			resp, err := s.issueAccess(ctx, c, old.Subject, scopes, audiences)
			resp.RefreshToken = next
			return resp, err
		}
	}
	n, err := s.store.RevokeRefreshFamily(ctx, old.FamilyID, now)
	if err != nil {
		return TokenResponse{}, fmt.Errorf("refresh: revoke family: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "refresh_token.reuse_detected", OrgID: c.OrgID, ActorID: c.ID,
		Detail: map[string]string{"family": old.FamilyID, "revoked": fmt.Sprint(n)}})
	return TokenResponse{}, oauthErr(OAuthInvalidGrant, "the refresh token was already used; its family is revoked")
}

// successorToken derives the token that replaces a refresh token from the
// old token's bytes and a random nonce kept with the old token: a retry
// holding the old token can recompute it, while neither the database
// (which lacks the old token) nor a thief of an old token (who lacks the
// nonce) can.
func successorToken(oldRaw, nonce []byte) (token string, hash []byte) {
	h := sha256.New()
	h.Write([]byte("portico-refresh-successor:"))
	h.Write(oldRaw)
	h.Write(nonce)
	raw := h.Sum(nil)
	sum := sha256.Sum256(raw)
	return base64.RawURLEncoding.EncodeToString(raw), sum[:]
}

// tokenBytes returns the decoded bytes of an opaque token and its hash.
func tokenBytes(token string) ([]byte, []byte, error) {
	hash, err := HashToken(token)
	if err != nil {
		return nil, nil, err
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, nil, fmt.Errorf("token: %w", ErrInvalid)
	}
	return raw, hash, nil
}
