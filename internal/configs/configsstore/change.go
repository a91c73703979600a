package configsstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/portico-gw/portico/internal/configs"
)

// change runs fn, the change of one integration, in a transaction that
// then writes audit and increments the change revision. The increment
// comes last: on PostgreSQL it takes the lock of the one revision row,
// which every change waits for, so each holds it only while it commits.
// A transaction that holds it waits for nothing else, so no two changes
// can deadlock on it.
func (s *Store) change(ctx context.Context, what, orgID, integrationID string, audit configs.AuditEntry, fn func(tx *sql.Tx) error) error {
	audit.CreatedAt = stored(audit.CreatedAt)
	if err := audit.Validate(); err != nil {
		return fmt.Errorf("%s: audit entry: %w", what, err)
	}
	if audit.OrgID != orgID || audit.IntegrationID != integrationID {
		return fmt.Errorf("%s: %w", what, configs.NewError(configs.ErrInvalid, "audit entry is of another integration"))
	}
	err := s.db.InTx(ctx, nil, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_entries
			(id, org_id, integration_id, actor_kind, actor_id, actor_credential, actor_staff, action, message, diff, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			audit.ID, audit.OrgID, audit.IntegrationID, audit.Actor.Kind, audit.Actor.ID, audit.Actor.CredentialID,
			audit.Actor.Staff, string(audit.Action), audit.Message, string(audit.Diff), toDB(audit.CreatedAt)); err != nil {
			return writeError("insert audit entry", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE change_revision SET revision = revision + 1 WHERE id = 1`); err != nil {
			return fmt.Errorf("increment revision: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Revision implements configs.Store.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	var rev int64
	if err := s.db.QueryRowContext(ctx, `SELECT revision FROM change_revision WHERE id = 1`).Scan(&rev); err != nil {
		return 0, fmt.Errorf("read revision: %w", err)
	}
	return rev, nil
}

// deliveryStateQuery selects every integration with its highest version,
// if any; i.* columns in the order of integrationColumns.
const deliveryStateQuery = `SELECT i.id, i.org_id, i.name, i.environment, i.status, i.delivery_key,
	i.previous_delivery_key, i.previous_key_expires_at, i.domains, i.bundle_ids, i.created_at, i.updated_at,
	v.version, v.document, v.author, v.message, v.created_at
	FROM integrations i
	LEFT JOIN settings_versions v ON v.integration_id = i.id
		AND v.version = (SELECT MAX(w.version) FROM settings_versions w WHERE w.integration_id = i.id)
	ORDER BY i.created_at, i.id`

// LoadDeliveryState implements configs.Store: the revision, then the
// state in one statement, so that the state is one snapshot of the
// database at least as new as the revision.
func (s *Store) LoadDeliveryState(ctx context.Context) (configs.DeliveryState, error) {
	rev, err := s.Revision(ctx)
	if err != nil {
		return configs.DeliveryState{}, fmt.Errorf("load delivery state: %w", err)
	}
	items, err := queryAll(ctx, s.db.DB, func(r rowScanner) (configs.IntegrationSettings, error) {
		var (
			version, created     sql.NullInt64
			doc, author, message sql.NullString
		)
		in, err := scanIntegration(r, &version, &doc, &author, &message, &created)
		if err != nil {
			return configs.IntegrationSettings{}, err
		}
		out := configs.IntegrationSettings{Integration: in}
		if version.Valid {
			out.Settings = configs.SettingsVersion{IntegrationID: in.ID, Version: int(version.Int64),
				Document: []byte(doc.String), Author: author.String, Message: message.String, CreatedAt: fromDB(created.Int64)}
		}
		return out, nil
	}, deliveryStateQuery)
	if err != nil {
		return configs.DeliveryState{}, fmt.Errorf("load delivery state: %w", err)
	}
	return configs.DeliveryState{Revision: rev, Integrations: items}, nil
}
