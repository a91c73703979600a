package auth

import (
	"context"
	"errors"
	"fmt"
)

// ChangePassword replaces the principal's password after checking the
// current one, and revokes its other sessions. A wrong current password is
// ErrUnauthenticated and counts as a failed sign-in for throttling; a new
// one outside the policy is ErrInvalid.
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next, ip string) error {
	ip = cleanIP(ip)
	id, err := s.store.GetIdentity(ctx, p.IdentityID)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if err := s.checkThrottle(ctx, id.EmailNorm, ip); err != nil {
		return err
	}
	ok := false
	if id.PasswordHash != "" {
		if ok, _, err = s.o.Hasher.Verify(id.PasswordHash, current); err != nil {
			s.o.Logger.ErrorContext(ctx, "stored password hash unusable", "identity", id.ID, "error", err)
		}
	}
	if !ok {
		if err := s.recordFailure(ctx, id.EmailNorm, ip, id.ID); err != nil {
			return fmt.Errorf("change password: %w", err)
		}
		return fmt.Errorf("change password: wrong current password: %w", ErrUnauthenticated)
	}
	hash, err := s.o.Hasher.Hash(next)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if err := s.store.UpdatePasswordHash(ctx, id.ID, hash, s.now()); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if err := s.revokeOtherSessions(ctx, id.ID, p.SessionID); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "password.changed", ActorID: id.ID, IP: ip})
	return nil
}

// RequestPasswordReset mails a reset link to the address if it belongs to
// an active identity. It says nothing about whether it does: unknown
// addresses are not an error.
func (s *Service) RequestPasswordReset(ctx context.Context, email, ip string) error {
	id, err := s.store.GetIdentityByEmail(ctx, email)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("request password reset: %w", err)
	}
	if id.Status != StatusActive {
		return nil
	}
	now := s.now()
	token, hash := GenerateToken()
	if _, err := s.store.CreatePasswordReset(ctx, PasswordReset{
		ID: NewID(PasswordResetIDPrefix, now), IdentityID: id.ID, TokenHash: hash,
		CreatedAt: now, ExpiresAt: now.Add(s.o.ResetTokenLifetime),
	}); err != nil {
		return fmt.Errorf("request password reset: %w", err)
	}
	link := s.o.ResetURL + "#reset_code=" + token
	if err := s.o.Mailer.Send(ctx, Mail{
		To:      id.Email,
		Subject: "Reset your Portico password",
		Body: "Someone asked to reset the password of this account. To choose a new password, open\n\n" + link +
			"\n\nwithin " + s.o.ResetTokenLifetime.String() + ". If it was not you, ignore this mail; your password stays as it is.\n",
	}); err != nil {
		return fmt.Errorf("request password reset: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "password.reset_requested", ActorID: id.ID, IP: cleanIP(ip)})
	return nil
}

// ResetPassword sets a new password with a reset token, which then stops
// working, and revokes every session of the identity. ErrUnauthenticated
// for an unknown, used or expired token; ErrInvalid for a password outside
// the policy (the token stays usable).
func (s *Service) ResetPassword(ctx context.Context, token, next, ip string) error {
	hash, err := HashToken(token)
	if err != nil {
		return fmt.Errorf("reset password: %w", ErrUnauthenticated)
	}
	newHash, err := s.o.Hasher.Hash(next)
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	now := s.now()
	r, err := s.store.UsePasswordReset(ctx, hash, now)
	switch {
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("reset password: %w", ErrUnauthenticated)
	case err != nil:
		return fmt.Errorf("reset password: %w", err)
	}
	if err := s.store.UpdatePasswordHash(ctx, r.IdentityID, newHash, now); err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	if _, err := s.store.RevokeIdentitySessions(ctx, r.IdentityID, now); err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "password.reset", ActorID: r.IdentityID, IP: cleanIP(ip)})
	return nil
}
