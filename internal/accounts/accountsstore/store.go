// Package accountsstore is the SQL implementation of accounts.Store, for
// SQLite and PostgreSQL through sqldb.
//
// Every statement is one text for both dialects ($N placeholders, standard
// SQL), except the row lock of the last-owner rule (see ChangeRole).
// Timestamps are stored as BIGINT microseconds since the Unix epoch in UTC,
// as in the auth store: the same type, precision and ordering on both
// backends, and exact to compare in keyset pagination.
package accountsstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the store's schema migrations, for tools that apply
// them ahead of a start (Open applies them too).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(fmt.Sprintf("accountsstore: embedded migrations: %v", err)) // cannot happen: the directory is embedded
	}
	return sub
}

// Store keeps the accounts service's records in a SQL database.
type Store struct {
	db *sqldb.DB
}

// Open applies the store's migrations to db and returns a Store over it.
// The caller keeps ownership of db and closes it.
func Open(ctx context.Context, db *sqldb.DB) (*Store, error) {
	if err := sqldb.Migrate(ctx, db, Migrations()); err != nil {
		return nil, fmt.Errorf("open accounts store: %w", err)
	}
	return &Store{db: db}, nil
}

// toDB converts t to the stored representation.
func toDB(t time.Time) int64 { return t.UnixMicro() }

// fromDB converts a stored timestamp back.
func fromDB(us int64) time.Time { return time.UnixMicro(us).UTC() }

// stored returns t as a store returns it: UTC, truncated to microseconds.
func stored(t time.Time) time.Time { return fromDB(toDB(t)) }

type rowScanner interface{ Scan(dest ...any) error }

// insertError maps a failed INSERT's or UPDATE's constraint violations to
// the sentinel errors.
func insertError(what string, err error) error {
	switch {
	case sqldb.IsUniqueViolation(err):
		return fmt.Errorf("%s: %w", what, accounts.ErrConflict)
	case sqldb.IsForeignKeyViolation(err):
		return fmt.Errorf("%s: referenced record: %w", what, accounts.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// notFound maps sql.ErrNoRows to accounts.ErrNotFound.
func notFound(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, accounts.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

var _ accounts.Store = (*Store)(nil)
