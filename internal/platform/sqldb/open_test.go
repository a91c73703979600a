package sqldb_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/platform/sqldb"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

func mustExec(tb testing.TB, db *sqldb.DB, query string, args ...any) {
	tb.Helper()
	if _, err := db.ExecContext(context.Background(), query, args...); err != nil {
		tb.Fatalf("exec %q: %v", query, err)
	}
}

func TestOpenDialect(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			if got, want := db.Dialect(), b.Dialect; got != want {
				t.Errorf("got dialect %v, want %v", got, want)
			}
		})
	}
}

func TestOpenSQLiteDSNForms(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, dsn string
	}{
		{"sqlite prefix", "sqlite:" + filepath.Join(dir, "a.db")},
		{"file prefix", "file:" + filepath.Join(dir, "b.db")},
		{"bare path", filepath.Join(dir, "c.db")},
		{"with query", "sqlite:" + filepath.Join(dir, "d.db") + "?_pragma=cache_size(-4000)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := sqldb.Open(context.Background(), tc.dsn, sqldb.Options{})
			if err != nil {
				t.Fatalf("open %q: %v", tc.dsn, err)
			}
			defer db.Close()
			if got, want := db.Dialect(), sqldb.SQLite; got != want {
				t.Fatalf("got dialect %v, want %v", got, want)
			}
			for pragma, want := range map[string]string{
				"journal_mode": "wal",
				"foreign_keys": "1",
				"busy_timeout": "5000",
				"synchronous":  "1",
			} {
				var got string
				if err := db.QueryRowContext(context.Background(), "PRAGMA "+pragma).Scan(&got); err != nil {
					t.Fatalf("pragma %s: %v", pragma, err)
				}
				if got != want {
					t.Errorf("pragma %s: got %q, want %q", pragma, got, want)
				}
			}
		})
	}
}

func TestOpenRejects(t *testing.T) {
	for _, tc := range []struct {
		name, dsn string
		o         sqldb.Options
	}{
		{"memory", "sqlite::memory:", sqldb.Options{}},
		{"memory mode", "file:x.db?mode=memory", sqldb.Options{}},
		{"empty path", "sqlite:", sqldb.Options{}},
		{"negative pool", "sqlite:" + filepath.Join(t.TempDir(), "x.db"), sqldb.Options{MaxOpenConns: -1}},
		{"bad postgres dsn", "postgres://a:secret@host:notaport/db", sqldb.Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := sqldb.Open(context.Background(), tc.dsn, tc.o)
			if err == nil {
				db.Close()
				t.Fatalf("open %q: got nil error, want an error", tc.dsn)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

// TestDollarPlaceholders checks that one SQL text with $N placeholders, one
// of them repeated and used out of order, runs on every backend.
func TestDollarPlaceholders(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			mustExec(t, db, `CREATE TABLE t (a TEXT NOT NULL, b BIGINT NOT NULL, c TEXT NOT NULL)`)
			mustExec(t, db, `INSERT INTO t (c, b, a) VALUES ($3, $2, $1)`, "one", int64(2), "three")
			var a, c string
			var n int64
			err := db.QueryRowContext(context.Background(),
				`SELECT a, b, c FROM t WHERE a = $1 AND (b = $2 OR b > $2) AND c <> $1`, "one", int64(2)).Scan(&a, &n, &c)
			if err != nil {
				t.Fatalf("select: %v", err)
			}
			if a != "one" || n != 2 || c != "three" {
				t.Errorf("got (%q, %d, %q), want (\"one\", 2, \"three\")", a, n, c)
			}
		})
	}
}

func TestConstraintViolations(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			mustExec(t, db, `CREATE TABLE u (id TEXT PRIMARY KEY, email TEXT NOT NULL, n BIGINT NOT NULL)`)
			mustExec(t, db, `CREATE UNIQUE INDEX u_email ON u (email)`)
			mustExec(t, db, `INSERT INTO u (id, email, n) VALUES ($1, $2, 1)`, "a", "x@example.com")
			ctx := context.Background()

			_, err := db.ExecContext(ctx, `INSERT INTO u (id, email, n) VALUES ($1, $2, 1)`, "b", "x@example.com")
			if !sqldb.IsUniqueViolation(err) {
				t.Errorf("unique index: got IsUniqueViolation(%v) false, want true", err)
			}
			_, err = db.ExecContext(ctx, `INSERT INTO u (id, email, n) VALUES ($1, $2, 1)`, "a", "y@example.com")
			if !sqldb.IsUniqueViolation(fmt.Errorf("wrapped: %w", err)) {
				t.Errorf("primary key: got IsUniqueViolation(%v) false, want true", err)
			}
			_, err = db.ExecContext(ctx, `INSERT INTO u (id, email, n) VALUES ($1, $2, NULL)`, "c", "z@example.com")
			if err == nil || sqldb.IsUniqueViolation(err) {
				t.Errorf("not null: got IsUniqueViolation(%v) true or nil error, want a different error", err)
			}
			mustExec(t, db, `CREATE TABLE child (id TEXT PRIMARY KEY, parent TEXT NOT NULL REFERENCES u (id))`)
			_, err = db.ExecContext(ctx, `INSERT INTO child (id, parent) VALUES ($1, $2)`, "c", "missing")
			if !sqldb.IsForeignKeyViolation(err) || sqldb.IsUniqueViolation(err) {
				t.Errorf("foreign key: got IsForeignKeyViolation(%v) false or IsUniqueViolation true, want only the former", err)
			}
			if sqldb.IsUniqueViolation(errors.New("UNIQUE constraint failed")) {
				t.Error("plain error: got true, want false")
			}
		})
	}
}

