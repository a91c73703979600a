package auth

import (
	"context"
	"errors"
	"fmt"
)

// AdminCreateIdentity makes an active identity on behalf of a staff
// member. Without a password the new identity gets a password reset mail
// (as RequestPasswordReset sends, outside its limits), so the person
// chooses their own; a failure to queue it is logged, not returned, since the identity exists and a
// reset can be asked for again. With an idempotency key, scoped to the
// staff member, a retry gets the first answer and sends no second mail.
// ErrForbidden unless the principal is staff; ErrInvalid for a bad
// address, key or password; ErrConflict if the address is taken;
// ErrIdempotencyKeyReused as NewIdentity says.
func (s *Service) AdminCreateIdentity(ctx context.Context, p Principal, req NewIdentity) (CreatedIdentity, error) {
	if !p.Staff {
		return CreatedIdentity{}, fmt.Errorf("admin create identity: %w", ErrForbidden)
	}
	c, err := s.createIdentity(ctx, idempotencyScopeStaff+p.IdentityID, req)
	if err != nil {
		return CreatedIdentity{}, fmt.Errorf("admin create identity: %w", err)
	}
	if c.Replayed {
		return c, nil
	}
	password := "set"
	if req.Password == "" {
		password = "reset_mailed"
	}
	s.audit(ctx, AuditEvent{Kind: "identity.created", ActorID: p.IdentityID, IP: cleanIP(req.IP),
		Detail: map[string]string{"identity": c.Identity.ID, "email": c.Identity.Email, "via": "staff", "password": password}})
	if req.Password == "" {
		if err := s.mailNewReset(ctx, c.Identity, req.IP); err != nil {
			s.o.Logger.ErrorContext(ctx, "mail password reset to new identity", "identity", c.Identity.ID, "error", err)
		}
	}
	return c, nil
}

// ListIdentities returns one page of every identity, newest first.
// ErrForbidden unless the principal is staff.
func (s *Service) ListIdentities(ctx context.Context, p Principal, page PageRequest) (Page[Identity], error) {
	if !p.Staff {
		return Page[Identity]{}, fmt.Errorf("list identities: %w", ErrForbidden)
	}
	return s.store.ListIdentities(ctx, page)
}

// GetIdentity returns an identity to staff, or to the identity itself.
// ErrForbidden for anyone else, whether or not the identity exists;
// ErrNotFound if there is no such identity.
func (s *Service) GetIdentity(ctx context.Context, p Principal, id string) (Identity, error) {
	if !p.Staff && p.IdentityID != id {
		return Identity{}, fmt.Errorf("get identity: %w", ErrForbidden)
	}
	i, err := s.store.GetIdentity(ctx, id)
	if err != nil {
		return Identity{}, fmt.Errorf("get identity: %w", err)
	}
	return i, nil
}

// SetIdentityStatus disables or re-enables an identity on behalf of a
// staff member and returns it as it now is. A change revokes every session
// of the identity: disabling signs it out everywhere, and re-enabling
// kills any session a sign-in racing with the disabling may have made; it
// also spends every reset code mailed to the identity. API keys and
// machine clients the identity created are kept, but while it is disabled
// they do not work: the exchange refuses the keys and the clients' access
// tokens, and the token endpoint refuses the clients (see
// AuthenticateClient). Setting the status it already has changes nothing.
// ErrForbidden unless the principal is staff; ErrInvalid for an unknown
// status or for staff disabling themselves; ErrNotFound if there is no such
// identity.
func (s *Service) SetIdentityStatus(ctx context.Context, p Principal, id string, status IdentityStatus, ip string) (Identity, error) {
	switch {
	case !p.Staff:
		return Identity{}, fmt.Errorf("set identity status: %w", ErrForbidden)
	case !status.Valid():
		return Identity{}, NewError(ErrInvalid, `status must be "active" or "disabled"`)
	case id == p.IdentityID && status != StatusActive:
		return Identity{}, NewError(ErrInvalid, "staff cannot disable themselves")
	}
	cur, err := s.store.GetIdentity(ctx, id)
	if err != nil {
		return Identity{}, fmt.Errorf("set identity status: %w", err)
	}
	if cur.Status == status {
		return cur, nil
	}
	now := s.now()
	if err := s.store.SetIdentityStatus(ctx, id, status, now); err != nil {
		return Identity{}, fmt.Errorf("set identity status: %w", err)
	}
	n, err := s.store.RevokeIdentitySessions(ctx, id, now)
	if err != nil {
		return Identity{}, fmt.Errorf("set identity status: revoke sessions: %w", err)
	}
	// Reset codes mailed before the disabling must not outlive it: they
	// would work again once the identity is re-enabled.
	if _, err := s.store.BurnPasswordResets(ctx, id, now); err != nil {
		return Identity{}, fmt.Errorf("set identity status: burn reset codes: %w", err)
	}
	kind := "identity.disabled"
	if status == StatusActive {
		kind = "identity.enabled"
	}
	s.audit(ctx, AuditEvent{Kind: kind, ActorID: p.IdentityID, IP: cleanIP(ip),
		Detail: map[string]string{"identity": id, "sessions_revoked": fmt.Sprint(n)}})
	i, err := s.store.GetIdentity(ctx, id)
	if err != nil {
		return Identity{}, fmt.Errorf("set identity status: %w", err)
	}
	return i, nil
}

// creatorActive returns an error wrapping ErrUnauthenticated unless the
// identity that made a credential (an API key or a machine client) is
// active: a disabled
// identity's credentials stay, but do not work until it is re-enabled.
func (s *Service) creatorActive(ctx context.Context, identityID string) error {
	i, err := s.store.GetIdentity(ctx, identityID)
	switch {
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("creator unknown: %w", ErrUnauthenticated)
	case err != nil:
		return fmt.Errorf("creator: %w", err)
	}
	if i.Status != StatusActive {
		return fmt.Errorf("creator disabled: %w", ErrUnauthenticated)
	}
	return nil
}
