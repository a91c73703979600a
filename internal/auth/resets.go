package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// RequestPasswordReset queues a mail with a reset code to the address if
// it belongs to an active identity, within Options.ResetLimits. The answer
// and the work are the same whether or not an identity has the address:
// both count the recent requests, look the address up, make a code and its
// hash, store one request record and one audit event; only the mail, queued
// and sent in the background, differs. A request over the per-address
// limit is recorded but sends nothing, and is not an error either.
// ErrInvalid for a malformed address; ErrThrottled, with a *ThrottledError
// saying how long to wait, once the client address has made
// ResetLimits.PerClient requests in the window (an unknown address, "", has
// no such limit).
func (s *Service) RequestPasswordReset(ctx context.Context, email, ip string) error {
	if err := ValidateEmail(email); err != nil {
		return err
	}
	ip, account, now, lim := cleanIP(ip), NormalizeEmail(email), s.now(), s.o.ResetLimits
	// The window is (now−Window, now]: a request made exactly Window ago no
	// longer counts, so a client that waits its Retry-After gets through.
	st, err := s.store.PasswordResetStats(ctx, account, ip, now.Add(-lim.Window+time.Microsecond))
	if err != nil {
		return fmt.Errorf("request password reset: %w", err)
	}
	if ip != "" && st.IP >= lim.PerClient {
		wait := max(st.IPOldest.Add(lim.Window).Sub(now), time.Second)
		return &Error{Code: ErrThrottled, Message: "too many password reset requests from this address; try again after the time in Retry-After",
			Err: &ThrottledError{RetryAfter: wait}}
	}
	id, err := s.store.GetIdentityByEmail(ctx, email)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("request password reset: %w", err)
	}
	outcome := "unknown"
	switch {
	case err != nil:
		id = Identity{}
	case id.Status != StatusActive:
		outcome, id = "disabled", Identity{}
	case st.Account >= lim.PerAddress:
		outcome = "suppressed"
	default:
		outcome = "mailed"
	}
	r, token, err := s.createReset(ctx, id.ID, account, ip, outcome == "suppressed")
	if err != nil {
		return fmt.Errorf("request password reset: %w", err)
	}
	if outcome == "mailed" {
		s.queueResetMail(ctx, id.Email, token)
	}
	s.audit(ctx, AuditEvent{Kind: "password.reset_requested", ActorID: id.ID, IP: ip,
		Detail: map[string]string{"reset": r.ID, "outcome": outcome}})
	return nil
}

// mailNewReset mails a reset code to an identity a staff member created
// without a password, outside the limits of RequestPasswordReset: the
// caller is authenticated, and each identity is created once.
func (s *Service) mailNewReset(ctx context.Context, id Identity, ip string) error {
	ip = cleanIP(ip)
	r, token, err := s.createReset(ctx, id.ID, id.EmailNorm, ip, false)
	if err != nil {
		return err
	}
	s.queueResetMail(ctx, id.Email, token)
	s.audit(ctx, AuditEvent{Kind: "password.reset_requested", ActorID: id.ID, IP: ip,
		Detail: map[string]string{"reset": r.ID, "outcome": "mailed"}})
	return nil
}

// createReset makes a reset code and stores its record; identityID is
// empty for an address no active identity has.
func (s *Service) createReset(ctx context.Context, identityID, account, ip string, suppressed bool) (PasswordReset, string, error) {
	now := s.now()
	token, hash := GenerateToken()
	r, err := s.store.CreatePasswordReset(ctx, PasswordReset{
		ID: NewID(PasswordResetIDPrefix, now), IdentityID: identityID, Account: truncateUTF8(account, MaxAccountKeyLen), IP: ip,
		TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(s.o.ResetTokenLifetime), Suppressed: suppressed,
	})
	if err != nil {
		return PasswordReset{}, "", err
	}
	return r, token, nil
}

func (s *Service) queueResetMail(ctx context.Context, to, token string) {
	link := s.o.ResetURL + "#reset_code=" + token
	s.mail.enqueue(ctx, Mail{
		To:      to,
		Subject: "Reset your Portico password",
		Body: "Someone asked to reset the password of this account. To choose a new password, open\n\n" + link +
			"\n\nwithin " + s.o.ResetTokenLifetime.String() + ". If it was not you, ignore this mail; your password stays as it is.\n",
	})
}

// ResetPassword sets a new password with a reset code. In one step the
// code is spent, every other code mailed to the identity stops working, the
// password is replaced and every session of the identity is revoked.
// ErrUnauthenticated for an unknown, used, expired or suppressed code, and
// for a code whose identity is disabled (disabling also spends its codes);
// ErrInvalid for a password outside the policy (the code stays usable).
func (s *Service) ResetPassword(ctx context.Context, token, next, ip string) error {
	hash, err := HashToken(token)
	if err != nil {
		return fmt.Errorf("reset password: %w", ErrUnauthenticated)
	}
	// Hashed in a slot of the hash gate: a bogus code must not buy
	// unbounded argon2id work.
	newHash, err := s.hashPassword(ctx, next)
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	r, err := s.store.CompletePasswordReset(ctx, hash, newHash, s.now())
	switch {
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("reset password: %w", ErrUnauthenticated)
	case err != nil:
		return fmt.Errorf("reset password: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "password.reset", ActorID: r.IdentityID, IP: cleanIP(ip)})
	return nil
}

// PrunePasswordResets deletes the records of reset requests that have
// both expired and left the limits' window, and returns how many.
func (s *Service) PrunePasswordResets(ctx context.Context) (int64, error) {
	return s.store.PrunePasswordResets(ctx, s.now().Add(-max(s.o.ResetLimits.Window, s.o.ResetTokenLifetime)))
}
