package auth

import (
	"context"
	"fmt"
)

// AcceptInvitation creates the identity of a person accepting an
// invitation, for the accounts service, which checked the invitation and
// calls this service to service. The password is required and must meet
// the policy. With an idempotency key a retry gets the first answer.
// ErrInvalid for a bad address, key or password; ErrConflict, and nothing
// more, if the address is taken; ErrIdempotencyKeyReused as NewIdentity
// says.
func (s *Service) AcceptInvitation(ctx context.Context, req NewIdentity) (CreatedIdentity, error) {
	if req.Password == "" {
		return CreatedIdentity{}, NewError(ErrInvalid, "password is required")
	}
	c, err := s.createIdentity(ctx, idempotencyScopeInvitation, req)
	if err != nil {
		return CreatedIdentity{}, fmt.Errorf("accept invitation: %w", err)
	}
	if !c.Replayed {
		s.audit(ctx, AuditEvent{Kind: "identity.created", ActorID: c.Identity.ID, IP: cleanIP(req.IP),
			Detail: map[string]string{"identity": c.Identity.ID, "via": "invitation"}})
	}
	return c, nil
}
