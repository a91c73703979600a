package sqldb_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/portico-gw/portico/internal/platform/sqldb"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

func mustMigrate(tb testing.TB, db *sqldb.DB, fsys fstest.MapFS) {
	tb.Helper()
	if err := sqldb.Migrate(context.Background(), db, fsys); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func tableNames(tb testing.TB, db *sqldb.DB) map[string]bool {
	tb.Helper()
	q := `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	if db.Dialect() == sqldb.SQLite {
		q = `SELECT name FROM sqlite_master WHERE type = 'table'`
	}
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		tb.Fatalf("list tables: %v", err)
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			tb.Fatalf("scan table name: %v", err)
		}
		names[n] = true
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("list tables: %v", err)
	}
	return names
}

func TestMigrate(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			ctx := context.Background()
			fsys := fstest.MapFS{
				"0002_b.sql":          file(`INSERT INTO a (id) VALUES (2); CREATE TABLE b (id BIGINT PRIMARY KEY);`),
				"0001_a.sql":          file(`CREATE TABLE a (id BIGINT PRIMARY KEY); INSERT INTO a (id) VALUES (1);`),
				"0003_c.sqlite.sql":   file(`CREATE TABLE only_sqlite (id BIGINT);`),
				"0003_c.postgres.sql": file(`CREATE TABLE only_postgres (id BIGINT);`),
				"0004_d.postgres.sql": file(`CREATE TABLE extra_postgres (id BIGINT);`),
			}
			mustMigrate(t, db, fsys)
			mustMigrate(t, db, fsys) // a second run applies nothing

			tables := tableNames(t, db)
			for name, want := range map[string]bool{
				"a": true, "b": true, "schema_migrations": true,
				"only_sqlite":    b.Dialect == sqldb.SQLite,
				"only_postgres":  b.Dialect == sqldb.Postgres,
				"extra_postgres": b.Dialect == sqldb.Postgres,
			} {
				if got := tables[name]; got != want {
					t.Errorf("table %s exists: got %v, want %v", name, got, want)
				}
			}
			var rowsInA, applied int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM a`).Scan(&rowsInA); err != nil {
				t.Fatal(err)
			}
			if rowsInA != 2 {
				t.Errorf("got %d rows in a, want 2 (each migration once, in order)", rowsInA)
			}
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil {
				t.Fatal(err)
			}
			want := 3
			if b.Dialect == sqldb.Postgres {
				want = 4
			}
			if applied != want {
				t.Errorf("got %d recorded migrations, want %d", applied, want)
			}
		})
	}
}

func TestMigrateChangedChecksum(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			mustMigrate(t, db, fstest.MapFS{"0001_a.sql": file(`CREATE TABLE a (id BIGINT);`)})
			err := sqldb.Migrate(context.Background(), db, fstest.MapFS{"0001_a.sql": file(`CREATE TABLE a (id TEXT);`)})
			if err == nil || !strings.Contains(err.Error(), "has changed") {
				t.Errorf("got error %v, want a changed-migration error", err)
			}
		})
	}
}

func TestMigrateFailureRollsBack(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			err := sqldb.Migrate(context.Background(), db, fstest.MapFS{
				"0001_a.sql": file(`CREATE TABLE a (id BIGINT); CREATE TABLE a (id BIGINT);`),
			})
			if err == nil {
				t.Fatal("got nil error for a failing migration, want an error")
			}
			tables := tableNames(t, db)
			if tables["a"] {
				t.Error("table a exists after a failed migration, want it rolled back")
			}
			var applied int
			if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil {
				t.Fatal(err)
			}
			if applied != 0 {
				t.Errorf("got %d recorded migrations, want 0", applied)
			}
		})
	}
}

