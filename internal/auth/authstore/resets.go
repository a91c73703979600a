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
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO password_resets (id, identity_id, token_hash, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, NULL)`,
		r.ID, r.IdentityID, hex.EncodeToString(r.TokenHash), toDB(r.CreatedAt), toDB(r.ExpiresAt))
	if err != nil {
		return auth.PasswordReset{}, insertError("create password reset", err)
	}
	return r, nil
}

// UsePasswordReset implements auth.Store.
func (s *Store) UsePasswordReset(ctx context.Context, tokenHash []byte, at time.Time) (auth.PasswordReset, error) {
	var (
		r                auth.PasswordReset
		hash             string
		created, expires int64
		used             sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx, `UPDATE password_resets SET used_at = $2
		WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
		RETURNING id, identity_id, token_hash, created_at, expires_at, used_at`,
		hex.EncodeToString(tokenHash), toDB(at)).Scan(&r.ID, &r.IdentityID, &hash, &created, &expires, &used)
	if err != nil {
		return auth.PasswordReset{}, notFound("use password reset", err)
	}
	if r.TokenHash, err = hex.DecodeString(hash); err != nil {
		return auth.PasswordReset{}, fmt.Errorf("use password reset: stored hash: %w", err)
	}
	r.CreatedAt, r.ExpiresAt, r.UsedAt = fromDB(created), fromDB(expires), fromNullDB(used)
	return r, nil
}
