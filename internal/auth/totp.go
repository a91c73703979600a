package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: RFC 6238 defaults, which every authenticator app
// supports.
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	// totpSkew is how many steps before and after the current one are
	// accepted, for clocks that drift.
	totpSkew = 1
	// RecoveryCodeCount is how many recovery codes an identity gets.
	RecoveryCodeCount = 10
	// recoveryCodeLen is the number of Crockford base32 characters of a
	// recovery code: 80 bits.
	recoveryCodeLen = 16
)

// TOTPEnrolment is what an authenticator app needs: the secret in base32
// and the otpauth:// URL to show as a QR code. Neither is logged.
type TOTPEnrolment struct {
	Secret string
	URL    string
}

// EnrolTOTP starts TOTP enrolment for the principal, replacing an
// unconfirmed one. ErrConflict if it has a confirmed authenticator.
func (s *Service) EnrolTOTP(ctx context.Context, p Principal) (TOTPEnrolment, error) {
	id, err := s.store.GetIdentity(ctx, p.IdentityID)
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("enrol totp: %w", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: s.o.TOTPIssuer, AccountName: id.Email, Period: totpPeriod, Digits: totpDigits,
		Algorithm: otp.AlgorithmSHA1, SecretSize: 20,
	})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("enrol totp: %w", err)
	}
	err = s.store.PutTOTP(ctx, TOTPCredential{
		IdentityID: id.ID, Secret: s.box.seal([]byte(key.Secret()), []byte(id.ID)), CreatedAt: s.now(),
	})
	switch {
	case errors.Is(err, ErrConflict):
		return TOTPEnrolment{}, &Error{Code: ErrConflict, Message: "TOTP is already confirmed; disable it first", Err: err}
	case err != nil:
		return TOTPEnrolment{}, fmt.Errorf("enrol totp: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "totp.enrolment_started", ActorID: id.ID})
	return TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// ConfirmTOTP finishes enrolment with a code from the app and returns
// RecoveryCodeCount new recovery codes, shown once. The principal's other
// sessions are revoked: from now on every sign-in needs the second factor.
// ErrUnauthenticated for a wrong code; ErrNotFound without a pending
// enrolment.
func (s *Service) ConfirmTOTP(ctx context.Context, p Principal, code string) ([]string, error) {
	c, err := s.store.GetTOTP(ctx, p.IdentityID)
	if err != nil {
		return nil, fmt.Errorf("confirm totp: %w", err)
	}
	if c.ConfirmedAt != nil {
		return nil, NewError(ErrConflict, "TOTP is already confirmed")
	}
	step, ok, err := s.matchTOTP(c, code)
	if err != nil {
		return nil, fmt.Errorf("confirm totp: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("confirm totp: wrong code: %w", ErrUnauthenticated)
	}
	now := s.now()
	if err := s.store.ConfirmTOTP(ctx, p.IdentityID, step, now); err != nil {
		return nil, fmt.Errorf("confirm totp: %w", err)
	}
	codes, err := s.replaceRecoveryCodes(ctx, p.IdentityID)
	if err != nil {
		return nil, fmt.Errorf("confirm totp: %w", err)
	}
	if err := s.revokeOtherSessions(ctx, p.IdentityID, p.SessionID); err != nil {
		return nil, fmt.Errorf("confirm totp: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "totp.enabled", ActorID: p.IdentityID})
	return codes, nil
}

// DisableTOTP removes the principal's authenticator and recovery codes
// after checking a current code. ErrUnauthenticated for a wrong code.
func (s *Service) DisableTOTP(ctx context.Context, p Principal, code string) error {
	ok, err := s.verifyTOTP(ctx, p.IdentityID, code)
	if err != nil {
		return fmt.Errorf("disable totp: %w", err)
	}
	if !ok {
		return fmt.Errorf("disable totp: wrong code: %w", ErrUnauthenticated)
	}
	if err := s.store.DeleteTOTP(ctx, p.IdentityID); err != nil {
		return fmt.Errorf("disable totp: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "totp.disabled", ActorID: p.IdentityID})
	return nil
}

// hasTOTP reports whether an identity has a confirmed authenticator.
func (s *Service) hasTOTP(ctx context.Context, identityID string) (bool, error) {
	c, err := s.store.GetTOTP(ctx, identityID)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("totp: %w", err)
	}
	return c.ConfirmedAt != nil, nil
}

// verifyTOTP checks a code against an identity's confirmed authenticator
// and consumes its time step, so the same code cannot be used twice.
func (s *Service) verifyTOTP(ctx context.Context, identityID, code string) (bool, error) {
	c, err := s.store.GetTOTP(ctx, identityID)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	case c.ConfirmedAt == nil:
		return false, nil
	}
	step, ok, err := s.matchTOTP(c, code)
	if err != nil || !ok {
		return false, err
	}
	switch err := s.store.UseTOTPStep(ctx, identityID, step); {
	case errors.Is(err, ErrConflict):
		return false, nil // replayed
	case err != nil:
		return false, err
	}
	return true, nil
}

// matchTOTP returns the time step, within the allowed skew and after the
// last used one, whose code equals code.
func (s *Service) matchTOTP(c TOTPCredential, code string) (int64, bool, error) {
	code = strings.TrimSpace(code)
	if len(code) != totpDigits.Length() || !isToken(code, "0123456789") {
		return 0, false, nil
	}
	secret, err := s.box.open(c.Secret, []byte(c.IdentityID))
	if err != nil {
		return 0, false, err
	}
	now := s.now().Unix() / totpPeriod
	matched, found := int64(0), false
	for step := now - totpSkew; step <= now+totpSkew; step++ {
		want, err := totp.GenerateCodeCustom(string(secret), time.Unix(step*totpPeriod, 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
		})
		if err != nil {
			return 0, false, fmt.Errorf("totp code: %w", err)
		}
		// Every step is compared, so the time taken says nothing of which matched.
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > c.LastStep && !found {
			matched, found = step, true
		}
	}
	return matched, found, nil
}

func (s *Service) replaceRecoveryCodes(ctx context.Context, identityID string) ([]string, error) {
	codes := make([]string, RecoveryCodeCount)
	hashes := make([][]byte, RecoveryCodeCount)
	for i := range codes {
		var raw [recoveryCodeLen]byte
		_, _ = rand.Read(raw[:]) // crypto/rand.Read never returns an error
		for j := range raw {
			raw[j] = crockford[raw[j]&31]
		}
		c := string(raw[:])
		codes[i] = c[0:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16]
		hashes[i] = hashRecoveryCode(c)
	}
	if err := s.store.ReplaceRecoveryCodes(ctx, identityID, hashes, s.now()); err != nil {
		return nil, err
	}
	return codes, nil
}

// hashRecoveryCode hashes a recovery code after normalising how people
// type it: case, dashes and spaces do not matter. 80 random bits need no
// slow hash.
func hashRecoveryCode(code string) []byte {
	norm := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
	sum := sha256.Sum256([]byte("portico-recovery-code:" + norm))
	return sum[:]
}

func (s *Service) useRecoveryCode(ctx context.Context, identityID, code string) (bool, error) {
	if len(code) > 64 {
		return false, nil
	}
	switch err := s.store.UseRecoveryCode(ctx, identityID, hashRecoveryCode(code), s.now()); {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	s.audit(ctx, AuditEvent{Kind: "totp.recovery_code_used", ActorID: identityID})
	return true, nil
}

// revokeOtherSessions revokes every active session of an identity except
// keep.
func (s *Service) revokeOtherSessions(ctx context.Context, identityID, keep string) error {
	now := s.now()
	var ids []string
	req := PageRequest{Limit: MaxPageLimit}
	for {
		page, err := s.store.ListActiveSessions(ctx, identityID, now, req)
		if err != nil {
			return err
		}
		for _, ses := range page.Items {
			if ses.ID != keep {
				ids = append(ids, ses.ID)
			}
		}
		if page.NextCursor == "" {
			break
		}
		req.Cursor = page.NextCursor
	}
	for _, id := range ids {
		if err := s.store.RevokeSession(ctx, id, now); err != nil {
			return err
		}
	}
	return nil
}
