package authstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

const refreshColumns = `id, family_id, client_id, subject, scopes, token_hash, created_at, expires_at, used_at, successor_nonce, revoked_at, audiences`

func scanRefreshToken(r rowScanner) (auth.RefreshToken, error) {
	var (
		t                   auth.RefreshToken
		scopes, hash, nonce string
		audiences           string
		created, expires    int64
		used, revoked       sql.NullInt64
	)
	if err := r.Scan(&t.ID, &t.FamilyID, &t.ClientID, &t.Subject, &scopes, &hash, &created, &expires, &used, &nonce, &revoked, &audiences); err != nil {
		return auth.RefreshToken{}, err
	}
	h, err := hex.DecodeString(hash)
	if err != nil {
		return auth.RefreshToken{}, fmt.Errorf("refresh token %s: stored hash: %w", t.ID, err)
	}
	n, err := hex.DecodeString(nonce)
	if err != nil {
		return auth.RefreshToken{}, fmt.Errorf("refresh token %s: stored nonce: %w", t.ID, err)
	}
	if err := json.Unmarshal([]byte(scopes), &t.Scopes); err != nil {
		return auth.RefreshToken{}, fmt.Errorf("refresh token %s: stored scopes: %w", t.ID, err)
	}
	if t.Scopes == nil {
		t.Scopes = []string{}
	}
	if err := json.Unmarshal([]byte(audiences), &t.Audiences); err != nil {
		return auth.RefreshToken{}, fmt.Errorf("refresh token %s: stored audiences: %w", t.ID, err)
	}
	if len(t.Audiences) == 0 {
		t.Audiences = nil
	}
	if len(n) > 0 {
		t.SuccessorNonce = n
	}
	t.TokenHash = h
	t.CreatedAt, t.ExpiresAt = fromDB(created), fromDB(expires)
	t.UsedAt, t.RevokedAt = fromNullDB(used), fromNullDB(revoked)
	return t, nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func insertRefreshToken(ctx context.Context, db execer, t auth.RefreshToken) (auth.RefreshToken, error) {
	if err := t.Validate(); err != nil {
		return auth.RefreshToken{}, fmt.Errorf("store refresh token: %w", err)
	}
	t.Scopes = append([]string{}, t.Scopes...)
	t.TokenHash = append([]byte(nil), t.TokenHash...)
	t.CreatedAt, t.ExpiresAt = stored(t.CreatedAt), stored(t.ExpiresAt)
	scopes, err := json.Marshal(t.Scopes)
	if err != nil {
		return auth.RefreshToken{}, fmt.Errorf("store refresh token: encode scopes: %w", err)
	}
	if len(t.Audiences) == 0 {
		t.Audiences = nil
	}
	t.Audiences = slices.Clone(t.Audiences)
	audiences, err := json.Marshal(append([]string{}, t.Audiences...))
	if err != nil {
		return auth.RefreshToken{}, fmt.Errorf("store refresh token: encode audiences: %w", err)
	}
	_, err = db.ExecContext(ctx,
		`INSERT INTO refresh_tokens (`+refreshColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, '', NULL, $9)`,
		t.ID, t.FamilyID, t.ClientID, t.Subject, string(scopes), hex.EncodeToString(t.TokenHash), toDB(t.CreatedAt), toDB(t.ExpiresAt),
		string(audiences))
	if err != nil {
		return auth.RefreshToken{}, insertError("store refresh token", err)
	}
	return t, nil
}

// CreateRefreshToken implements auth.Store.
func (s *Store) CreateRefreshToken(ctx context.Context, t auth.RefreshToken) (auth.RefreshToken, error) {
	return insertRefreshToken(ctx, s.db, t)
}

// GetRefreshToken implements auth.Store.
func (s *Store) GetRefreshToken(ctx context.Context, tokenHash []byte) (auth.RefreshToken, error) {
	t, err := scanRefreshToken(s.db.QueryRowContext(ctx,
		`SELECT `+refreshColumns+` FROM refresh_tokens WHERE token_hash = $1`, hex.EncodeToString(tokenHash)))
	if err != nil {
		return auth.RefreshToken{}, notFound("get refresh token", err)
	}
	return t, nil
}

// RotateRefreshToken implements auth.Store. The conditional UPDATE lets
// exactly one of several concurrent rotations of the same token win.
func (s *Store) RotateRefreshToken(ctx context.Context, oldID string, nonce []byte, next auth.RefreshToken) error {
	if len(nonce) == 0 {
		return fmt.Errorf("rotate refresh token: empty nonce: %w", auth.ErrInvalid)
	}
	return s.db.InTx(ctx, nil, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET used_at = $2, successor_nonce = $3
			WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL`, oldID, toDB(next.CreatedAt), hex.EncodeToString(nonce))
		if err != nil {
			return fmt.Errorf("rotate refresh token: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("rotate refresh token: %w", err)
		} else if n == 0 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM refresh_tokens WHERE id = $1`, oldID).Scan(&one); err != nil {
				return notFound("rotate refresh token", err)
			}
			return fmt.Errorf("rotate refresh token: already used or revoked: %w", auth.ErrConflict)
		}
		_, err = insertRefreshToken(ctx, tx, next)
		return err
	})
}

// RevokeRefreshFamily implements auth.Store.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, at time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL`, familyID, toDB(at))
	if err != nil {
		return 0, fmt.Errorf("revoke refresh family: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("revoke refresh family: %w", err)
	}
	return n, nil
}

// RevokeAccessToken implements auth.Store.
func (s *Store) RevokeAccessToken(ctx context.Context, jti string, expiresAt time.Time) error {
	if jti == "" || len(jti) > 128 {
		return fmt.Errorf("revoke access token: jti: %w", auth.ErrInvalid)
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING`, jti, toDB(expiresAt))
	if err != nil {
		return fmt.Errorf("revoke access token: %w", err)
	}
	return nil
}

// AccessTokenRevoked implements auth.Store.
func (s *Store) AccessTokenRevoked(ctx context.Context, jti string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM revoked_access_tokens WHERE jti = $1`, jti).Scan(&n); err != nil {
		return false, fmt.Errorf("access token revoked: %w", err)
	}
	return n > 0, nil
}
