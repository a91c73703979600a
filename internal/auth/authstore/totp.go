package authstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

// PutTOTP implements auth.Store.
func (s *Store) PutTOTP(ctx context.Context, c auth.TOTPCredential) error {
	if !auth.ValidID(auth.IdentityIDPrefix, c.IdentityID) || c.Secret == "" || c.CreatedAt.IsZero() || c.ConfirmedAt != nil {
		return fmt.Errorf("put totp: %w", auth.ErrInvalid)
	}
	return s.db.InTx(ctx, nil, func(tx *sql.Tx) error {
		var confirmed sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT confirmed_at FROM totp_credentials WHERE identity_id = $1`, c.IdentityID).Scan(&confirmed)
		switch {
		case err == nil && confirmed.Valid:
			return fmt.Errorf("put totp: confirmed credential exists: %w", auth.ErrConflict)
		case err == nil:
			if _, err := tx.ExecContext(ctx, `DELETE FROM totp_credentials WHERE identity_id = $1`, c.IdentityID); err != nil {
				return fmt.Errorf("put totp: %w", err)
			}
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("put totp: %w", err)
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO totp_credentials (identity_id, secret, created_at, confirmed_at, last_step) VALUES ($1, $2, $3, NULL, $4)`,
			c.IdentityID, c.Secret, toDB(c.CreatedAt), c.LastStep)
		if err != nil {
			return insertError("put totp", err)
		}
		return nil
	})
}

// GetTOTP implements auth.Store.
func (s *Store) GetTOTP(ctx context.Context, identityID string) (auth.TOTPCredential, error) {
	var (
		c         auth.TOTPCredential
		created   int64
		confirmed sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT identity_id, secret, created_at, confirmed_at, last_step FROM totp_credentials WHERE identity_id = $1`,
		identityID).Scan(&c.IdentityID, &c.Secret, &created, &confirmed, &c.LastStep)
	if err != nil {
		return auth.TOTPCredential{}, notFound("get totp", err)
	}
	c.CreatedAt, c.ConfirmedAt = fromDB(created), fromNullDB(confirmed)
	return c, nil
}

// ConfirmTOTP implements auth.Store.
func (s *Store) ConfirmTOTP(ctx context.Context, identityID string, step int64, at time.Time) error {
	return s.execOne(ctx, "confirm totp",
		`UPDATE totp_credentials SET confirmed_at = $2, last_step = $3 WHERE identity_id = $1 AND confirmed_at IS NULL`,
		identityID, toDB(at), step)
}

// UseTOTPStep implements auth.Store. The conditional UPDATE makes two
// concurrent uses of one code race for a single row: one wins.
func (s *Store) UseTOTPStep(ctx context.Context, identityID string, step int64) error {
	res, err := s.db.ExecContext(ctx,
		`UPDATE totp_credentials SET last_step = $2 WHERE identity_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2`,
		identityID, step)
	if err != nil {
		return fmt.Errorf("use totp step: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("use totp step: %w", err)
	}
	if n == 1 {
		return nil
	}
	c, err := s.GetTOTP(ctx, identityID)
	if err != nil {
		return fmt.Errorf("use totp step: %w", err)
	}
	if c.ConfirmedAt == nil {
		return fmt.Errorf("use totp step: not confirmed: %w", auth.ErrNotFound)
	}
	return fmt.Errorf("use totp step: step already used: %w", auth.ErrConflict)
}

// DeleteTOTP implements auth.Store.
func (s *Store) DeleteTOTP(ctx context.Context, identityID string) error {
	return s.db.InTx(ctx, nil, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE identity_id = $1`, identityID); err != nil {
			return fmt.Errorf("delete totp: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM totp_credentials WHERE identity_id = $1`, identityID)
		if err != nil {
			return fmt.Errorf("delete totp: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("delete totp: %w", errors.Join(err, auth.ErrNotFound))
		}
		return nil
	})
}

// ReplaceRecoveryCodes implements auth.Store.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, identityID string, hashes [][]byte, at time.Time) error {
	for _, h := range hashes {
		if len(h) != auth.TokenHashLen {
			return fmt.Errorf("replace recovery codes: hash must be %d bytes: %w", auth.TokenHashLen, auth.ErrInvalid)
		}
	}
	return s.db.InTx(ctx, nil, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE identity_id = $1`, identityID); err != nil {
			return fmt.Errorf("replace recovery codes: %w", err)
		}
		for _, h := range hashes {
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO recovery_codes (identity_id, code_hash, created_at, used_at) VALUES ($1, $2, $3, NULL)`,
				identityID, hex.EncodeToString(h), toDB(at)); err != nil {
				return insertError("replace recovery codes", err)
			}
		}
		return nil
	})
}

// UseRecoveryCode implements auth.Store.
func (s *Store) UseRecoveryCode(ctx context.Context, identityID string, hash []byte, at time.Time) error {
	return s.execOne(ctx, "use recovery code",
		`UPDATE recovery_codes SET used_at = $3 WHERE identity_id = $1 AND code_hash = $2 AND used_at IS NULL`,
		identityID, hex.EncodeToString(hash), toDB(at))
}

// CountRecoveryCodes implements auth.Store.
func (s *Store) CountRecoveryCodes(ctx context.Context, identityID string) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM recovery_codes WHERE identity_id = $1 AND used_at IS NULL`, identityID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}
