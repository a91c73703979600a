package accountsstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

const orgColumns = `id, name, slug, plan_name, plan_viewer_cap, status, staff, created_at, updated_at`

func scanOrganization(r rowScanner) (accounts.Organization, error) {
	var (
		o                accounts.Organization
		status           string
		created, updated int64
	)
	if err := r.Scan(&o.ID, &o.Name, &o.Slug, &o.Plan.Name, &o.Plan.ViewerCap, &status, &o.Staff, &created, &updated); err != nil {
		return accounts.Organization{}, err
	}
	o.Status = accounts.OrgStatus(status)
	o.CreatedAt, o.UpdatedAt = fromDB(created), fromDB(updated)
	return o, nil
}

// CreateOrganization implements accounts.Store.
func (s *Store) CreateOrganization(ctx context.Context, o accounts.Organization) (accounts.Organization, error) {
	if err := o.Validate(); err != nil {
		return accounts.Organization{}, fmt.Errorf("create organization: %w", err)
	}
	o.CreatedAt, o.UpdatedAt = stored(o.CreatedAt), stored(o.UpdatedAt)
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO organizations (`+orgColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		o.ID, o.Name, o.Slug, o.Plan.Name, o.Plan.ViewerCap, string(o.Status), o.Staff, toDB(o.CreatedAt), toDB(o.UpdatedAt))
	if err != nil {
		return accounts.Organization{}, insertError("create organization", err)
	}
	return o, nil
}

// GetOrganization implements accounts.Store.
func (s *Store) GetOrganization(ctx context.Context, id string) (accounts.Organization, error) {
	o, err := scanOrganization(s.db.QueryRowContext(ctx,
		`SELECT `+orgColumns+` FROM organizations WHERE id = $1`, id))
	if err != nil {
		return accounts.Organization{}, notFound("get organization", err)
	}
	return o, nil
}

// ListOrganizations implements accounts.Store.
func (s *Store) ListOrganizations(ctx context.Context, f accounts.OrgFilter, page accounts.PageRequest) (accounts.Page[accounts.Organization], error) {
	if err := f.Validate(); err != nil {
		return accounts.Page[accounts.Organization]{}, fmt.Errorf("list organizations: %w", err)
	}
	var conds []string
	var args []any
	if f.Query != "" {
		args = append(args, f.LikePattern(), f.Query)
		lower := s.asciiLowerSQL
		conds = append(conds, `(`+lower("name")+` LIKE $1 ESCAPE '\' OR `+lower("slug")+` LIKE $1 ESCAPE '\' OR id = $2)`)
	}
	if f.Status != "" {
		args = append(args, string(f.Status))
		conds = append(conds, "status = $"+strconv.Itoa(len(args)))
	}
	return listQuery[accounts.Organization]{
		what:      "list organizations",
		selectSQL: `SELECT ` + orgColumns + ` FROM organizations`,
		where:     strings.Join(conds, " AND "),
		args:      args,
		keyColumn: "id",
		validKey:  accounts.ValidOrgID,
		scan:      scanOrganization,
		cursor: func(o accounts.Organization) accounts.Cursor {
			return accounts.Cursor{At: o.CreatedAt, Key: o.ID}
		},
	}.run(ctx, s.db.DB, page)
}

// UpdateOrganization implements accounts.Store.
func (s *Store) UpdateOrganization(ctx context.Context, o accounts.Organization) (accounts.Organization, error) {
	if err := o.Validate(); err != nil {
		return accounts.Organization{}, fmt.Errorf("update organization: %w", err)
	}
	got, err := scanOrganization(s.db.QueryRowContext(ctx,
		`UPDATE organizations SET name = $2, slug = $3, plan_name = $4, plan_viewer_cap = $5, status = $6, updated_at = $7
		WHERE id = $1 RETURNING `+orgColumns,
		o.ID, o.Name, o.Slug, o.Plan.Name, o.Plan.ViewerCap, string(o.Status), toDB(o.UpdatedAt)))
	if err != nil {
		if e := notFound("update organization", err); accounts.Code(e) == accounts.ErrNotFound {
			return accounts.Organization{}, e
		}
		return accounts.Organization{}, insertError("update organization", err)
	}
	return got, nil
}

// asciiLowerSQL returns an expression lowering the ASCII letters of col
// and nothing else, as accounts.OrgFilter.Selects does: SQLite's LOWER
// does just that; PostgreSQL's folds every letter, so it translates.
func (s *Store) asciiLowerSQL(col string) string {
	if s.db.Dialect() == sqldb.Postgres {
		return "TRANSLATE(" + col + ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
	}
	return "LOWER(" + col + ")"
}
