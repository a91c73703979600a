package configsstore

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/configs"
)

// GetIdempotencyRecord implements configs.Store.
func (s *Store) GetIdempotencyRecord(ctx context.Context, orgID, principal, key string, now time.Time) (configs.IdempotencyRecord, error) {
	r := configs.IdempotencyRecord{OrgID: orgID, Principal: principal, Key: key}
	var (
		fp               string
		created, expires int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT fingerprint, integration_id, created_at, expires_at FROM idempotency_records
		WHERE org_id = $1 AND principal = $2 AND idempotency_key = $3 AND expires_at > $4`,
		orgID, principal, key, toDB(now)).Scan(&fp, &r.IntegrationID, &created, &expires)
	if err != nil {
		return configs.IdempotencyRecord{}, notFound("get idempotency record", err)
	}
	if r.Fingerprint, err = hex.DecodeString(fp); err != nil {
		return configs.IdempotencyRecord{}, fmt.Errorf("get idempotency record: fingerprint: %w", err)
	}
	r.CreatedAt, r.ExpiresAt = fromDB(created), fromDB(expires)
	return r, nil
}

// PruneIdempotencyRecords implements configs.Store.
func (s *Store) PruneIdempotencyRecords(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM idempotency_records WHERE expires_at <= $1`, toDB(now))
	if err != nil {
		return 0, fmt.Errorf("prune idempotency records: %w", err)
	}
	return res.RowsAffected()
}
