package sqldb

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"
)

// AppliedMigration is a row of schema_migrations.
type AppliedMigration struct {
	Version   int64
	Name      string
	Checksum  string
	AppliedAt time.Time
}

// Status is what the database has recorded of a migration file system's
// migrations, read without changing anything.
type Status struct {
	// Applied are the migrations recorded with the checksum their file
	// has, in version order.
	Applied []AppliedMigration
	// Pending are the migrations not recorded yet, in version order: what
	// Migrate would apply.
	Pending []Migration
	// Changed are recorded migrations whose file now has another
	// checksum; Migrate refuses to run while there is one.
	Changed []AppliedMigration
	// Newer are recorded migrations the file system does not have: a
	// newer binary applied them. They are left alone.
	Newer []AppliedMigration
}

// Current reports whether nothing is pending or changed.
func (s Status) Current() bool { return len(s.Pending) == 0 && len(s.Changed) == 0 }

// Version is the highest recorded version, 0 for an empty database.
func (s Status) Version() int64 {
	var v int64
	for _, list := range [][]AppliedMigration{s.Applied, s.Changed, s.Newer} {
		for _, m := range list {
			v = max(v, m.Version)
		}
	}
	return v
}

// MigrationStatus compares the migrations in the root of fsys (see
// LoadMigrations) with those db has recorded. It only reads: a database
// never migrated has every migration pending.
func MigrationStatus(ctx context.Context, db *DB, fsys fs.FS) (Status, error) {
	migs, err := LoadMigrations(fsys, db.dialect)
	if err != nil {
		return Status{}, fmt.Errorf("migration status: %w", err)
	}
	recorded, err := recordedMigrations(ctx, db)
	if err != nil {
		return Status{}, fmt.Errorf("migration status: %w", err)
	}
	var s Status
	known := make(map[int64]bool, len(migs))
	for _, m := range migs {
		known[m.Version] = true
		r, ok := recorded[m.Version]
		switch {
		case !ok:
			s.Pending = append(s.Pending, m)
		case r.Checksum != m.Checksum:
			s.Changed = append(s.Changed, r)
		default:
			s.Applied = append(s.Applied, r)
		}
	}
	for v, r := range recorded {
		if !known[v] {
			s.Newer = append(s.Newer, r)
		}
	}
	sortApplied(s.Newer)
	return s, nil
}

// RequireCurrent fails unless db has recorded every migration of fsys,
// unchanged: for a process that must not migrate itself. The error names
// what is missing.
func RequireCurrent(ctx context.Context, db *DB, fsys fs.FS) error {
	s, err := MigrationStatus(ctx, db, fsys)
	if err != nil {
		return err
	}
	if len(s.Changed) > 0 {
		return fmt.Errorf("applied migration %s has changed since it was applied", s.Changed[0].Name)
	}
	if len(s.Pending) > 0 {
		names := make([]string, len(s.Pending))
		for i, m := range s.Pending {
			names[i] = m.Name
		}
		return fmt.Errorf("the schema lacks %d migration(s) this binary needs (%s)", len(names), strings.Join(names, ", "))
	}
	return nil
}

// recordedMigrations reads schema_migrations, empty when the table does
// not exist yet.
func recordedMigrations(ctx context.Context, db *DB) (map[int64]AppliedMigration, error) {
	exists := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if db.dialect == Postgres {
		exists = `SELECT COUNT(*) FROM (SELECT to_regclass('schema_migrations') AS t) r WHERE t IS NOT NULL`
	}
	var n int
	if err := db.QueryRowContext(ctx, exists).Scan(&n); err != nil {
		return nil, fmt.Errorf("look for schema_migrations: %w", err)
	}
	out := map[int64]AppliedMigration{}
	if n == 0 {
		return out, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT version, name, checksum, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m AppliedMigration
		var at int64
		if err := rows.Scan(&m.Version, &m.Name, &m.Checksum, &at); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		m.AppliedAt = time.UnixMicro(at).UTC()
		out[m.Version] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return out, nil
}

func sortApplied(list []AppliedMigration) {
	slices.SortFunc(list, func(a, b AppliedMigration) int { return cmp.Compare(a.Version, b.Version) })
}