// TestSQLiteConcurrentWriters runs read-then-write transactions from many
// goroutines; with the settings Open applies none may fail with
// SQLITE_BUSY.
func TestSQLiteConcurrentWriters(t *testing.T) {
	const writers, txPerWriter = 8, 40
	db := sqldbtest.Backends(t)[0].Open(t)
	mustExec(t, db, `CREATE TABLE counter (n BIGINT NOT NULL)`)
	mustExec(t, db, `INSERT INTO counter (n) VALUES (0)`)
	ctx := context.Background()

	var wg sync.WaitGroup
	errs := make(chan error, writers*txPerWriter)
	for range writers {
		wg.Go(func() {
			for range txPerWriter {
				errs <- db.InTx(ctx, nil, func(tx *sql.Tx) error {
					var n int64
					if err := tx.QueryRowContext(ctx, `SELECT n FROM counter`).Scan(&n); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, `UPDATE counter SET n = $1`, n+1)
					return err
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
			if failed == 1 {
				t.Errorf("transaction failed: %v", err)
			}
		}
	}
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT n FROM counter`).Scan(&n); err != nil {
		t.Fatalf("read counter: %v", err)
	}
	if want := int64(writers*txPerWriter - failed); n != want || failed != 0 {
		t.Errorf("got counter %d with %d failed transactions, want %d with none", n, failed, writers*txPerWriter)
	}
}

func TestInTxRollsBack(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			mustExec(t, db, `CREATE TABLE r (id BIGINT NOT NULL)`)
			ctx := context.Background()
			boom := errors.New("boom")
			err := db.InTx(ctx, nil, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO r (id) VALUES (1)`); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("got error %v, want %v", err, boom)
			}
			var n int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM r`).Scan(&n); err != nil {
				t.Fatalf("count: %v", err)
			}
			if n != 0 {
				t.Errorf("got %d rows after rollback, want 0", n)
			}
		})
	}
}

// TestOpenSQLiteDSNOverrides checks that settings in the dsn win over
// Portico's defaults and that Options.BusyTimeout is applied.
func TestOpenSQLiteDSNOverrides(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "o.db")
	for _, tc := range []struct {
		name, dsn string
		o         sqldb.Options
		want      string
	}{
		{"options", "sqlite:" + path, sqldb.Options{BusyTimeout: 2500 * time.Millisecond}, "2500"},
		{"dsn pragma", "sqlite:" + path + "?_pragma=busy_timeout(1234)", sqldb.Options{BusyTimeout: time.Second}, "1234"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := sqldb.Open(ctx, tc.dsn, tc.o)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer db.Close()
			var got string
			if err := db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&got); err != nil {
				t.Fatalf("pragma: %v", err)
			}
			if got != tc.want {
				t.Errorf("got busy_timeout %s, want %s", got, tc.want)
			}
		})
	}
}

// TestOpenSQLiteFilesArePrivate checks that the database and the -wal and
// -shm files SQLite makes beside it are readable by their owner only,
// however open the directory and the umask: they hold password hashes and
// sealed keys.
func TestOpenSQLiteFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := sqldb.Open(t.Context(), "sqlite:"+filepath.Join(dir, "x.db"), sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustExec(t, db, "CREATE TABLE t (v TEXT)")
	mustExec(t, db, "INSERT INTO t (v) VALUES ($1)", "secret")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		seen[e.Name()] = true
		if got := info.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: got mode %#o, want 0600", e.Name(), got)
		}
	}
	for _, name := range []string{"x.db", "x.db-wal", "x.db-shm"} {
		if !seen[name] {
			t.Errorf("%s was not created; got %v", name, seen)
		}
	}
}
