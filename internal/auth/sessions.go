package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// AuthenticateSession returns the principal of a session token and its
// session, recording the use. ErrUnauthenticated if the token is
// malformed, unknown, revoked or expired, or its identity is disabled.
//
// A use moves the idle expiry only when the last recorded use is older
// than a thirtieth of the idle lifetime (a minute by default), so busy
// sessions do not write on every request.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (Principal, Session, error) {
	ses, err := s.activeSession(ctx, token)
	if err != nil {
		return Principal{}, Session{}, err
	}
	p, err := s.principalFor(ctx, ses.IdentityID, ses.ID)
	if err != nil {
		return Principal{}, Session{}, fmt.Errorf("authenticate session: %w", err)
	}
	return p, ses, nil
}

func (s *Service) activeSession(ctx context.Context, token string) (Session, error) {
	hash, err := HashToken(token)
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", ErrUnauthenticated)
	}
	ses, err := s.store.GetSessionByTokenHash(ctx, hash)
	switch {
	case errors.Is(err, ErrNotFound):
		return Session{}, fmt.Errorf("session: unknown: %w", ErrUnauthenticated)
	case err != nil:
		return Session{}, fmt.Errorf("session: %w", err)
	}
	now := s.now()
	if !ses.Active(now) {
		return Session{}, fmt.Errorf("session: revoked or expired: %w", ErrUnauthenticated)
	}
	id, err := s.store.GetIdentity(ctx, ses.IdentityID)
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	if id.Status != StatusActive {
		return Session{}, fmt.Errorf("session: identity disabled: %w", ErrUnauthenticated)
	}
	if now.Sub(ses.LastSeenAt) >= s.o.SessionIdleLifetime/30 {
		idle := now.Add(s.o.SessionIdleLifetime)
		switch err := s.store.TouchSession(ctx, ses.ID, now, idle); {
		case errors.Is(err, ErrNotFound):
			return Session{}, fmt.Errorf("session: revoked meanwhile: %w", ErrUnauthenticated)
		case err != nil:
			return Session{}, fmt.Errorf("session: %w", err)
		}
		ses.LastSeenAt, ses.IdleExpiresAt = now, idle
		if idle.After(ses.ExpiresAt) {
			ses.IdleExpiresAt = ses.ExpiresAt
		}
	}
	return ses, nil
}

// AuthenticateToken returns the principal of a verified internal token's
// claims, as the HTTP layer sees them on a user-facing request the gateway
// forwards: IdentityID is the subject, SessionID the "sid" claim, Orgs and
// Staff as the token says. Only a person signed in with a session is a
// principal: other kinds of caller are ErrForbidden. An internal token
// lives minutes while a session can end at any moment, so the session is
// looked up on every call: ErrUnauthenticated unless it is still active,
// belongs to the subject, and its identity is active.
func (s *Service) AuthenticateToken(ctx context.Context, c *identity.Claims) (Principal, error) {
	if c.Kind != identity.KindUser {
		return Principal{}, &Error{Code: ErrForbidden, Message: "only a person signed in with a session may call this endpoint",
			Err: fmt.Errorf("authenticate token: principal kind %q", c.Kind)}
	}
	if c.CredentialID == "" || c.Subject == "" {
		return Principal{}, fmt.Errorf("authenticate token: user token without sub or sid: %w", ErrUnauthenticated)
	}
	ses, err := s.store.GetActiveSession(ctx, c.CredentialID, s.now())
	switch {
	case errors.Is(err, ErrNotFound):
		return Principal{}, fmt.Errorf("authenticate token: session ended: %w", ErrUnauthenticated)
	case err != nil:
		return Principal{}, fmt.Errorf("authenticate token: %w", err)
	case ses.IdentityID != c.Subject:
		return Principal{}, fmt.Errorf("authenticate token: session of another identity: %w", ErrUnauthenticated)
	}
	return Principal{IdentityID: c.Subject, SessionID: ses.ID, Orgs: c.Orgs, Staff: c.Staff}, nil
}

// Logout revokes the principal's session. A principal without one is
// ErrUnauthenticated; an already revoked session is not an error.
func (s *Service) Logout(ctx context.Context, p Principal, ip string) error {
	if p.SessionID == "" {
		return fmt.Errorf("logout: no session: %w", ErrUnauthenticated)
	}
	ses, err := s.store.GetSession(ctx, p.SessionID)
	switch {
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("logout: unknown session: %w", ErrUnauthenticated)
	case err != nil:
		return fmt.Errorf("logout: %w", err)
	case ses.IdentityID != p.IdentityID:
		return fmt.Errorf("logout: session of another identity: %w", ErrUnauthenticated)
	}
	if err := s.store.RevokeSession(ctx, ses.ID, s.now()); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "session.revoked", ActorID: ses.IdentityID, IP: cleanIP(ip),
		Detail: map[string]string{"session": ses.ID, "reason": "logout"}})
	return nil
}

// ListSessions returns one page of the principal's active sessions.
func (s *Service) ListSessions(ctx context.Context, p Principal, page PageRequest) (Page[Session], error) {
	return s.store.ListActiveSessions(ctx, p.IdentityID, s.now(), page)
}

// RevokeSession revokes one of the principal's own sessions. ErrNotFound
// if it has no such session.
func (s *Service) RevokeSession(ctx context.Context, p Principal, sessionID string) error {
	ses, err := s.store.GetSession(ctx, sessionID)
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	if ses.IdentityID != p.IdentityID {
		return fmt.Errorf("revoke session: %w", ErrNotFound)
	}
	if err := s.store.RevokeSession(ctx, ses.ID, s.now()); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: "session.revoked", ActorID: p.IdentityID, Detail: map[string]string{"session": ses.ID}})
	return nil
}
