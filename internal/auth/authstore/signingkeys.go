package authstore

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	"github.com/portico-gw/portico/internal/auth/signing"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

const signingKeyColumns = `kid, generation, algorithm, public_key, private_key, created_at, activates_at, retires_at, expires_at`

func scanSigningKey(r rowScanner) (signing.KeyRecord, error) {
	var (
		k                                   signing.KeyRecord
		public, private                     string
		created, activates, retires, expire int64
	)
	if err := r.Scan(&k.KID, &k.Generation, &k.Algorithm, &public, &private, &created, &activates, &retires, &expire); err != nil {
		return signing.KeyRecord{}, err
	}
	sealed, err := base64.StdEncoding.DecodeString(private)
	if err != nil {
		return signing.KeyRecord{}, fmt.Errorf("signing key %s: stored private key: %w", k.KID, err)
	}
	k.PublicKey, k.SealedPrivateKey = []byte(public), sealed
	k.CreatedAt, k.ActivatesAt, k.RetiresAt, k.ExpiresAt = fromDB(created), fromDB(activates), fromDB(retires), fromDB(expire)
	return k, nil
}

// CreateSigningKey implements signing.KeyStore.
func (s *Store) CreateSigningKey(ctx context.Context, k signing.KeyRecord) (signing.KeyRecord, error) {
	if err := k.Validate(); err != nil {
		return signing.KeyRecord{}, fmt.Errorf("create signing key: %w", err)
	}
	k.PublicKey, k.SealedPrivateKey = slices.Clone(k.PublicKey), slices.Clone(k.SealedPrivateKey)
	k.CreatedAt, k.ActivatesAt, k.RetiresAt, k.ExpiresAt = stored(k.CreatedAt), stored(k.ActivatesAt), stored(k.RetiresAt), stored(k.ExpiresAt)
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO signing_keys (`+signingKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		k.KID, k.Generation, k.Algorithm, string(k.PublicKey), base64.StdEncoding.EncodeToString(k.SealedPrivateKey),
		toDB(k.CreatedAt), toDB(k.ActivatesAt), toDB(k.RetiresAt), toDB(k.ExpiresAt))
	if sqldb.IsUniqueViolation(err) {
		return signing.KeyRecord{}, fmt.Errorf("create signing key: %w", signing.ErrConflict)
	}
	if err != nil {
		return signing.KeyRecord{}, fmt.Errorf("create signing key: %w", err)
	}
	return k, nil
}

// ListSigningKeys implements signing.KeyStore.
func (s *Store) ListSigningKeys(ctx context.Context) ([]signing.KeyRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys ORDER BY generation`)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	defer rows.Close()
	keys := []signing.KeyRecord{}
	for rows.Next() {
		k, err := scanSigningKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list signing keys: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return keys, nil
}

// RetireSigningKey implements signing.KeyStore.
func (s *Store) RetireSigningKey(ctx context.Context, kid string, at, expiresAt time.Time) error {
	if at.After(expiresAt) {
		return fmt.Errorf("retire signing key: retirement %v after expiry %v: %w", at, expiresAt, signing.ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE signing_keys SET
		retires_at = CASE WHEN retires_at < $2 THEN retires_at ELSE $2 END,
		expires_at = CASE WHEN expires_at < $3 THEN expires_at ELSE $3 END
		WHERE kid = $1`, kid, toDB(at), toDB(expiresAt))
	if err != nil {
		return fmt.Errorf("retire signing key: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("retire signing key: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("retire signing key %s: %w", kid, signing.ErrNotFound)
	}
	return nil
}

// DeleteExpiredSigningKeys implements signing.KeyStore.
func (s *Store) DeleteExpiredSigningKeys(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM signing_keys WHERE expires_at <= $1`, toDB(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired signing keys: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete expired signing keys: %w", err)
	}
	return n, nil
}

var _ signing.KeyStore = (*Store)(nil)
