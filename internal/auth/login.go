package auth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// LoginRequest is a password sign-in.
type LoginRequest struct {
	Email    string
	Password string
	// IP is the client address; an unparsable one is treated as unknown.
	IP string
	// UserAgent is recorded on the session, truncated to MaxUserAgentLen.
	UserAgent string
}

// NewSession is a session just made and its token, which exists nowhere
// else: the caller sets it as a cookie.
type NewSession struct {
	Token   string
	Session Session
}

// LoginResult is the outcome of a correct password: a session, or, when
// the identity has a second factor, a challenge to answer with
// LoginSecondFactor.
type LoginResult struct {
	Session            *NewSession
	Challenge          string
	ChallengeExpiresAt time.Time
}

// Login checks an e-mail address and password. Wrong ones, unknown
// addresses and disabled identities are all ErrUnauthenticated, after the
// same argon2id work; throttled attempts are a *ThrottledError and are not
// checked at all.
func (s *Service) Login(ctx context.Context, req LoginRequest) (LoginResult, error) {
	ip, ua := cleanIP(req.IP), truncateUTF8(req.UserAgent, MaxUserAgentLen)
	account := NormalizeEmail(req.Email)
	if err := s.checkThrottle(ctx, account, ip); err != nil {
		s.o.Logger.InfoContext(ctx, "login throttled", "ip", ip, "error", err)
		return LoginResult{}, err
	}
	id, err := s.store.GetIdentityByEmail(ctx, account)
	switch {
	case errors.Is(err, ErrNotFound):
		_, _, _ = s.o.Hasher.Verify(s.dummyHash, req.Password)
		return LoginResult{}, s.loginFailed(ctx, account, ip, "", "unknown account")
	case err != nil:
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	stored := id.PasswordHash
	if stored == "" {
		stored = s.dummyHash
	}
	ok, rehash, err := s.o.Hasher.Verify(stored, req.Password)
	if err != nil {
		s.o.Logger.ErrorContext(ctx, "stored password hash unusable", "identity", id.ID, "error", err)
		ok = false
	}
	if !ok || id.PasswordHash == "" {
		return LoginResult{}, s.loginFailed(ctx, account, ip, id.ID, "wrong password")
	}
	if id.Status != StatusActive {
		s.audit(ctx, AuditEvent{Kind: "login.disabled", ActorID: id.ID, IP: ip})
		return LoginResult{}, fmt.Errorf("login: identity disabled: %w", ErrUnauthenticated)
	}
	if rehash {
		s.rehash(ctx, id.ID, req.Password)
	}
	if err := s.store.ClearLoginFailures(ctx, account, ip); err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	if has, err := s.hasTOTP(ctx, id.ID); err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	} else if has {
		return s.newChallenge(ctx, id, ip, ua)
	}
	ns, err := s.createSession(ctx, id.ID, ip, ua, "password")
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Session: &ns}, nil
}

func (s *Service) loginFailed(ctx context.Context, account, ip, identityID, reason string) error {
	if err := s.recordFailure(ctx, account, ip, identityID); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "login.failed", ActorID: identityID, IP: ip,
		Detail: map[string]string{"account": account, "reason": reason}})
	return fmt.Errorf("login: %s: %w", reason, ErrUnauthenticated)
}

// rehash replaces a verified password's hash by one with the current
// parameters. A failure is logged: the sign-in itself succeeded.
func (s *Service) rehash(ctx context.Context, identityID, password string) {
	h, err := s.o.Hasher.Hash(password)
	if err == nil {
		err = s.store.UpdatePasswordHash(ctx, identityID, h, s.now())
	}
	if err != nil {
		s.o.Logger.WarnContext(ctx, "rehash password", "identity", identityID, "error", err)
	}
}

func (s *Service) newChallenge(ctx context.Context, id Identity, ip, ua string) (LoginResult, error) {
	now := s.now()
	token, hash := GenerateToken()
	c, err := s.store.CreateLoginChallenge(ctx, LoginChallenge{
		ID: NewID(LoginChallengeIDPrefix, now), IdentityID: id.ID, TokenHash: hash,
		IP: ip, UserAgent: ua, CreatedAt: now, ExpiresAt: now.Add(s.o.ChallengeLifetime),
	})
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "login.challenged", ActorID: id.ID, IP: ip})
	return LoginResult{Challenge: token, ChallengeExpiresAt: c.ExpiresAt}, nil
}

