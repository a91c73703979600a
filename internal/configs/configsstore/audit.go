package configsstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/portico-gw/portico/internal/configs"
)

const auditColumns = `id, org_id, integration_id, actor_kind, actor_id, actor_credential, actor_staff, action, message, diff, created_at`

func scanAudit(r rowScanner) (configs.AuditEntry, error) {
	var (
		e       configs.AuditEntry
		action  string
		diff    string
		created int64
	)
	if err := r.Scan(&e.ID, &e.OrgID, &e.IntegrationID, &e.Actor.Kind, &e.Actor.ID, &e.Actor.CredentialID,
		&e.Actor.Staff, &action, &e.Message, &diff, &created); err != nil {
		return configs.AuditEntry{}, err
	}
	e.Action, e.Diff, e.CreatedAt = configs.AuditAction(action), []byte(diff), fromDB(created)
	return e, nil
}

// ListAuditEntries implements configs.Store.
func (s *Store) ListAuditEntries(ctx context.Context, orgID, integrationID string, page configs.PageRequest) (configs.Page[configs.AuditEntry], error) {
	limit, err := page.EffectiveLimit()
	if err != nil {
		return configs.Page[configs.AuditEntry]{}, err
	}
	query := `SELECT ` + auditColumns + ` FROM audit_entries WHERE org_id = $1`
	args := []any{orgID}
	if integrationID != "" {
		args = append(args, integrationID)
		query += ` AND integration_id = $` + strconv.Itoa(len(args))
	}
	if page.Cursor != "" {
		c, err := configs.ParseCursor(page.Cursor, configs.ValidAuditID)
		if err != nil {
			return configs.Page[configs.AuditEntry]{}, err
		}
		args = append(args, toDB(c.At), c.Key)
		query += ` AND (created_at, id) < ($` + strconv.Itoa(len(args)-1) + `, $` + strconv.Itoa(len(args)) + `)`
	}
	args = append(args, limit+1)
	query += ` ORDER BY created_at DESC, id DESC LIMIT $` + strconv.Itoa(len(args))
	items, err := queryAll(ctx, s.db.DB, scanAudit, query, args...)
	if err != nil {
		return configs.Page[configs.AuditEntry]{}, fmt.Errorf("list audit entries: %w", err)
	}
	var next string
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		next = configs.Cursor{At: last.CreatedAt, Key: last.ID}.String()
	}
	return configs.Page[configs.AuditEntry]{Items: items, NextCursor: next}, nil
}

// PruneAuditEntries implements configs.Store.
func (s *Store) PruneAuditEntries(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM audit_entries WHERE created_at < $1`, toDB(before))
	if err != nil {
		return 0, fmt.Errorf("prune audit entries: %w", err)
	}
	return res.RowsAffected()
}
