package sqldb

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Migration is one schema change read from a migration file system.
type Migration struct {
	// Version orders migrations; it is the file name's leading number.
	Version int64
	// Name is the file name, e.g. "0001_init.sql".
	Name string
	// SQL is the file's contents, run as one script.
	SQL string
	// Checksum is the hex SHA-256 of SQL, recorded when the migration is
	// applied and compared on every later start.
	Checksum string
}

// migrationName matches NNNN_name.sql and NNNN_name.<dialect>.sql.
var migrationName = regexp.MustCompile(`^([0-9]{4,18})_([a-z0-9_]+)(?:\.(sqlite|postgres))?\.sql$`)

// migrationLockKey is the pg_advisory_xact_lock key that serialises
// migrations of concurrently starting processes on PostgreSQL. On SQLite
// every migration transaction begins IMMEDIATE, which serialises them too.
const migrationLockKey = 0x706f727469636f // "portico"

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version BIGINT PRIMARY KEY,
	name TEXT NOT NULL,
	checksum TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`

// LoadMigrations reads the migrations in the root of fsys that apply to
// dialect d, sorted by version. A version has either one file for every
// dialect (NNNN_name.sql) or files for specific dialects
// (NNNN_name.sqlite.sql, NNNN_name.postgres.sql), never both and never two
// files for the same dialect; a version with files only for other dialects
// is skipped, which lets one backend have extra objects. Files whose names
// do not match are an error, so a misnamed migration is never silently
// ignored.
func LoadMigrations(fsys fs.FS, d Dialect) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	// files maps a version to its file names keyed by dialect ("" for all).
	files := map[int64]map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %q: name must be NNNN_name.sql or NNNN_name.<sqlite|postgres>.sql", e.Name())
		}
		version, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || version <= 0 {
			return nil, fmt.Errorf("migration %q: version must be a positive number", e.Name())
		}
		byDialect := files[version]
		if byDialect == nil {
			byDialect = map[string]string{}
			files[version] = byDialect
		}
		if prev, ok := byDialect[m[3]]; ok {
			return nil, fmt.Errorf("migrations %q and %q have the same version and dialect", prev, e.Name())
		}
		byDialect[m[3]] = e.Name()
	}
	var out []Migration
	for version, byDialect := range files {
		generic, hasGeneric := byDialect[""]
		if hasGeneric && len(byDialect) > 1 {
			return nil, fmt.Errorf("migration %d: %q clashes with a dialect-specific file of the same version", version, generic)
		}
		name, ok := byDialect[d.String()]
		if hasGeneric {
			name, ok = generic, true
		}
		if !ok {
			continue
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", name, err)
		}
		sum := sha256.Sum256(body)
		out = append(out, Migration{Version: version, Name: name, SQL: string(body), Checksum: hex.EncodeToString(sum[:])})
	}
	slices.SortFunc(out, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	return out, nil
}

// Migrate applies the migrations in the root of fsys (see LoadMigrations)
// that the database has not recorded yet, in version order, each in its own
// transaction together with its row in schema_migrations. A migration
// recorded with a different checksum than its file has now is an error:
// applied migrations must never change. Processes that start at the same
// time may all call Migrate; each migration runs exactly once.
// Migrations recorded in the database but unknown to fsys are left alone,
// so an older binary can still start against a schema a newer one extended.
// On a database opened with MigrationsCheck, Migrate changes nothing and
// fails unless every migration is recorded (RequireCurrent).
func Migrate(ctx context.Context, db *DB, fsys fs.FS) error {
	if db.migrations == MigrationsCheck {
		if err := RequireCurrent(ctx, db, fsys); err != nil {
			return fmt.Errorf("migrate: %w; run portico migrate first", err)
		}
		return nil
	}
	migs, err := LoadMigrations(fsys, db.dialect)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := db.InTx(ctx, nil, func(tx *sql.Tx) error {
		if err := lockMigrations(ctx, db, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range migs {
		if err := db.InTx(ctx, nil, func(tx *sql.Tx) error { return applyMigration(ctx, db, tx, m) }); err != nil {
			return fmt.Errorf("migrate %s: %w", m.Name, err)
		}
	}
	return nil
}

func lockMigrations(ctx context.Context, db *DB, tx *sql.Tx) error {
	if db.dialect != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLockKey)); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	return nil
}

func applyMigration(ctx context.Context, db *DB, tx *sql.Tx, m Migration) error {
	if err := lockMigrations(ctx, db, tx); err != nil {
		return err
	}
	var checksum string
	err := tx.QueryRowContext(ctx, `SELECT checksum FROM schema_migrations WHERE version = $1`, m.Version).Scan(&checksum)
	switch {
	case err == nil:
		if checksum != m.Checksum {
			return fmt.Errorf("applied migration %d has changed: recorded checksum %s, file checksum %s", m.Version, checksum, m.Checksum)
		}
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)`,
		m.Version, m.Name, m.Checksum, time.Now().UTC().UnixMicro()); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return nil
}
