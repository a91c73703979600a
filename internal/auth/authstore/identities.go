package authstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

const identityColumns = `id, email, email_norm, status, password_hash, created_at, updated_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanIdentity(r rowScanner) (auth.Identity, error) {
	var (
		i                auth.Identity
		status           string
		created, updated int64
	)
	if err := r.Scan(&i.ID, &i.Email, &i.EmailNorm, &status, &i.PasswordHash, &created, &updated); err != nil {
		return auth.Identity{}, err
	}
	i.Status = auth.IdentityStatus(status)
	i.CreatedAt, i.UpdatedAt = fromDB(created), fromDB(updated)
	return i, nil
}

// CreateIdentity implements auth.Store.
func (s *Store) CreateIdentity(ctx context.Context, i auth.Identity) (auth.Identity, error) {
	if err := i.Validate(); err != nil {
		return auth.Identity{}, fmt.Errorf("create identity: %w", err)
	}
	i.EmailNorm = auth.NormalizeEmail(i.Email)
	i.CreatedAt, i.UpdatedAt = stored(i.CreatedAt), stored(i.UpdatedAt)
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO identities (`+identityColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		i.ID, i.Email, i.EmailNorm, string(i.Status), i.PasswordHash, toDB(i.CreatedAt), toDB(i.UpdatedAt))
	if err != nil {
		return auth.Identity{}, insertError("create identity", err)
	}
	return i, nil
}

// GetIdentity implements auth.Store.
func (s *Store) GetIdentity(ctx context.Context, id string) (auth.Identity, error) {
	i, err := scanIdentity(s.db.QueryRowContext(ctx,
		`SELECT `+identityColumns+` FROM identities WHERE id = $1`, id))
	if err != nil {
		return auth.Identity{}, notFound("get identity", err)
	}
	return i, nil
}

// GetIdentityByEmail implements auth.Store.
func (s *Store) GetIdentityByEmail(ctx context.Context, email string) (auth.Identity, error) {
	i, err := scanIdentity(s.db.QueryRowContext(ctx,
		`SELECT `+identityColumns+` FROM identities WHERE email_norm = $1`, auth.NormalizeEmail(email)))
	if err != nil {
		return auth.Identity{}, notFound("get identity by email", err)
	}
	return i, nil
}

// UpdatePasswordHash implements auth.Store.
func (s *Store) UpdatePasswordHash(ctx context.Context, id, passwordHash string, at time.Time) error {
	if len(passwordHash) > auth.MaxPasswordHashLen {
		return fmt.Errorf("update password hash: longer than %d bytes: %w", auth.MaxPasswordHashLen, auth.ErrInvalid)
	}
	return s.execOne(ctx, "update password hash",
		`UPDATE identities SET password_hash = $2, updated_at = $3 WHERE id = $1`, id, passwordHash, toDB(at))
}

// SetIdentityStatus implements auth.Store.
func (s *Store) SetIdentityStatus(ctx context.Context, id string, status auth.IdentityStatus, at time.Time) error {
	if !status.Valid() {
		return fmt.Errorf("set identity status %q: %w", status, auth.ErrInvalid)
	}
	return s.execOne(ctx, "set identity status",
		`UPDATE identities SET status = $2, updated_at = $3 WHERE id = $1`, id, string(status), toDB(at))
}

// ListIdentities implements auth.Store.
func (s *Store) ListIdentities(ctx context.Context, page auth.PageRequest) (auth.Page[auth.Identity], error) {
	return listQuery[auth.Identity]{
		what:       "list identities",
		selectSQL:  `SELECT ` + identityColumns + ` FROM identities`,
		timeColumn: "created_at",
		idPrefix:   auth.IdentityIDPrefix,
		scan:       func(r *sql.Rows) (auth.Identity, error) { return scanIdentity(r) },
		cursor:     func(i auth.Identity) auth.Cursor { return auth.Cursor{At: i.CreatedAt, ID: i.ID} },
	}.run(ctx, s.db, page)
}
