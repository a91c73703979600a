// Package configsstore is the SQL implementation of configs.Store, for
// SQLite and PostgreSQL through sqldb.
//
// Every statement is one text for both dialects ($N placeholders, standard
// SQL). Timestamps are stored as BIGINT microseconds since the Unix epoch
// in UTC, as in the auth and accounts stores: the same type, precision and
// ordering on both backends, and exact to compare in keyset pagination.
//
// # Concurrent settings versions
//
// AppendSettingsVersion reads the integration's highest version and, if it
// is the expected one, inserts the next, in one transaction; the primary
// key (integration_id, version) settles the race between writers that read
// the same highest version. On SQLite, sqldb begins every read-write
// transaction IMMEDIATE, so appends run one at a time and a later one
// already reads the earlier one's version and fails the expected-version
// check. On PostgreSQL, under READ COMMITTED, both may read the same
// highest version; the second INSERT of the same key then waits on the
// first transaction and fails with a unique violation once it commits,
// which the store maps to ErrConflict like a failed check. No row lock is
// taken: the unique index is the lock, and it only ever blocks writers of
// the same integration and number.
//
// # Audit, revision, idempotency
//
// Every change runs in one transaction with its audit entry and one
// increment of the single-row change_revision table (see change), so a
// change, its record and the signal to other replicas commit together or
// not at all. On PostgreSQL the increment serialises the service's
// changes on that row for the moment of their commit: configuration
// changes are rare, and one counter lets a replica learn with one cheap
// query that it must reload. An Idempotency-Key record is inserted in the
// creation's transaction, so concurrent requests with one key create one
// integration: the others fail on the record's primary key.
package configsstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the store's schema migrations, for tools that apply
// them ahead of a start (Open applies them too).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(fmt.Sprintf("configsstore: embedded migrations: %v", err)) // cannot happen: the directory is embedded
	}
	return sub
}

// Store keeps the configs service's records in a SQL database.
type Store struct {
	db *sqldb.DB
}

// Open applies the store's migrations to db and returns a Store over it.
// The caller keeps ownership of db and closes it.
func Open(ctx context.Context, db *sqldb.DB) (*Store, error) {
	if err := sqldb.Migrate(ctx, db, Migrations()); err != nil {
		return nil, fmt.Errorf("open configs store: %w", err)
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

// writeError maps a failed INSERT's or UPDATE's constraint violations to
// the sentinel errors.
func writeError(what string, err error) error {
	switch {
	case sqldb.IsUniqueViolation(err):
		return fmt.Errorf("%s: %w", what, configs.ErrConflict)
	case sqldb.IsForeignKeyViolation(err):
		return fmt.Errorf("%s: referenced record: %w", what, configs.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// notFound maps sql.ErrNoRows to configs.ErrNotFound.
func notFound(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, configs.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

var _ configs.Store = (*Store)(nil)