// TestMigrateConcurrent starts several migrations at once, as replicas of a
// service starting together do; each migration must run exactly once.
func TestMigrateConcurrent(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			fsys := fstest.MapFS{
				"0001_a.sql": file(`CREATE TABLE a (id BIGINT NOT NULL);`),
				"0002_b.sql": file(`INSERT INTO a (id) VALUES (1);`),
			}
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for range 4 {
				wg.Go(func() { errs <- sqldb.Migrate(context.Background(), db, fsys) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("concurrent migrate: %v", err)
				}
			}
			var n int
			if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM a`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("got %d rows, want 1 (migration 2 applied once)", n)
			}
		})
	}
}

func TestLoadMigrationsRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys fstest.MapFS
	}{
		{"bad name", fstest.MapFS{"init.sql": file("")}},
		{"unknown dialect", fstest.MapFS{"0001_a.mysql.sql": file("")}},
		{"zero version", fstest.MapFS{"0000_a.sql": file("")}},
		{"duplicate version", fstest.MapFS{"0001_a.sql": file(""), "0001_b.sql": file("")}},
		{"generic and specific", fstest.MapFS{"0001_a.sql": file(""), "0001_a.postgres.sql": file("")}},
		{"two for one dialect", fstest.MapFS{"0001_a.sqlite.sql": file(""), "0001_b.sqlite.sql": file("")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := sqldb.LoadMigrations(tc.fsys, sqldb.SQLite); err == nil {
				t.Error("got nil error, want an error")
			}
		})
	}
}

func TestMigrationStatus(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			ctx := context.Background()
			v1 := fstest.MapFS{"0001_a.sql": file(`CREATE TABLE a (id BIGINT);`)}
			v2 := fstest.MapFS{"0001_a.sql": v1["0001_a.sql"], "0002_b.sql": file(`CREATE TABLE b (id BIGINT);`)}

			// Never migrated: everything pending, and reading created nothing.
			s, err := sqldb.MigrationStatus(ctx, db, v2)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Pending) != 2 || len(s.Applied) != 0 || s.Current() || s.Version() != 0 {
				t.Fatalf("status of an empty database = %+v, want both pending", s)
			}
			if tableNames(t, db)["schema_migrations"] {
				t.Error("MigrationStatus created schema_migrations")
			}
			if err := sqldb.RequireCurrent(ctx, db, v2); err == nil || !strings.Contains(err.Error(), "0001_a.sql, 0002_b.sql") {
				t.Errorf("RequireCurrent on an empty database = %v, want both named", err)
			}

			mustMigrate(t, db, v1)
			s, err = sqldb.MigrationStatus(ctx, db, v2)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Applied) != 1 || s.Applied[0].Name != "0001_a.sql" || s.Applied[0].AppliedAt.IsZero() ||
				len(s.Pending) != 1 || s.Pending[0].Name != "0002_b.sql" || s.Version() != 1 {
				t.Fatalf("status after the first migration = %+v", s)
			}
			if err := sqldb.RequireCurrent(ctx, db, v1); err != nil {
				t.Errorf("RequireCurrent with the older binary's migrations = %v, want nil", err)
			}

			// A newer binary's migration is reported as such, not pending.
			mustMigrate(t, db, v2)
			s, err = sqldb.MigrationStatus(ctx, db, v1)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Current() || len(s.Newer) != 1 || s.Newer[0].Version != 2 || s.Version() != 2 {
				t.Errorf("status seen by the older binary = %+v, want current with one newer migration", s)
			}

			changed := fstest.MapFS{"0001_a.sql": file(`CREATE TABLE a (id TEXT);`), "0002_b.sql": v2["0002_b.sql"]}
			s, err = sqldb.MigrationStatus(ctx, db, changed)
			if err != nil {
				t.Fatal(err)
			}
			if s.Current() || len(s.Changed) != 1 || s.Changed[0].Version != 1 {
				t.Errorf("status with a changed file = %+v, want it reported", s)
			}
			if err := sqldb.RequireCurrent(ctx, db, changed); err == nil || !strings.Contains(err.Error(), "changed") {
				t.Errorf("RequireCurrent with a changed file = %v", err)
			}
		})
	}
}

func TestMigrateCheckMode(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			dsn := b.DSN(t)
			open := func(o sqldb.Options) *sqldb.DB {
				db, err := sqldb.Open(ctx, dsn, o)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			db := open(sqldb.Options{})
			v1 := fstest.MapFS{"0001_a.sql": file(`CREATE TABLE a (id BIGINT);`)}
			v2 := fstest.MapFS{"0001_a.sql": v1["0001_a.sql"], "0002_b.sql": file(`CREATE TABLE b (id BIGINT);`)}
			mustMigrate(t, db, v1)

			checking := open(sqldb.Options{Migrations: sqldb.MigrationsCheck})
			if err := sqldb.Migrate(ctx, checking, v1); err != nil {
				t.Errorf("check mode with nothing pending = %v", err)
			}
			err := sqldb.Migrate(ctx, checking, v2)
			if err == nil || !strings.Contains(err.Error(), "0002_b.sql") || !strings.Contains(err.Error(), "portico migrate") {
				t.Errorf("check mode with a pending migration = %v, want it named with the way out", err)
			}
			if tableNames(t, db)["b"] {
				t.Error("check mode applied a migration")
			}
		})
	}
}
