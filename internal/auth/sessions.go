package auth

import (
	"context"
	"errors"
	"fmt"
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

// Logout revokes the session of a token. An unknown or malformed token is
// ErrUnauthenticated; an already revoked one is not an error.
func (s *Service) Logout(ctx context.Context, token string, ip string) error {
	hash, err := HashToken(token)
	if err != nil {
		return fmt.Errorf("logout: %w", ErrUnauthenticated)
	}
	ses, err := s.store.GetSessionByTokenHash(ctx, hash)
	switch {
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("logout: %w", ErrUnauthenticated)
	case err != nil:
		return fmt.Errorf("logout: %w", err)
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
