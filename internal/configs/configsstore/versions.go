package configsstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/portico-gw/portico/internal/configs"
)

const versionColumns = `v.integration_id, v.version, v.document, v.author, v.message, v.created_at`

// versionsOf selects the versions of integration $2 if it belongs to
// organization $1.
const versionsOf = `SELECT ` + versionColumns + ` FROM settings_versions v
	JOIN integrations i ON i.id = v.integration_id
	WHERE i.org_id = $1 AND v.integration_id = $2`

func scanVersion(r rowScanner) (configs.SettingsVersion, error) {
	var (
		v       configs.SettingsVersion
		version int64
		doc     string
		created int64
	)
	if err := r.Scan(&v.IntegrationID, &version, &doc, &v.Author, &v.Message, &created); err != nil {
		return configs.SettingsVersion{}, err
	}
	v.Version, v.Document, v.CreatedAt = int(version), []byte(doc), fromDB(created)
	return v, nil
}

// AppendSettingsVersion implements configs.Store; the package
// documentation says how it holds under concurrent writers.
func (s *Store) AppendSettingsVersion(ctx context.Context, orgID, integrationID string, expectedVersion int, v configs.SettingsVersion, audit configs.AuditEntry) (configs.SettingsVersion, error) {
	if expectedVersion < 0 {
		return configs.SettingsVersion{}, fmt.Errorf("append settings version: %w",
			configs.NewError(configs.ErrInvalid, "expected version must not be negative"))
	}
	v.IntegrationID, v.Version, v.CreatedAt = integrationID, expectedVersion+1, stored(v.CreatedAt)
	if err := v.Validate(); err != nil {
		return configs.SettingsVersion{}, fmt.Errorf("append settings version: %w", err)
	}
	err := s.change(ctx, "append settings version", orgID, integrationID, audit, func(tx *sql.Tx) error {
		var current int64
		err := tx.QueryRowContext(ctx,
			`SELECT COALESCE(MAX(v.version), 0) FROM integrations i
			LEFT JOIN settings_versions v ON v.integration_id = i.id
			WHERE i.id = $1 AND i.org_id = $2 GROUP BY i.id`, integrationID, orgID).Scan(&current)
		if err != nil {
			return notFound("current version", err)
		}
		if current != int64(expectedVersion) {
			return fmt.Errorf("current is %d, expected %d: %w", current, expectedVersion,
				configs.NewError(configs.ErrConflict, "the settings changed since the version you started from"))
		}
		return insertVersion(ctx, tx, v)
	})
	if err != nil {
		return configs.SettingsVersion{}, err
	}
	v.Document = append([]byte(nil), v.Document...)
	return v, nil
}

// insertVersion inserts a validated version.
func insertVersion(ctx context.Context, tx *sql.Tx, v configs.SettingsVersion) error {
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO settings_versions (integration_id, version, document, author, message, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		v.IntegrationID, v.Version, string(v.Document), v.Author, v.Message, toDB(v.CreatedAt)); err != nil {
		return writeError("insert settings version", err)
	}
	return nil
}

// GetSettingsVersion implements configs.Store.
func (s *Store) GetSettingsVersion(ctx context.Context, orgID, integrationID string, version int) (configs.SettingsVersion, error) {
	v, err := scanVersion(s.db.QueryRowContext(ctx, versionsOf+` AND v.version = $3`, orgID, integrationID, version))
	if err != nil {
		return configs.SettingsVersion{}, notFound("get settings version", err)
	}
	return v, nil
}

// CurrentSettings implements configs.Store.
func (s *Store) CurrentSettings(ctx context.Context, orgID, integrationID string) (configs.SettingsVersion, error) {
	v, err := scanVersion(s.db.QueryRowContext(ctx, versionsOf+` ORDER BY v.version DESC LIMIT 1`, orgID, integrationID))
	if err != nil {
		return configs.SettingsVersion{}, notFound("current settings", err)
	}
	return v, nil
}

// ListSettingsVersions implements configs.Store. The cursor's key is the
// last version number of the previous page.
func (s *Store) ListSettingsVersions(ctx context.Context, orgID, integrationID string, page configs.PageRequest) (configs.Page[configs.SettingsVersion], error) {
	limit, err := page.EffectiveLimit()
	if err != nil {
		return configs.Page[configs.SettingsVersion]{}, err
	}
	query, args := versionsOf, []any{orgID, integrationID}
	if page.Cursor != "" {
		c, err := configs.ParseCursor(page.Cursor, configs.ValidVersionKey)
		if err != nil {
			return configs.Page[configs.SettingsVersion]{}, err
		}
		before, _ := strconv.Atoi(c.Key) // ValidVersionKey accepted it
		query += ` AND v.version < $3`
		args = append(args, before)
	}
	query += ` ORDER BY v.version DESC LIMIT $` + strconv.Itoa(len(args)+1)
	args = append(args, limit+1)
	items, err := queryAll(ctx, s.db.DB, scanVersion, query, args...)
	if err != nil {
		return configs.Page[configs.SettingsVersion]{}, fmt.Errorf("list settings versions: %w", err)
	}
	var next string
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		next = configs.Cursor{At: last.CreatedAt, Key: strconv.Itoa(last.Version)}.String()
	}
	return configs.Page[configs.SettingsVersion]{Items: items, NextCursor: next}, nil
}
