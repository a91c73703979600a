package authstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/portico-gw/portico/internal/auth"
)

const auditColumns = `id, at, org_id, actor_id, kind, ip, detail`

func scanAuditEvent(r rowScanner) (auth.AuditEvent, error) {
	var (
		e      auth.AuditEvent
		at     int64
		detail string
	)
	if err := r.Scan(&e.ID, &at, &e.OrgID, &e.ActorID, &e.Kind, &e.IP, &detail); err != nil {
		return auth.AuditEvent{}, err
	}
	if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
		return auth.AuditEvent{}, fmt.Errorf("audit event %s: stored detail: %w", e.ID, err)
	}
	if e.Detail == nil {
		e.Detail = map[string]string{}
	}
	e.At = fromDB(at)
	return e, nil
}

// AppendAuditEvent implements auth.Store.
func (s *Store) AppendAuditEvent(ctx context.Context, e auth.AuditEvent) (auth.AuditEvent, error) {
	if err := e.Validate(); err != nil {
		return auth.AuditEvent{}, fmt.Errorf("append audit event: %w", err)
	}
	e.At = stored(e.At)
	e.Detail = maps.Clone(e.Detail)
	if e.Detail == nil {
		e.Detail = map[string]string{}
	}
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return auth.AuditEvent{}, fmt.Errorf("append audit event: encode detail: %w", err)
	}
	_, err = s.db.ExecContext(ctx,
		`INSERT INTO audit_events (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		e.ID, toDB(e.At), e.OrgID, e.ActorID, e.Kind, e.IP, string(detail))
	if err != nil {
		return auth.AuditEvent{}, insertError("append audit event", err)
	}
	return e, nil
}

// ListAuditEvents implements auth.Store.
func (s *Store) ListAuditEvents(ctx context.Context, orgID string, page auth.PageRequest) (auth.Page[auth.AuditEvent], error) {
	return listQuery[auth.AuditEvent]{
		what:       "list audit events",
		selectSQL:  `SELECT ` + auditColumns + ` FROM audit_events`,
		where:      `org_id = $1`,
		args:       []any{orgID},
		timeColumn: "at",
		idPrefix:   auth.AuditEventIDPrefix,
		scan:       func(r *sql.Rows) (auth.AuditEvent, error) { return scanAuditEvent(r) },
		cursor:     func(e auth.AuditEvent) auth.Cursor { return auth.Cursor{At: e.At, ID: e.ID} },
	}.run(ctx, s.db, page)
}
