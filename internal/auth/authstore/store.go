// Package authstore is the SQL implementation of auth.Store, for SQLite and
// PostgreSQL through sqldb.
//
// Every statement is one text for both dialects ($N placeholders, standard
// SQL). Timestamps are stored as BIGINT microseconds since the Unix epoch in
// UTC: the same type, precision and ordering on both backends, exact to
// compare in keyset pagination, and free of driver-specific time parsing.
// Token and secret hashes are stored as lower-case hex; the secrets
// themselves never reach the database.
package authstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the store's schema migrations, for tools that apply
// them ahead of a start (Open applies them too).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(fmt.Sprintf("authstore: embedded migrations: %v", err)) // cannot happen: the directory is embedded
	}
	return sub
}

// Store keeps the auth service's records in a SQL database.
type Store struct {
	db *sqldb.DB
}

// Open applies the store's migrations to db and returns a Store over it.
// The caller keeps ownership of db and closes it.
func Open(ctx context.Context, db *sqldb.DB) (*Store, error) {
	if err := sqldb.Migrate(ctx, db, Migrations()); err != nil {
		return nil, fmt.Errorf("open auth store: %w", err)
	}
	return &Store{db: db}, nil
}

// toDB converts t to the stored representation.
func toDB(t time.Time) int64 { return t.UnixMicro() }

// fromDB converts a stored timestamp back.
func fromDB(us int64) time.Time { return time.UnixMicro(us).UTC() }

// stored returns t as a store returns it: UTC, truncated to microseconds.
func stored(t time.Time) time.Time { return fromDB(toDB(t)) }

func toNullDB(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: toDB(*t), Valid: true}
}

func fromNullDB(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromDB(v.Int64)
	return &t
}

func storedPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	s := stored(*t)
	return &s
}

// insertError maps a failed INSERT's constraint violations to the
// sentinel errors.
func insertError(what string, err error) error {
	switch {
	case sqldb.IsUniqueViolation(err):
		return fmt.Errorf("%s: %w", what, auth.ErrConflict)
	case sqldb.IsForeignKeyViolation(err):
		return fmt.Errorf("%s: referenced record: %w", what, auth.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// notFound maps sql.ErrNoRows to auth.ErrNotFound.
func notFound(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, auth.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// execOne runs an UPDATE that must match one row; none is ErrNotFound.
func (s *Store) execOne(ctx context.Context, what, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, auth.ErrNotFound)
	}
	return nil
}

var _ auth.Store = (*Store)(nil)
