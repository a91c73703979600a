package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
)

// CreateClientRequest describes a new machine client.
type CreateClientRequest struct {
	Name          string
	Scopes        []string
	RefreshTokens bool
}

// CreateClient makes a machine client for an organization the principal
// administers and returns it with its secret, shown once and never
// stored. ErrForbidden unless the principal administers orgID.
func (s *Service) CreateClient(ctx context.Context, p Principal, orgID string, req CreateClientRequest) (Client, string, error) {
	if !p.CanAdminister(orgID) {
		return Client{}, "", fmt.Errorf("create client: %w", ErrForbidden)
	}
	now := s.now()
	secret, hash := GenerateToken()
	c, err := s.store.CreateClient(ctx, Client{
		ID: NewID(ClientIDPrefix, now), OrgID: orgID, Name: req.Name, SecretHash: hash, Scopes: req.Scopes,
		RefreshTokens: req.RefreshTokens, CreatedBy: p.IdentityID, CreatedAt: now,
	})
	if err != nil {
		return Client{}, "", fmt.Errorf("create client: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "client.created", OrgID: orgID, ActorID: p.IdentityID,
		Detail: map[string]string{"client": c.ID, "name": c.Name}})
	return c, secret, nil
}

// ListClients returns one page of an organization's clients.
// ErrForbidden unless the principal administers orgID.
func (s *Service) ListClients(ctx context.Context, p Principal, orgID string, page PageRequest) (Page[Client], error) {
	if !p.CanAdminister(orgID) {
		return Page[Client]{}, fmt.Errorf("list clients: %w", ErrForbidden)
	}
	return s.store.ListClients(ctx, orgID, page)
}

// RevokeClient revokes an organization's client and its refresh tokens.
// Access tokens already issued to it stop working at the exchange and at
// introspection, which check the client. ErrForbidden unless the
// principal administers orgID; ErrNotFound if there is no such client.
func (s *Service) RevokeClient(ctx context.Context, p Principal, orgID, id string) error {
	if !p.CanAdminister(orgID) {
		return fmt.Errorf("revoke client: %w", ErrForbidden)
	}
	if err := s.store.RevokeClient(ctx, orgID, id, s.now()); err != nil {
		return fmt.Errorf("revoke client: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "client.revoked", OrgID: orgID, ActorID: p.IdentityID, Detail: map[string]string{"client": id}})
	return nil
}

// AuthenticateClient checks a client ID and secret. ErrUnauthenticated
// if the client is unknown or revoked, the secret is wrong, or the
// identity that created the client is disabled: every endpoint that
// authenticates a client (the token endpoint for both grants, revocation,
// introspection) then refuses it.
func (s *Service) AuthenticateClient(ctx context.Context, clientID, secret string) (Client, error) {
	if !ValidID(ClientIDPrefix, clientID) {
		return Client{}, fmt.Errorf("authenticate client: %w", ErrUnauthenticated)
	}
	hash, err := HashToken(secret)
	if err != nil {
		return Client{}, fmt.Errorf("authenticate client: %w", ErrUnauthenticated)
	}
	c, err := s.store.GetClient(ctx, clientID)
	switch {
	case errors.Is(err, ErrNotFound):
		return Client{}, fmt.Errorf("authenticate client: %w", ErrUnauthenticated)
	case err != nil:
		return Client{}, fmt.Errorf("authenticate client: %w", err)
	}
	if subtle.ConstantTimeCompare(hash, c.SecretHash) != 1 {
		return Client{}, fmt.Errorf("authenticate client: %w", ErrUnauthenticated)
	}
	if err := s.clientUsable(ctx, c); err != nil {
		return Client{}, fmt.Errorf("authenticate client: %w", err)
	}
	return c, nil
}

// clientUsable returns an error wrapping ErrUnauthenticated unless the
// client is not revoked, the identity that created it is active and its
// organization is active.
func (s *Service) clientUsable(ctx context.Context, c Client) error {
	if !c.Active() {
		return fmt.Errorf("client revoked: %w", ErrUnauthenticated)
	}
	if err := s.creatorActive(ctx, c.CreatedBy); err != nil {
		return err
	}
	return s.orgActive(ctx, c.OrgID)
}

// orgActive returns an error wrapping ErrUnauthenticated when the
// organization a machine credential (an API key, a client) belongs to is
// suspended or no longer exists, so that suspending an organization stops
// its machines as it stops its members; the directory's own failure
// (ErrUnavailable) is returned as it is.
func (s *Service) orgActive(ctx context.Context, orgID string) error {
	info, err := s.dir.Organization(ctx, orgID)
	switch {
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("organization unknown: %w", ErrUnauthenticated)
	case err != nil:
		return fmt.Errorf("organization: %w", err)
	case !info.Active:
		return fmt.Errorf("organization suspended: %w", ErrUnauthenticated)
	}
	return nil
}
