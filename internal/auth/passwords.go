package auth

import (
	"context"
	"fmt"
)

// ChangePassword replaces the principal's password after checking the
// current one, makes every reset code mailed to it unusable, and revokes
// its other sessions. A wrong current password is
// ErrUnauthenticated and counts as a failed sign-in for throttling; a new
// one outside the policy is ErrInvalid.
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next, ip string) error {
	ip = cleanIP(ip)
	id, err := s.store.GetIdentity(ctx, p.IdentityID)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	limits := s.signinLimits(id.EmailNorm, ip)
	counts, err := s.charge(ctx, limits)
	if err != nil {
		return err
	}
	ok := false
	if id.PasswordHash != "" {
		var verr error
		if err := s.hashes.run(ctx, func() { ok, _, verr = s.o.Hasher.Verify(id.PasswordHash, current) }); err != nil {
			s.settle(ctx, limits, nil)
			return fmt.Errorf("change password: %w", err)
		}
		if verr != nil {
			s.o.Logger.ErrorContext(ctx, "stored password hash unusable", "identity", id.ID, "error", verr)
		}
	}
	if !ok {
		s.noteFailure(ctx, id.EmailNorm, ip, id.ID, counts)
		return fmt.Errorf("change password: wrong current password: %w", ErrUnauthenticated)
	}
	s.settle(ctx, limits, nil)
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if err := s.store.UpdatePasswordHash(ctx, id.ID, hash, s.now()); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	// A reset code mailed before the change would undo it.
	if _, err := s.store.BurnPasswordResets(ctx, id.ID, s.now()); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if err := s.revokeOtherSessions(ctx, id.ID, p.SessionID); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "password.changed", ActorID: id.ID, IP: ip})
	return nil
}
