package authstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

// CreateIdentityIdempotent implements auth.Store.
func (s *Store) CreateIdentityIdempotent(ctx context.Context, i auth.Identity, r auth.IdempotencyRecord) (auth.Identity, error) {
	if err := i.Validate(); err != nil {
		return auth.Identity{}, fmt.Errorf("create identity: %w", err)
	}
	if err := r.Validate(); err != nil {
		return auth.Identity{}, fmt.Errorf("create identity: %w", err)
	}
	i.EmailNorm = auth.NormalizeEmail(i.Email)
	i.CreatedAt, i.UpdatedAt = stored(i.CreatedAt), stored(i.UpdatedAt)
	err := s.db.InTx(ctx, nil, func(tx *sql.Tx) error {
		// An expired record of the key no longer counts; it makes way.
		if _, err := tx.ExecContext(ctx,
			`DELETE FROM idempotency_records WHERE scope = $1 AND idempotency_key = $2 AND expires_at <= $3`,
			r.Scope, r.Key, toDB(r.CreatedAt)); err != nil {
			return fmt.Errorf("create identity: expired idempotency record: %w", err)
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO identities (`+identityColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			i.ID, i.Email, i.EmailNorm, string(i.Status), i.PasswordHash, toDB(i.CreatedAt), toDB(i.UpdatedAt)); err != nil {
			return insertError("create identity", err)
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO idempotency_records (scope, idempotency_key, fingerprint, resource_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			r.Scope, r.Key, hex.EncodeToString(r.Fingerprint), r.ResourceID, toDB(r.CreatedAt), toDB(r.ExpiresAt)); err != nil {
			return insertError("create idempotency record", err)
		}
		return nil
	})
	if err != nil {
		return auth.Identity{}, err
	}
	return i, nil
}

// GetIdempotencyRecord implements auth.Store.
func (s *Store) GetIdempotencyRecord(ctx context.Context, scope, key string, now time.Time) (auth.IdempotencyRecord, error) {
	var (
		r                auth.IdempotencyRecord
		fp               string
		created, expires int64
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT scope, idempotency_key, fingerprint, resource_id, created_at, expires_at FROM idempotency_records
		WHERE scope = $1 AND idempotency_key = $2 AND expires_at > $3`,
		scope, key, toDB(now)).Scan(&r.Scope, &r.Key, &fp, &r.ResourceID, &created, &expires)
	if err != nil {
		return auth.IdempotencyRecord{}, notFound("get idempotency record", err)
	}
	if r.Fingerprint, err = hex.DecodeString(fp); err != nil {
		return auth.IdempotencyRecord{}, fmt.Errorf("get idempotency record: stored fingerprint: %w", err)
	}
	r.CreatedAt, r.ExpiresAt = fromDB(created), fromDB(expires)
	return r, nil
}

// PruneIdempotencyRecords implements auth.Store.
func (s *Store) PruneIdempotencyRecords(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM idempotency_records WHERE expires_at <= $1`, toDB(before))
	if err != nil {
		return 0, fmt.Errorf("prune idempotency records: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune idempotency records: %w", err)
	}
	return n, nil
}
