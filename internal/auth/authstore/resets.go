package authstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

// CreatePasswordReset implements auth.Store.
func (s *Store) CreatePasswordReset(ctx context.Context, r auth.PasswordReset) (auth.PasswordReset, error) {
	if err := r.Validate(); err != nil {
		return auth.PasswordReset{}, fmt.Errorf("create password reset: %w", err)
	}
	r.TokenHash = append([]byte(nil), r.TokenHash...)
	r.CreatedAt, r.ExpiresAt = stored(r.CreatedAt), stored(r.ExpiresAt)
	identity := sql.NullString{String: r.IdentityID, Valid: r.IdentityID != ""}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO password_resets (id, identity_id, account, ip, token_hash, created_at, expires_at, used_at, suppressed)
		VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)`,
		r.ID, identity, r.Account, r.IP, hex.EncodeToString(r.TokenHash), toDB(r.CreatedAt), toDB(r.ExpiresAt), r.Suppressed)
	if err != nil {
		return auth.PasswordReset{}, insertError("create password reset", err)
	}
	return r, nil
}

// PasswordResetStats implements auth.Store.
func (s *Store) PasswordResetStats(ctx context.Context, account, ip string, since time.Time) (auth.PasswordResetStats, error) {
	var (
		st     auth.PasswordResetStats
		oldest sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM password_resets WHERE account = $1 AND created_at >= $2 AND NOT suppressed`,
		account, toDB(since)).Scan(&st.Account)
	if err != nil {
		return auth.PasswordResetStats{}, fmt.Errorf("password reset stats: %w", err)
	}
	err = s.db.QueryRowContext(ctx,
		`SELECT COUNT(*), MIN(created_at) FROM password_resets WHERE ip = $1 AND created_at >= $2`,
		ip, toDB(since)).Scan(&st.IP, &oldest)
	if err != nil {
		return auth.PasswordResetStats{}, fmt.Errorf("password reset stats: %w", err)
	}
	if oldest.Valid {
		st.IPOldest = fromDB(oldest.Int64)
	}
	return st, nil
}

// CompletePasswordReset implements auth.Store. The identity's row is
// updated on condition that it is active, after the reset's row: on
// PostgreSQL a concurrent disabling holds that row, and the condition is
// checked again on the row it committed; SQLite runs one writer at a time.
func (s *Store) CompletePasswordReset(ctx context.Context, tokenHash []byte, passwordHash string, at time.Time) (auth.PasswordReset, error) {
	if len(passwordHash) > auth.MaxPasswordHashLen {
		return auth.PasswordReset{}, fmt.Errorf("complete password reset: hash longer than %d bytes: %w", auth.MaxPasswordHashLen, auth.ErrInvalid)
	}
	var r auth.PasswordReset
	err := s.db.InTx(ctx, nil, func(tx *sql.Tx) error {
		var (
			identity         sql.NullString
			hash             string
			created, expires int64
			used             sql.NullInt64
		)
		err := tx.QueryRowContext(ctx, `UPDATE password_resets SET used_at = $2
			WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND NOT suppressed AND identity_id IS NOT NULL
			RETURNING id, identity_id, account, ip, token_hash, created_at, expires_at, used_at, suppressed`,
			hex.EncodeToString(tokenHash), toDB(at)).
			Scan(&r.ID, &identity, &r.Account, &r.IP, &hash, &created, &expires, &used, &r.Suppressed)
		if err != nil {
			return notFound("complete password reset", err)
		}
		if r.TokenHash, err = hex.DecodeString(hash); err != nil {
			return fmt.Errorf("complete password reset: stored hash: %w", err)
		}
		r.IdentityID = identity.String
		r.CreatedAt, r.ExpiresAt, r.UsedAt = fromDB(created), fromDB(expires), fromNullDB(used)
		res, err := tx.ExecContext(ctx, `UPDATE identities SET password_hash = $2, updated_at = $3 WHERE id = $1 AND status = $4`,
			r.IdentityID, passwordHash, toDB(at), string(auth.StatusActive))
		if err != nil {
			return fmt.Errorf("complete password reset: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("complete password reset: %w", err)
		} else if n == 0 {
			return fmt.Errorf("complete password reset: identity not active: %w", auth.ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = $2 WHERE identity_id = $1 AND used_at IS NULL`,
			r.IdentityID, toDB(at)); err != nil {
			return fmt.Errorf("complete password reset: burn other codes: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $2 WHERE identity_id = $1 AND revoked_at IS NULL`,
			r.IdentityID, toDB(at)); err != nil {
			return fmt.Errorf("complete password reset: revoke sessions: %w", err)
		}
		return nil
	})
	if err != nil {
		return auth.PasswordReset{}, err
	}
	return r, nil
}

// BurnPasswordResets implements auth.Store.
func (s *Store) BurnPasswordResets(ctx context.Context, identityID string, at time.Time) (int64, error) {
	return s.execCount(ctx, "burn password resets",
		`UPDATE password_resets SET used_at = $2 WHERE identity_id = $1 AND used_at IS NULL`, identityID, toDB(at))
}

// PrunePasswordResets implements auth.Store.
func (s *Store) PrunePasswordResets(ctx context.Context, before time.Time) (int64, error) {
	return s.execCount(ctx, "prune password resets", `DELETE FROM password_resets WHERE created_at < $1`, toDB(before))
}

// execCount runs a statement and returns how many rows it affected.
func (s *Store) execCount(ctx context.Context, what, query string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}
