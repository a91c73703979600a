package accountsstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
)

// GetIdempotencyRecord implements accounts.Store.
func (s *Store) GetIdempotencyRecord(ctx context.Context, scope, key string, now time.Time) (accounts.IdempotencyRecord, error) {
	var (
		r                accounts.IdempotencyRecord
		fp               string
		created, expires int64
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT scope, idem_key, fingerprint, resource_id, created_at, expires_at FROM idempotency_records
		WHERE scope = $1 AND idem_key = $2 AND expires_at > $3`, scope, key, toDB(now)).
		Scan(&r.Scope, &r.Key, &fp, &r.ResourceID, &created, &expires)
	if err != nil {
		return accounts.IdempotencyRecord{}, notFound("get idempotency record", err)
	}
	if n, err := hex.Decode(r.Fingerprint[:], []byte(fp)); err != nil || n != sha256.Size {
		return accounts.IdempotencyRecord{}, fmt.Errorf("stored fingerprint of idempotency record is malformed")
	}
	r.CreatedAt, r.ExpiresAt = fromDB(created), fromDB(expires)
	return r, nil
}

// PruneIdempotencyRecords implements accounts.Store.
func (s *Store) PruneIdempotencyRecords(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM idempotency_records WHERE expires_at <= $1`, toDB(now))
	if err != nil {
		return 0, fmt.Errorf("prune idempotency records: %w", err)
	}
	return res.RowsAffected()
}
