package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// generatedPasswordBytes is the entropy of a generated password: 144
// bits, 24 characters of base64url.
const generatedPasswordBytes = 18

// CreateIdentity makes an active identity with the given password (empty
// for one that cannot sign in with a password). ErrInvalid for a bad
// address or a password outside the policy; ErrConflict if the address is
// taken.
func (s *Service) CreateIdentity(ctx context.Context, email, password string) (Identity, error) {
	var hash string
	if password != "" {
		h, err := s.o.Hasher.Hash(password)
		if err != nil {
			return Identity{}, fmt.Errorf("create identity: %w", err)
		}
		hash = h
	}
	now := s.now()
	id, err := s.store.CreateIdentity(ctx, Identity{
		ID: NewID(IdentityIDPrefix, now), Email: email, Status: StatusActive, PasswordHash: hash,
		CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		return Identity{}, fmt.Errorf("create identity: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "identity.created", ActorID: id.ID})
	return id, nil
}

// Bootstrap creates the first identity, meant to become the first
// administrator (the caller makes it staff in the directory). An empty
// password is replaced by a random one, returned so it can be shown once;
// a given one is returned as is. ErrConflict if any identity exists.
func (s *Service) Bootstrap(ctx context.Context, email, password string) (Identity, string, error) {
	page, err := s.store.ListIdentities(ctx, PageRequest{Limit: 1})
	if err != nil {
		return Identity{}, "", fmt.Errorf("bootstrap: %w", err)
	}
	if len(page.Items) > 0 {
		return Identity{}, "", fmt.Errorf("bootstrap: identities exist already: %w", ErrConflict)
	}
	if password == "" {
		var raw [generatedPasswordBytes]byte
		_, _ = rand.Read(raw[:]) // crypto/rand.Read never returns an error
		password = base64.RawURLEncoding.EncodeToString(raw[:])
	}
	id, err := s.CreateIdentity(ctx, email, password)
	if err != nil {
		return Identity{}, "", fmt.Errorf("bootstrap: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "identity.bootstrapped", ActorID: id.ID})
	return id, password, nil
}
