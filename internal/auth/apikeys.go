package auth

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// CreateAPIKeyRequest describes a new API key.
type CreateAPIKeyRequest struct {
	Name   string
	Scopes []string
	// ExpiresAt is when the key stops working; nil means
	// Options.APIKeyMaxLifetime from now (or never, when that is
	// negative).
	ExpiresAt *time.Time
}

// CreateAPIKey makes an API key for an organization the principal
// administers and returns it with the key itself, which is shown once and
// never stored. ErrForbidden unless the principal administers orgID;
// ErrInvalid for a bad name, scopes or expiry.
func (s *Service) CreateAPIKey(ctx context.Context, p Principal, orgID string, req CreateAPIKeyRequest) (APIKey, string, error) {
	if !p.CanAdminister(orgID) {
		return APIKey{}, "", fmt.Errorf("create api key: %w", ErrForbidden)
	}
	now := s.now()
	expires, err := s.keyExpiry(now, req.ExpiresAt)
	if err != nil {
		return APIKey{}, "", fmt.Errorf("create api key: %w", err)
	}
	key, lookupID, hash, err := GenerateAPIKey()
	if err != nil {
		return APIKey{}, "", fmt.Errorf("create api key: %w", err)
	}
	k, err := s.store.CreateAPIKey(ctx, APIKey{
		ID: lookupID, OrgID: orgID, IdentityID: p.IdentityID, Name: req.Name, SecretHash: hash,
		Scopes: req.Scopes, CreatedAt: now, ExpiresAt: expires,
	})
	if err != nil {
		return APIKey{}, "", fmt.Errorf("create api key: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "api_key.created", OrgID: orgID, ActorID: p.IdentityID,
		Detail: map[string]string{"key": k.ID, "name": k.Name}})
	return k, key, nil
}

func (s *Service) keyExpiry(now time.Time, asked *time.Time) (*time.Time, error) {
	limit := s.o.APIKeyMaxLifetime
	if asked == nil {
		if limit < 0 {
			return nil, nil
		}
		t := now.Add(limit)
		return &t, nil
	}
	switch {
	case !asked.After(now):
		return nil, NewError(ErrInvalid, "expires_at must be in the future")
	case limit > 0 && asked.After(now.Add(limit)):
		return nil, NewError(ErrInvalid, "expires_at must be at most %s from now", durationWords(limit))
	}
	t := asked.UTC()
	return &t, nil
}

// durationWords says d in days when it is a whole number of them.
func durationWords(d time.Duration) string {
	const day = 24 * time.Hour
	if d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + " days"
	}
	return d.String()
}

// ListAPIKeys returns one page of an organization's API keys.
// ErrForbidden unless the principal administers orgID.
func (s *Service) ListAPIKeys(ctx context.Context, p Principal, orgID string, page PageRequest) (Page[APIKey], error) {
	if !p.CanAdminister(orgID) {
		return Page[APIKey]{}, fmt.Errorf("list api keys: %w", ErrForbidden)
	}
	return s.store.ListAPIKeys(ctx, orgID, page)
}

// RevokeAPIKey revokes an organization's API key. ErrForbidden unless the
// principal administers orgID; ErrNotFound if the organization has no
// such key.
func (s *Service) RevokeAPIKey(ctx context.Context, p Principal, orgID, id string) error {
	if !p.CanAdminister(orgID) {
		return fmt.Errorf("revoke api key: %w", ErrForbidden)
	}
	if err := s.store.RevokeAPIKey(ctx, orgID, id, s.now()); err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "api_key.revoked", OrgID: orgID, ActorID: p.IdentityID, Detail: map[string]string{"key": id}})
	return nil
}

// ListAudit returns one page of an organization's audit events.
// ErrForbidden unless the principal administers orgID.
func (s *Service) ListAudit(ctx context.Context, p Principal, orgID string, page PageRequest) (Page[AuditEvent], error) {
	if !p.CanAdminister(orgID) {
		return Page[AuditEvent]{}, fmt.Errorf("list audit: %w", ErrForbidden)
	}
	return s.store.ListAuditEvents(ctx, orgID, page)
}
