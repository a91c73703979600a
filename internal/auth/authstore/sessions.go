package authstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

const sessionColumns = `id, identity_id, token_hash, created_at, last_seen_at, expires_at, idle_expires_at, user_agent, ip, revoked_at`

func scanSession(r rowScanner) (auth.Session, error) {
	var (
		s                                   auth.Session
		tokenHash                           string
		created, lastSeen, expires, idleExp int64
		revoked                             sql.NullInt64
	)
	if err := r.Scan(&s.ID, &s.IdentityID, &tokenHash, &created, &lastSeen, &expires, &idleExp, &s.UserAgent, &s.IP, &revoked); err != nil {
		return auth.Session{}, err
	}
	h, err := hex.DecodeString(tokenHash)
	if err != nil {
		return auth.Session{}, fmt.Errorf("session %s: stored token hash: %w", s.ID, err)
	}
	s.TokenHash = h
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.IdleExpiresAt = fromDB(created), fromDB(lastSeen), fromDB(expires), fromDB(idleExp)
	s.RevokedAt = fromNullDB(revoked)
	return s, nil
}

// CreateSession implements auth.Store.
func (s *Store) CreateSession(ctx context.Context, ses auth.Session) (auth.Session, error) {
	if err := ses.Validate(); err != nil {
		return auth.Session{}, fmt.Errorf("create session: %w", err)
	}
	ses.CreatedAt, ses.LastSeenAt = stored(ses.CreatedAt), stored(ses.LastSeenAt)
	ses.ExpiresAt, ses.IdleExpiresAt = stored(ses.ExpiresAt), stored(ses.IdleExpiresAt)
	ses.TokenHash = append([]byte(nil), ses.TokenHash...)
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)`,
		ses.ID, ses.IdentityID, hex.EncodeToString(ses.TokenHash), toDB(ses.CreatedAt), toDB(ses.LastSeenAt),
		toDB(ses.ExpiresAt), toDB(ses.IdleExpiresAt), ses.UserAgent, ses.IP)
	if err != nil {
		return auth.Session{}, insertError("create session", err)
	}
	return ses, nil
}

// GetSessionByTokenHash implements auth.Store.
func (s *Store) GetSessionByTokenHash(ctx context.Context, tokenHash []byte) (auth.Session, error) {
	ses, err := scanSession(s.db.QueryRowContext(ctx,
		`SELECT `+sessionColumns+` FROM sessions WHERE token_hash = $1`, hex.EncodeToString(tokenHash)))
	if err != nil {
		return auth.Session{}, notFound("get session", err)
	}
	return ses, nil
}

// TouchSession implements auth.Store. Concurrent touches may arrive out of
// order, so LastSeenAt only moves forward; a session that was no longer
// active at lastSeen cannot be revived.
func (s *Store) TouchSession(ctx context.Context, id string, lastSeen, idleExpiresAt time.Time) error {
	return s.execOne(ctx, "touch session", `UPDATE sessions SET
		last_seen_at = CASE WHEN last_seen_at > $2 THEN last_seen_at ELSE $2 END,
		idle_expires_at = CASE WHEN expires_at < $3 THEN expires_at ELSE $3 END
		WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2 AND idle_expires_at > $2`,
		id, toDB(lastSeen), toDB(idleExpiresAt))
}

// RevokeSession implements auth.Store.
func (s *Store) RevokeSession(ctx context.Context, id string, at time.Time) error {
	return s.execOne(ctx, "revoke session",
		`UPDATE sessions SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, toDB(at))
}

// RevokeIdentitySessions implements auth.Store.
func (s *Store) RevokeIdentitySessions(ctx context.Context, identityID string, at time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE sessions SET revoked_at = $2 WHERE identity_id = $1 AND revoked_at IS NULL`, identityID, toDB(at))
	if err != nil {
		return 0, fmt.Errorf("revoke identity sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("revoke identity sessions: %w", err)
	}
	return n, nil
}

// ListActiveSessions implements auth.Store.
func (s *Store) ListActiveSessions(ctx context.Context, identityID string, now time.Time, page auth.PageRequest) (auth.Page[auth.Session], error) {
	return listQuery[auth.Session]{
		what:       "list active sessions",
		selectSQL:  `SELECT ` + sessionColumns + ` FROM sessions`,
		where:      `identity_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND idle_expires_at > $2`,
		args:       []any{identityID, toDB(now)},
		timeColumn: "created_at",
		idPrefix:   auth.SessionIDPrefix,
		scan:       func(r *sql.Rows) (auth.Session, error) { return scanSession(r) },
		cursor:     func(s auth.Session) auth.Cursor { return auth.Cursor{At: s.CreatedAt, ID: s.ID} },
	}.run(ctx, s.db, page)
}

// GetSession implements auth.Store.
func (s *Store) GetSession(ctx context.Context, id string) (auth.Session, error) {
	ses, err := scanSession(s.db.QueryRowContext(ctx,
		`SELECT `+sessionColumns+` FROM sessions WHERE id = $1`, id))
	if err != nil {
		return auth.Session{}, notFound("get session", err)
	}
	return ses, nil
}

// GetActiveSession implements auth.Store.
func (s *Store) GetActiveSession(ctx context.Context, id string, now time.Time) (auth.Session, error) {
	ses, err := scanSession(s.db.QueryRowContext(ctx,
		`SELECT s.id, s.identity_id, s.token_hash, s.created_at, s.last_seen_at, s.expires_at, s.idle_expires_at,
			s.user_agent, s.ip, s.revoked_at
		FROM sessions s JOIN identities i ON i.id = s.identity_id
		WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND s.idle_expires_at > $2
			AND i.status = $3`,
		id, toDB(now), string(auth.StatusActive)))
	if err != nil {
		return auth.Session{}, notFound("get active session", err)
	}
	return ses, nil
}
