package configsstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

const integrationColumns = `id, org_id, name, environment, status, delivery_key, previous_delivery_key,
	previous_key_expires_at, domains, bundle_ids, created_at, updated_at`

// scanIntegration scans integrationColumns, then extra.
func scanIntegration(r rowScanner, extra ...any) (configs.Integration, error) {
	var (
		in               configs.Integration
		env, status      string
		prevKey          sql.NullString
		prevExpires      sql.NullInt64
		domains, bundles string
		created, updated int64
	)
	dest := append([]any{&in.ID, &in.OrgID, &in.Name, &env, &status, &in.DeliveryKey, &prevKey,
		&prevExpires, &domains, &bundles, &created, &updated}, extra...)
	if err := r.Scan(dest...); err != nil {
		return configs.Integration{}, err
	}
	in.Environment, in.Status = configs.Environment(env), configs.IntegrationStatus(status)
	if prevKey.Valid {
		in.PreviousDeliveryKey, in.PreviousKeyExpiresAt = prevKey.String, fromDB(prevExpires.Int64)
	}
	var names []string
	if err := json.Unmarshal([]byte(domains), &names); err != nil {
		return configs.Integration{}, fmt.Errorf("decode domains: %w", err)
	}
	for _, n := range names {
		d, err := configs.ParseDomain(n)
		if err != nil {
			return configs.Integration{}, fmt.Errorf("decode domain: %w", err)
		}
		in.Domains = append(in.Domains, d)
	}
	if err := json.Unmarshal([]byte(bundles), &in.BundleIDs); err != nil {
		return configs.Integration{}, fmt.Errorf("decode bundle ids: %w", err)
	}
	if len(in.BundleIDs) == 0 {
		in.BundleIDs = nil
	}
	in.CreatedAt, in.UpdatedAt = fromDB(created), fromDB(updated)
	return in, nil
}

func scanIntegrationRow(r rowScanner) (configs.Integration, error) { return scanIntegration(r) }

// lists returns the stored JSON of in's domains and bundle ids.
func lists(in configs.Integration) (domains, bundles string, err error) {
	names := make([]string, len(in.Domains))
	for i, d := range in.Domains {
		names[i] = d.String()
	}
	ids := in.BundleIDs
	if ids == nil {
		ids = []configs.BundleID{}
	}
	d, err := json.Marshal(names)
	if err != nil {
		return "", "", err
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return "", "", err
	}
	return string(d), string(b), nil
}

// nullKey returns the stored previous key and expiry of in: NULL when it
// has none.
func nullKey(in configs.Integration) (sql.NullString, sql.NullInt64) {
	if in.PreviousDeliveryKey == "" {
		return sql.NullString{}, sql.NullInt64{}
	}
	return sql.NullString{String: in.PreviousDeliveryKey, Valid: true},
		sql.NullInt64{Int64: toDB(in.PreviousKeyExpiresAt), Valid: true}
}

