package accountsstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

const membershipColumns = `org_id, identity_id, role, email, created_at, updated_at`

func scanMembership(r rowScanner) (accounts.Membership, error) {
	var (
		m                accounts.Membership
		role             string
		created, updated int64
	)
	if err := r.Scan(&m.OrgID, &m.IdentityID, &role, &m.Email, &created, &updated); err != nil {
		return accounts.Membership{}, err
	}
	m.Role = accounts.Role(role)
	m.CreatedAt, m.UpdatedAt = fromDB(created), fromDB(updated)
	return m, nil
}

// memberColumns are membershipColumns and the display name of the
// member's profile, "" without one, for a query FROM memberships.
const memberColumns = membershipColumns + `,
	COALESCE((SELECT p.display_name FROM profiles p WHERE p.identity_id = memberships.identity_id), '')`

func scanMember(r rowScanner) (accounts.Member, error) {
	var (
		m                accounts.Member
		role             string
		created, updated int64
	)
	if err := r.Scan(&m.OrgID, &m.IdentityID, &role, &m.Email, &created, &updated, &m.DisplayName); err != nil {
		return accounts.Member{}, err
	}
	m.Role = accounts.Role(role)
	m.CreatedAt, m.UpdatedAt = fromDB(created), fromDB(updated)
	return m, nil
}

// AddMembership implements accounts.Store.
func (s *Store) AddMembership(ctx context.Context, m accounts.Membership) (accounts.Membership, error) {
	if err := m.Validate(); err != nil {
		return accounts.Membership{}, fmt.Errorf("add membership: %w", err)
	}
	m.CreatedAt, m.UpdatedAt = stored(m.CreatedAt), stored(m.UpdatedAt)
	if err := insertMembership(ctx, s.db.DB, m); err != nil {
		return accounts.Membership{}, insertError("add membership", err)
	}
	return m, nil
}

// GetMembership implements accounts.Store.
func (s *Store) GetMembership(ctx context.Context, orgID, identityID string) (accounts.Membership, error) {
	m, err := scanMembership(s.db.QueryRowContext(ctx,
		`SELECT `+membershipColumns+` FROM memberships WHERE org_id = $1 AND identity_id = $2`, orgID, identityID))
	if err != nil {
		return accounts.Membership{}, notFound("get membership", err)
	}
	return m, nil
}

// ListMembers implements accounts.Store. The display name is read by a
// subquery on the profiles' primary key rather than a join, so that the
// list's unqualified column names stay the memberships'.
func (s *Store) ListMembers(ctx context.Context, orgID string, page accounts.PageRequest) (accounts.Page[accounts.Member], error) {
	return listQuery[accounts.Member]{
		what:      "list members",
		selectSQL: `SELECT ` + memberColumns + ` FROM memberships`,
		where:     "org_id = $1",
		args:      []any{orgID},
		keyColumn: "identity_id",
		validKey:  accounts.ValidIdentityID,
		scan:      scanMember,
		cursor: func(m accounts.Member) accounts.Cursor {
			return accounts.Cursor{At: m.CreatedAt, Key: m.IdentityID}
		},
	}.run(ctx, s.db.DB, page)
}

// ListIdentityMemberships implements accounts.Store.
func (s *Store) ListIdentityMemberships(ctx context.Context, identityID string) ([]accounts.Membership, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+membershipColumns+` FROM memberships WHERE identity_id = $1 ORDER BY org_id`, identityID)
	if err != nil {
		return nil, fmt.Errorf("list identity memberships: %w", err)
	}
	defer rows.Close()
	out := []accounts.Membership{}
	for rows.Next() {
		m, err := scanMembership(rows)
		if err != nil {
			return nil, fmt.Errorf("list identity memberships: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list identity memberships: %w", err)
	}
	return out, nil
}

