package accountsstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/portico-gw/portico/internal/accounts"
)

// CreateOrganizationWithOwner implements accounts.Store: the idempotency
// record first, so that of two requests with one key the second fails on
// it (after waiting for the first to commit, on PostgreSQL) before it
// writes anything, then the organization and its owner.
func (s *Store) CreateOrganizationWithOwner(ctx context.Context, o accounts.Organization, owner *accounts.Membership, idem *accounts.IdempotencyRecord) (accounts.Organization, error) {
	if err := o.Validate(); err != nil {
		return accounts.Organization{}, fmt.Errorf("create organization: %w", err)
	}
	if owner != nil {
		if err := owner.Validate(); err != nil {
			return accounts.Organization{}, fmt.Errorf("create organization: owner: %w", err)
		}
	}
	if owner != nil && owner.OrgID != o.ID {
		return accounts.Organization{}, fmt.Errorf("create organization: %w",
			accounts.NewError(accounts.ErrInvalid, "the owner's membership must be of the organization"))
	}
	if idem != nil {
		if err := idem.Validate(); err != nil {
			return accounts.Organization{}, fmt.Errorf("create organization: %w", err)
		}
	}
	o.CreatedAt, o.UpdatedAt = stored(o.CreatedAt), stored(o.UpdatedAt)
	err := s.db.InTx(ctx, nil, func(tx *sql.Tx) error {
		if idem != nil {
			if err := insertIdempotencyRecord(ctx, tx, *idem); err != nil {
				return err
			}
		}
		if err := insertOrganization(ctx, tx, o); err != nil {
			return insertError("create organization", err)
		}
		if owner == nil {
			return nil
		}
		if err := insertMembership(ctx, tx, *owner); err != nil {
			return insertError("create organization: owner", err)
		}
		return nil
	})
	if err != nil {
		return accounts.Organization{}, err
	}
	return o, nil
}

// insertIdempotencyRecord stores r, replacing an expired record of the
// same scope and key; ErrIdempotencyKeyReused if one has not expired.
func insertIdempotencyRecord(ctx context.Context, tx *sql.Tx, r accounts.IdempotencyRecord) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_records WHERE scope = $1 AND idem_key = $2 AND expires_at <= $3`,
		r.Scope, r.Key, toDB(r.CreatedAt)); err != nil {
		return fmt.Errorf("idempotency record: %w", err)
	}
	_, err := tx.ExecContext(ctx,
		`INSERT INTO idempotency_records (scope, idem_key, fingerprint, resource_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		r.Scope, r.Key, hashText(r.Fingerprint), r.ResourceID, toDB(r.CreatedAt), toDB(r.ExpiresAt))
	if err != nil {
		if e := insertError("idempotency record", err); accounts.Code(e) == accounts.ErrConflict {
			return fmt.Errorf("idempotency record: %w", accounts.ErrIdempotencyKeyReused)
		}
		return fmt.Errorf("idempotency record: %w", err)
	}
	return nil
}

func insertOrganization(ctx context.Context, tx *sql.Tx, o accounts.Organization) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO organizations (`+orgColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		o.ID, o.Name, o.Slug, o.Plan.Name, o.Plan.ViewerCap, string(o.Status), o.Staff, toDB(o.CreatedAt), toDB(o.UpdatedAt))
	return err
}

// execer is a database or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func insertMembership(ctx context.Context, db execer, m accounts.Membership) error {
	_, err := db.ExecContext(ctx,
		`INSERT INTO memberships (`+membershipColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		m.OrgID, m.IdentityID, string(m.Role), m.Email, toDB(m.CreatedAt), toDB(m.UpdatedAt))
	return err
}

// EnsureStaffOrganization implements accounts.Store with two inserts that
// do nothing on a conflict: on PostgreSQL a concurrent call's insert waits
// for the first to commit and then does nothing, and the SELECT after it,
// a new snapshot under READ COMMITTED, sees the winner's row; on SQLite
// the IMMEDIATE transactions run one at a time.
func (s *Store) EnsureStaffOrganization(ctx context.Context, o accounts.Organization, owner accounts.Membership) (accounts.Organization, bool, error) {
	if !o.Staff {
		return accounts.Organization{}, false, fmt.Errorf("ensure staff organization: %w",
			accounts.NewError(accounts.ErrInvalid, "the organization must be the staff organization"))
	}
	if err := o.Validate(); err != nil {
		return accounts.Organization{}, false, fmt.Errorf("ensure staff organization: %w", err)
	}
	if err := owner.Validate(); err != nil {
		return accounts.Organization{}, false, fmt.Errorf("ensure staff organization: owner: %w", err)
	}
	var (
		staff   accounts.Organization
		created bool
	)
	err := s.db.InTx(ctx, nil, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO organizations (`+orgColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
			o.ID, o.Name, o.Slug, o.Plan.Name, o.Plan.ViewerCap, string(o.Status), true, toDB(o.CreatedAt), toDB(o.UpdatedAt))
		if err != nil {
			return fmt.Errorf("ensure staff organization: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("ensure staff organization: %w", err)
		}
		created = n == 1
		staff, err = scanOrganization(tx.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations WHERE staff = $1`, true))
		if err != nil {
			if e := notFound("ensure staff organization", err); accounts.Code(e) == accounts.ErrNotFound {
				// The insert did nothing, yet there is no staff
				// organization: the slug is another's.
				return fmt.Errorf("ensure staff organization: slug taken: %w", accounts.ErrConflict)
			}
			return fmt.Errorf("ensure staff organization: %w", err)
		}
		// A member keeps its role; only an unknown address is filled in.
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO memberships (`+membershipColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (org_id, identity_id) DO UPDATE SET email = excluded.email
			WHERE memberships.email = '' AND excluded.email <> ''`,
			staff.ID, owner.IdentityID, string(owner.Role), owner.Email, toDB(owner.CreatedAt), toDB(owner.UpdatedAt)); err != nil {
			return fmt.Errorf("ensure staff organization: owner: %w", err)
		}
		return nil
	})
	if err != nil {
		return accounts.Organization{}, false, err
	}
	return staff, created, nil
}