// CreateIntegration implements configs.Store.
func (s *Store) CreateIntegration(ctx context.Context, c configs.Creation) (configs.Integration, configs.SettingsVersion, error) {
	in, v := c.Integration, c.Settings
	v.IntegrationID, v.Version, v.CreatedAt = in.ID, 1, stored(v.CreatedAt)
	if err := in.Validate(); err != nil {
		return configs.Integration{}, configs.SettingsVersion{}, fmt.Errorf("create integration: %w", err)
	}
	if err := v.Validate(); err != nil {
		return configs.Integration{}, configs.SettingsVersion{}, fmt.Errorf("create integration: %w", err)
	}
	if c.Idempotency != nil {
		if err := c.Idempotency.Validate(); err != nil {
			return configs.Integration{}, configs.SettingsVersion{}, fmt.Errorf("create integration: %w", err)
		}
		if c.Idempotency.OrgID != in.OrgID || c.Idempotency.IntegrationID != in.ID {
			return configs.Integration{}, configs.SettingsVersion{}, fmt.Errorf("create integration: %w",
				configs.NewError(configs.ErrInvalid, "idempotency record is of another integration"))
		}
	}
	domains, bundles, err := lists(in)
	if err != nil {
		return configs.Integration{}, configs.SettingsVersion{}, fmt.Errorf("create integration: %w", err)
	}
	prevKey, prevExpires := nullKey(in)
	var got configs.Integration
	err = s.change(ctx, "create integration", in.OrgID, in.ID, c.Audit, func(tx *sql.Tx) error {
		if r := c.Idempotency; r != nil {
			// An expired record of the same key may still be there,
			// unpruned: it no longer counts.
			if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_records
				WHERE org_id = $1 AND principal = $2 AND idempotency_key = $3 AND expires_at <= $4`,
				r.OrgID, r.Principal, r.Key, toDB(r.CreatedAt)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO idempotency_records
				(org_id, principal, idempotency_key, fingerprint, integration_id, created_at, expires_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				r.OrgID, r.Principal, r.Key, hex.EncodeToString(r.Fingerprint), r.IntegrationID,
				toDB(r.CreatedAt), toDB(r.ExpiresAt)); err != nil {
				if sqldb.IsUniqueViolation(err) {
					return &configs.Error{Code: configs.ErrConflict, Message: "idempotency key is in use", Err: err}
				}
				return err
			}
		}
		var err error
		got, err = scanIntegration(tx.QueryRowContext(ctx,
			`INSERT INTO integrations (`+integrationColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			RETURNING `+integrationColumns,
			in.ID, in.OrgID, in.Name, string(in.Environment), string(in.Status), in.DeliveryKey, prevKey, prevExpires,
			domains, bundles, toDB(in.CreatedAt), toDB(in.UpdatedAt)))
		if err != nil {
			return writeError("insert integration", err)
		}
		return insertVersion(ctx, tx, v)
	})
	if err != nil {
		return configs.Integration{}, configs.SettingsVersion{}, err
	}
	v.Document = append([]byte(nil), v.Document...)
	return got, v, nil
}

// GetIntegration implements configs.Store.
func (s *Store) GetIntegration(ctx context.Context, orgID, id string) (configs.Integration, error) {
	in, err := scanIntegration(s.db.QueryRowContext(ctx,
		`SELECT `+integrationColumns+` FROM integrations WHERE id = $1 AND org_id = $2`, id, orgID))
	if err != nil {
		return configs.Integration{}, notFound("get integration", err)
	}
	return in, nil
}

// ListIntegrations implements configs.Store.
func (s *Store) ListIntegrations(ctx context.Context, orgID string, page configs.PageRequest) (configs.Page[configs.Integration], error) {
	limit, err := page.EffectiveLimit()
	if err != nil {
		return configs.Page[configs.Integration]{}, err
	}
	query := `SELECT ` + integrationColumns + ` FROM integrations WHERE org_id = $1`
	args := []any{orgID}
	if page.Cursor != "" {
		c, err := configs.ParseCursor(page.Cursor, configs.ValidIntegrationID)
		if err != nil {
			return configs.Page[configs.Integration]{}, err
		}
		query += ` AND (created_at, id) < ($2, $3)`
		args = append(args, toDB(c.At), c.Key)
	}
	query += ` ORDER BY created_at DESC, id DESC LIMIT $` + strconv.Itoa(len(args)+1)
	args = append(args, limit+1)
	items, err := queryAll(ctx, s.db.DB, scanIntegrationRow, query, args...)
	if err != nil {
		return configs.Page[configs.Integration]{}, fmt.Errorf("list integrations: %w", err)
	}
	var next string
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		next = configs.Cursor{At: last.CreatedAt, Key: last.ID}.String()
	}
	return configs.Page[configs.Integration]{Items: items, NextCursor: next}, nil
}