// ChangeRole implements accounts.Store. The last-owner rule is checked and
// the role changed in one transaction that first locks the organization
// (see lockForOwnerChange), so two owners demoted at once cannot both see
// the other still in place.
func (s *Store) ChangeRole(ctx context.Context, orgID, identityID string, role accounts.Role, at time.Time) (accounts.Membership, error) {
	if !role.Valid() {
		return accounts.Membership{}, fmt.Errorf("change role: %w",
			accounts.NewError(accounts.ErrInvalid, "role must be owner, admin, editor or viewer"))
	}
	var m accounts.Membership
	err := s.db.InTx(ctx, nil, func(tx *sql.Tx) error {
		cur, err := s.lockForOwnerChange(ctx, tx, orgID, identityID)
		if err != nil {
			return fmt.Errorf("change role: %w", err)
		}
		if cur.Role == accounts.RoleOwner && role != accounts.RoleOwner {
			if err := keepsAnOwner(ctx, tx, orgID); err != nil {
				return fmt.Errorf("change role: %w", err)
			}
		}
		m, err = scanMembership(tx.QueryRowContext(ctx,
			`UPDATE memberships SET role = $3, updated_at = $4 WHERE org_id = $1 AND identity_id = $2
			RETURNING `+membershipColumns,
			orgID, identityID, string(role), toDB(at)))
		if err != nil {
			return notFound("change role", err)
		}
		return nil
	})
	if err != nil {
		return accounts.Membership{}, err
	}
	return m, nil
}

// RemoveMembership implements accounts.Store, under the same lock as
// ChangeRole.
func (s *Store) RemoveMembership(ctx context.Context, orgID, identityID string) error {
	return s.db.InTx(ctx, nil, func(tx *sql.Tx) error {
		cur, err := s.lockForOwnerChange(ctx, tx, orgID, identityID)
		if err != nil {
			return fmt.Errorf("remove membership: %w", err)
		}
		if cur.Role == accounts.RoleOwner {
			if err := keepsAnOwner(ctx, tx, orgID); err != nil {
				return fmt.Errorf("remove membership: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx,
			`DELETE FROM memberships WHERE org_id = $1 AND identity_id = $2`, orgID, identityID); err != nil {
			return fmt.Errorf("remove membership: %w", err)
		}
		return nil
	})
}

// lockForOwnerChange serialises, per organization, the transactions that
// may take an owner away, and returns the membership they change.
//
// On PostgreSQL it locks the organization's row with FOR NO KEY UPDATE:
// every demotion and removal takes that lock first, so they run one at a
// time per organization, and under READ COMMITTED each later statement of
// the transaction sees what the previous holder committed. NO KEY UPDATE
// rather than UPDATE, because it does not conflict with the KEY SHARE lock
// that inserting a membership takes on the row for its foreign key, so
// adding members does not wait. On SQLite, sqldb begins every read-write
// transaction IMMEDIATE: the write lock is held from the start, so the
// transactions are already serialised and no lock clause is needed (SQLite
// has none).
func (s *Store) lockForOwnerChange(ctx context.Context, tx *sql.Tx, orgID, identityID string) (accounts.Membership, error) {
	lock := `SELECT id FROM organizations WHERE id = $1`
	if s.db.Dialect() == sqldb.Postgres {
		lock += ` FOR NO KEY UPDATE`
	}
	var id string
	if err := tx.QueryRowContext(ctx, lock, orgID).Scan(&id); err != nil {
		return accounts.Membership{}, notFound("lock organization", err)
	}
	m, err := scanMembership(tx.QueryRowContext(ctx,
		`SELECT `+membershipColumns+` FROM memberships WHERE org_id = $1 AND identity_id = $2`, orgID, identityID))
	if err != nil {
		return accounts.Membership{}, notFound("get membership", err)
	}
	return m, nil
}

// keepsAnOwner returns ErrLastOwner unless the organization has more than
// one owner. It must run under lockForOwnerChange.
func keepsAnOwner(ctx context.Context, tx *sql.Tx, orgID string) error {
	var owners int64
	if err := tx.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = $2`, orgID, string(accounts.RoleOwner)).Scan(&owners); err != nil {
		return fmt.Errorf("count owners: %w", err)
	}
	if owners <= 1 {
		return accounts.NewError(accounts.ErrLastOwner, "an organization must keep at least one owner")
	}
	return nil
}
