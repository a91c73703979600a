package configsstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/portico-gw/portico/internal/configs"
)

const integrationColumns = `id, org_id, name, environment, status, delivery_key, previous_delivery_key,
	previous_key_expires_at, domains, bundle_ids, created_at, updated_at`

func scanIntegration(r rowScanner) (configs.Integration, error) {
	var (
		in               configs.Integration
		env, status      string
		prevKey          sql.NullString
		prevExpires      sql.NullInt64
		domains, bundles string
		created, updated int64
	)
	if err := r.Scan(&in.ID, &in.OrgID, &in.Name, &env, &status, &in.DeliveryKey, &prevKey,
		&prevExpires, &domains, &bundles, &created, &updated); err != nil {
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
func (s *Store) CreateIntegration(ctx context.Context, in configs.Integration) (configs.Integration, error) {
	if err := in.Validate(); err != nil {
		return configs.Integration{}, fmt.Errorf("create integration: %w", err)
	}
	domains, bundles, err := lists(in)
	if err != nil {
		return configs.Integration{}, fmt.Errorf("create integration: %w", err)
	}
	prevKey, prevExpires := nullKey(in)
	got, err := scanIntegration(s.db.QueryRowContext(ctx,
		`INSERT INTO integrations (`+integrationColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		RETURNING `+integrationColumns,
		in.ID, in.OrgID, in.Name, string(in.Environment), string(in.Status), in.DeliveryKey, prevKey, prevExpires,
		domains, bundles, toDB(in.CreatedAt), toDB(in.UpdatedAt)))
	if err != nil {
		return configs.Integration{}, writeError("create integration", err)
	}
	return got, nil
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
	items, err := queryAll(ctx, s.db.DB, scanIntegration, query, args...)
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
func (s *Store) UpdateIntegration(ctx context.Context, in configs.Integration) (configs.Integration, error) {
	if err := in.Validate(); err != nil {
		return configs.Integration{}, fmt.Errorf("update integration: %w", err)
	}
	domains, bundles, err := lists(in)
	if err != nil {
		return configs.Integration{}, fmt.Errorf("update integration: %w", err)
	}
	got, err := scanIntegration(s.db.QueryRowContext(ctx,
		`UPDATE integrations SET name = $3, environment = $4, status = $5, domains = $6, bundle_ids = $7, updated_at = $8
		WHERE id = $1 AND org_id = $2 RETURNING `+integrationColumns,
		in.ID, in.OrgID, in.Name, string(in.Environment), string(in.Status), domains, bundles, toDB(in.UpdatedAt)))
	if err != nil {
		return configs.Integration{}, notFound("update integration", err)
	}
	return got, nil
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
func (s *Store) RotateDeliveryKey(ctx context.Context, orgID, id, newKey string, overlapUntil time.Time) (configs.Integration, error) {
	switch {
	case !configs.ValidDeliveryKey(newKey):
		return configs.Integration{}, fmt.Errorf("rotate delivery key: %w", configs.NewError(configs.ErrInvalid, "delivery key is malformed"))
	case overlapUntil.IsZero():
		return configs.Integration{}, fmt.Errorf("rotate delivery key: %w", configs.NewError(configs.ErrInvalid, "overlap end must be set"))
	}
	in, err := scanIntegration(s.db.QueryRowContext(ctx,
		`UPDATE integrations SET previous_delivery_key = delivery_key, previous_key_expires_at = $4, delivery_key = $3
		WHERE id = $1 AND org_id = $2 AND delivery_key <> $3 RETURNING `+integrationColumns,
		id, orgID, newKey, toDB(overlapUntil)))
	if err == nil {
		return in, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return configs.Integration{}, writeError("rotate delivery key", err)
	}
	// No row: either there is no such integration, or newKey is its key.
	if _, err := s.GetIntegration(ctx, orgID, id); err != nil {
		return configs.Integration{}, fmt.Errorf("rotate delivery key: %w", err)
	}
	return configs.Integration{}, fmt.Errorf("rotate delivery key: %w",
		configs.NewError(configs.ErrInvalid, "new delivery key must differ from the current one"))
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
