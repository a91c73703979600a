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
// same argon2id work under the same limit on concurrent hashing (see
// Options.MaxConcurrentHashes: a *BusyError when no slot came free in
// time). Each attempt is counted for throttling before the password is
// checked; throttled attempts are a *ThrottledError and are not checked at
// all.
func (s *Service) Login(ctx context.Context, req LoginRequest) (LoginResult, error) {
	ip, ua := cleanIP(req.IP), truncateUTF8(req.UserAgent, MaxUserAgentLen)
	account := NormalizeEmail(req.Email)
	limits := s.signinLimits(account, ip)
	counts, err := s.charge(ctx, limits)
	if err != nil {
		s.o.Logger.InfoContext(ctx, "login throttled", "ip", ip, "error", err)
		return LoginResult{}, err
	}
	id, ok, rehash, err := s.checkPassword(ctx, account, req.Password)
	if err != nil {
		// Nothing was checked: the attempt was no failure.
		s.settle(ctx, limits, nil)
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	switch {
	case id.ID == "":
		return LoginResult{}, s.loginFailed(ctx, account, ip, "", "unknown account", counts)
	case !ok:
		return LoginResult{}, s.loginFailed(ctx, account, ip, id.ID, "wrong password", counts)
	case id.Status != StatusActive:
		s.audit(ctx, AuditEvent{Kind: "login.disabled", ActorID: id.ID, IP: ip})
		return LoginResult{}, fmt.Errorf("login: identity disabled: %w", ErrUnauthenticated)
	}
	if rehash {
		s.rehash(ctx, id.ID, req.Password)
	}
	has, err := s.hasTOTP(ctx, id.ID)
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	if has {
		// The right password was no failure, but the sign-in is not over:
		// only the attempt's own count is taken back. The failures before
		// it, of the password and of the second factor, stay until the
		// code is right.
		s.settle(ctx, limits, nil)
		return s.newChallenge(ctx, id, ip, ua)
	}
	refund, clear := splitClears(limits)
	s.settle(ctx, refund, clear)
	ns, err := s.createSession(ctx, id.ID, ip, ua, "password")
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Session: &ns}, nil
}

// checkPassword finds the identity of account and checks password against
// its hash in a slot of the hash gate. An unknown account, or an identity
// without a password, is checked against the dummy hash, so that it costs
// the same time and memory and waits for the same slots; ok is false for
// both, and the Identity is zero for an unknown account. The error is the
// gate's (*BusyError, or ctx's) or the store's: nothing was checked.
func (s *Service) checkPassword(ctx context.Context, account, password string) (id Identity, ok, rehash bool, err error) {
	id, err = s.store.GetIdentityByEmail(ctx, account)
	switch {
	case errors.Is(err, ErrNotFound):
		id = Identity{}
	case err != nil:
		return Identity{}, false, false, err
	}
	stored := id.PasswordHash
	if stored == "" {
		stored = s.dummyHash
	}
	var verr error
	if err := s.hashes.run(ctx, func() { ok, rehash, verr = s.o.Hasher.Verify(stored, password) }); err != nil {
		return Identity{}, false, false, err
	}
	if verr != nil {
		s.o.Logger.ErrorContext(ctx, "stored password hash unusable", "identity", id.ID, "error", verr)
		ok = false
	}
	return id, ok && id.PasswordHash != "", rehash, nil
}

// loginFailed audits a failed attempt, whose counts charge returned, and
// returns its error.
func (s *Service) loginFailed(ctx context.Context, account, ip, identityID, reason string, counts map[string]ThrottleCounter) error {
	s.noteFailure(ctx, account, ip, identityID, counts)
	s.audit(ctx, AuditEvent{Kind: "login.failed", ActorID: identityID, IP: ip,
		Detail: map[string]string{"account": account, "reason": reason}})
	return fmt.Errorf("login: %s: %w", reason, ErrUnauthenticated)
}

// rehash replaces a verified password's hash by one with the current
// parameters. A failure is logged: the sign-in itself succeeded.
func (s *Service) rehash(ctx context.Context, identityID, password string) {
	h, err := s.hashPassword(ctx, password)
	if err == nil {
		err = s.store.UpdatePasswordHash(ctx, identityID, h, s.now())
	}
	if err != nil {
		s.o.Logger.WarnContext(ctx, "rehash password", "identity", identityID, "error", err)
	}
}

// newChallenge asks for the second factor of a sign-in whose password was
// right, unless the identity has had ChallengeCap challenges in the
// current ChallengeWindow (a *ThrottledError).
func (s *Service) newChallenge(ctx context.Context, id Identity, ip, ua string) (LoginResult, error) {
	if _, err := s.charge(ctx, []limit{s.challengeLimit(id.ID)}); err != nil {
		s.o.Logger.InfoContext(ctx, "login challenges throttled", "identity", id.ID, "ip", ip, "error", err)
		return LoginResult{}, err
	}
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

// LoginSecondFactor completes a challenged sign-in. Each code is counted
// before it is checked, against the identity's second factor (across
// addresses and challenges; see ThrottleOptions) as well as the keys of a
// password; a wrong one also counts for the challenge, which dies after
// ChallengeMaxAttempts wrong codes. Only a right code clears the pairs and
// the identity's challenges, and it takes back only its own count from the
// second factor's.
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
	if (req.Code == "") == (req.RecoveryCode == "") {
		return NewSession{}, NewError(ErrInvalid, "give either a code or a recovery code")
	}
	limits := append(s.signinLimits(id.EmailNorm, ip), s.secondFactorLimit(id.ID))
	counts, err := s.charge(ctx, limits)
	if err != nil {
		s.o.Logger.InfoContext(ctx, "second factor throttled", "identity", id.ID, "ip", ip, "error", err)
		return NewSession{}, err
	}
	var ok bool
	if req.Code != "" {
		ok, err = s.verifyTOTP(ctx, id.ID, req.Code)
	} else {
		ok, err = s.useRecoveryCode(ctx, id.ID, req.RecoveryCode)
	}
	if err != nil {
		s.settle(ctx, limits, nil)
		return NewSession{}, fmt.Errorf("second factor: %w", err)
	}
	if !ok {
		if _, err := s.store.FailLoginChallenge(ctx, c.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return NewSession{}, fmt.Errorf("second factor: %w", err)
		}
		return NewSession{}, s.loginFailed(ctx, id.EmailNorm, ip, id.ID, "wrong second factor", counts)
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
	// The whole sign-in succeeded: clear the pairs of both steps and the
	// challenges; the second factor's own failures stay counted (see
	// ThrottleOptions), which is what bounds guessing per day.
	refund, clear := splitClears(limits)
	for _, l := range s.signinLimits(id.EmailNorm, c.IP) {
		if l.clears {
			clear = append(clear, l)
		}
	}
	s.settle(ctx, refund, append(clear, s.challengeLimit(id.ID)))
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