// SecondFactorRequest answers a sign-in challenge with a TOTP code or a
// recovery code (exactly one).
type SecondFactorRequest struct {
	Challenge    string
	Code         string
	RecoveryCode string
	IP           string
}

// LoginSecondFactor completes a challenged sign-in. A wrong code counts
// as a failed sign-in for throttling and for the challenge, which dies
// after ChallengeMaxAttempts wrong codes.
func (s *Service) LoginSecondFactor(ctx context.Context, req SecondFactorRequest) (NewSession, error) {
	ip := cleanIP(req.IP)
	hash, err := HashToken(req.Challenge)
	if err != nil {
		return NewSession{}, fmt.Errorf("second factor: %w", ErrUnauthenticated)
	}
	c, err := s.store.GetLoginChallenge(ctx, hash)
	switch {
	case errors.Is(err, ErrNotFound):
		return NewSession{}, fmt.Errorf("second factor: unknown challenge: %w", ErrUnauthenticated)
	case err != nil:
		return NewSession{}, fmt.Errorf("second factor: %w", err)
	}
	now := s.now()
	if c.UsedAt != nil || !now.Before(c.ExpiresAt) || c.Attempts >= s.o.ChallengeMaxAttempts {
		return NewSession{}, fmt.Errorf("second factor: challenge used or expired: %w", ErrUnauthenticated)
	}
	id, err := s.store.GetIdentity(ctx, c.IdentityID)
	if err != nil {
		return NewSession{}, fmt.Errorf("second factor: %w", err)
	}
	if err := s.checkThrottle(ctx, id.EmailNorm, ip); err != nil {
		return NewSession{}, err
	}
	var ok bool
	switch {
	case req.Code != "" && req.RecoveryCode == "":
		ok, err = s.verifyTOTP(ctx, id.ID, req.Code)
	case req.RecoveryCode != "" && req.Code == "":
		ok, err = s.useRecoveryCode(ctx, id.ID, req.RecoveryCode)
	default:
		return NewSession{}, NewError(ErrInvalid, "give either a code or a recovery code")
	}
	if err != nil {
		return NewSession{}, fmt.Errorf("second factor: %w", err)
	}
	if !ok {
		if _, err := s.store.FailLoginChallenge(ctx, c.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return NewSession{}, fmt.Errorf("second factor: %w", err)
		}
		return NewSession{}, s.loginFailed(ctx, id.EmailNorm, ip, id.ID, "wrong second factor")
	}
	if err := s.store.UseLoginChallenge(ctx, c.ID, now); err != nil {
		if errors.Is(err, ErrNotFound) {
			return NewSession{}, fmt.Errorf("second factor: challenge used concurrently: %w", ErrUnauthenticated)
		}
		return NewSession{}, fmt.Errorf("second factor: %w", err)
	}
	if id.Status != StatusActive {
		return NewSession{}, fmt.Errorf("second factor: identity disabled: %w", ErrUnauthenticated)
	}
	method := "totp"
	if req.RecoveryCode != "" {
		method = "recovery_code"
	}
	return s.createSession(ctx, id.ID, c.IP, c.UserAgent, method)
}

func (s *Service) createSession(ctx context.Context, identityID, ip, ua, method string) (NewSession, error) {
	now := s.now()
	token, hash := GenerateToken()
	ses, err := s.store.CreateSession(ctx, Session{
		ID: NewID(SessionIDPrefix, now), IdentityID: identityID, TokenHash: hash,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.o.SessionAbsoluteLifetime),
		IdleExpiresAt: now.Add(min(s.o.SessionIdleLifetime, s.o.SessionAbsoluteLifetime)),
		UserAgent:     ua,
		IP:            ip,
	})
	if err != nil {
		return NewSession{}, fmt.Errorf("create session: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "login.succeeded", ActorID: identityID, IP: ip,
		Detail: map[string]string{"session": ses.ID, "method": method}})
	return NewSession{Token: token, Session: ses}, nil
}

// cleanIP returns ip in canonical form, or "" if it does not parse.
func cleanIP(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	return a.WithZone("").Unmap().String()
}
