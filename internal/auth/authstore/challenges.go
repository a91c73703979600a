package authstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

const challengeColumns = `id, identity_id, token_hash, ip, user_agent, created_at, expires_at, attempts, used_at`

func scanChallenge(r rowScanner) (auth.LoginChallenge, error) {
	var (
		c                auth.LoginChallenge
		hash             string
		created, expires int64
		used             sql.NullInt64
	)
	if err := r.Scan(&c.ID, &c.IdentityID, &hash, &c.IP, &c.UserAgent, &created, &expires, &c.Attempts, &used); err != nil {
		return auth.LoginChallenge{}, err
	}
	h, err := hex.DecodeString(hash)
	if err != nil {
		return auth.LoginChallenge{}, fmt.Errorf("login challenge %s: stored token hash: %w", c.ID, err)
	}
	c.TokenHash = h
	c.CreatedAt, c.ExpiresAt, c.UsedAt = fromDB(created), fromDB(expires), fromNullDB(used)
	return c, nil
}

// CreateLoginChallenge implements auth.Store.
func (s *Store) CreateLoginChallenge(ctx context.Context, c auth.LoginChallenge) (auth.LoginChallenge, error) {
	if err := c.Validate(); err != nil {
		return auth.LoginChallenge{}, fmt.Errorf("create login challenge: %w", err)
	}
	c.CreatedAt, c.ExpiresAt = stored(c.CreatedAt), stored(c.ExpiresAt)
	c.TokenHash = append([]byte(nil), c.TokenHash...)
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO login_challenges (`+challengeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, NULL)`,
		c.ID, c.IdentityID, hex.EncodeToString(c.TokenHash), c.IP, c.UserAgent, toDB(c.CreatedAt), toDB(c.ExpiresAt))
	if err != nil {
		return auth.LoginChallenge{}, insertError("create login challenge", err)
	}
	return c, nil
}

// GetLoginChallenge implements auth.Store.
func (s *Store) GetLoginChallenge(ctx context.Context, tokenHash []byte) (auth.LoginChallenge, error) {
	c, err := scanChallenge(s.db.QueryRowContext(ctx,
		`SELECT `+challengeColumns+` FROM login_challenges WHERE token_hash = $1`, hex.EncodeToString(tokenHash)))
	if err != nil {
		return auth.LoginChallenge{}, notFound("get login challenge", err)
	}
	return c, nil
}

// FailLoginChallenge implements auth.Store.
func (s *Store) FailLoginChallenge(ctx context.Context, id string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx,
		`UPDATE login_challenges SET attempts = attempts + 1 WHERE id = $1 AND used_at IS NULL RETURNING attempts`, id).Scan(&n)
	if err != nil {
		return 0, notFound("fail login challenge", err)
	}
	return n, nil
}

// UseLoginChallenge implements auth.Store.
func (s *Store) UseLoginChallenge(ctx context.Context, id string, at time.Time) error {
	return s.execOne(ctx, "use login challenge",
		`UPDATE login_challenges SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2`, id, toDB(at))
}