// UpdateIntegration implements configs.Store.
func (s *Store) UpdateIntegration(ctx context.Context, in configs.Integration, audit configs.AuditEntry) (configs.Integration, error) {
	if err := in.Validate(); err != nil {
		return configs.Integration{}, fmt.Errorf("update integration: %w", err)
	}
	domains, bundles, err := lists(in)
	if err != nil {
		return configs.Integration{}, fmt.Errorf("update integration: %w", err)
	}
	var got configs.Integration
	err = s.change(ctx, "update integration", in.OrgID, in.ID, audit, func(tx *sql.Tx) error {
		var err error
		got, err = scanIntegration(tx.QueryRowContext(ctx,
			`UPDATE integrations SET name = $3, environment = $4, status = $5, domains = $6, bundle_ids = $7, updated_at = $8
			WHERE id = $1 AND org_id = $2 RETURNING `+integrationColumns,
			in.ID, in.OrgID, in.Name, string(in.Environment), string(in.Status), domains, bundles, toDB(in.UpdatedAt)))
		if err != nil {
			return notFound("update", err)
		}
		return nil
	})
	if err != nil {
		return configs.Integration{}, err
	}
	return got, nil
}

// DeleteIntegration implements configs.Store; the settings versions go
// with the integration (ON DELETE CASCADE).
func (s *Store) DeleteIntegration(ctx context.Context, orgID, id string, audit configs.AuditEntry) error {
	return s.change(ctx, "delete integration", orgID, id, audit, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM integrations WHERE id = $1 AND org_id = $2`, id, orgID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return configs.ErrNotFound
		}
		return nil
	})
}

// GetIntegrationByDeliveryKey implements configs.Store. Keys are random,
// so a key that is one integration's current key and another's previous
// one does not happen in practice; should it, the current key wins.
func (s *Store) GetIntegrationByDeliveryKey(ctx context.Context, key string, now time.Time) (configs.Integration, bool, error) {
	in, err := scanIntegration(s.db.QueryRowContext(ctx,
		`SELECT `+integrationColumns+` FROM integrations
		WHERE delivery_key = $1 OR (previous_delivery_key = $1 AND previous_key_expires_at > $2)
		ORDER BY CASE WHEN delivery_key = $1 THEN 0 ELSE 1 END LIMIT 1`, key, toDB(now)))
	if err != nil {
		return configs.Integration{}, false, notFound("get integration by delivery key", err)
	}
	return in, in.DeliveryKey != key, nil
}

// RotateDeliveryKey implements configs.Store in one UPDATE, whose SET
// reads the row as it was before it: the current key becomes the previous
// one.
func (s *Store) RotateDeliveryKey(ctx context.Context, orgID, id, newKey string, overlapUntil time.Time, audit configs.AuditEntry) (configs.Integration, error) {
	switch {
	case !configs.ValidDeliveryKey(newKey):
		return configs.Integration{}, fmt.Errorf("rotate delivery key: %w", configs.NewError(configs.ErrInvalid, "delivery key is malformed"))
	case overlapUntil.IsZero():
		return configs.Integration{}, fmt.Errorf("rotate delivery key: %w", configs.NewError(configs.ErrInvalid, "overlap end must be set"))
	}
	var in configs.Integration
	err := s.change(ctx, "rotate delivery key", orgID, id, audit, func(tx *sql.Tx) error {
		var err error
		in, err = scanIntegration(tx.QueryRowContext(ctx,
			`UPDATE integrations SET previous_delivery_key = delivery_key, previous_key_expires_at = $4, delivery_key = $3
			WHERE id = $1 AND org_id = $2 AND delivery_key <> $3 RETURNING `+integrationColumns,
			id, orgID, newKey, toDB(overlapUntil)))
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return writeError("update", err)
		}
		// No row: either there is no such integration, or newKey is its key.
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM integrations WHERE id = $1 AND org_id = $2`, id, orgID).Scan(&one); err != nil {
			return notFound("get integration", err)
		}
		return configs.NewError(configs.ErrInvalid, "new delivery key must differ from the current one")
	})
	if err != nil {
		return configs.Integration{}, err
	}
	return in, nil
}

// queryAll runs query and scans every row.
func queryAll[T any](ctx context.Context, db *sql.DB, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []T{}
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	return items, rows.Err()
}
