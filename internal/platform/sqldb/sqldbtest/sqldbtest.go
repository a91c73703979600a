// Package sqldbtest gives tests a fresh, empty database on every backend
// sqldb supports, so a store's suite runs once per backend as subtests named
// "sqlite" and "postgres".
//
// SQLite always runs, in a file under the test's temporary directory.
// PostgreSQL runs when PORTICO_TEST_POSTGRES_DSN names a server, each call
// getting its own randomly named schema, dropped when the test ends. Without
// the variable the postgres subtests skip, except when CI is "true": there a
// missing DSN fails the test, so CI cannot pass without having run against
// PostgreSQL. A DSN that is set but names an unreachable server always fails.
package sqldbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/portico-gw/portico/internal/platform/sqldb"
)

// EnvPostgresDSN names the environment variable holding the PostgreSQL
// server the tests may use. Its user must be allowed to create schemas.
const EnvPostgresDSN = "PORTICO_TEST_POSTGRES_DSN"

// SkipMessage is what a skipped postgres subtest says.
const SkipMessage = "PostgreSQL tests skipped: set " + EnvPostgresDSN

// setupTimeout bounds creating and dropping a test schema.
const setupTimeout = 30 * time.Second

// Backend is one database backend tests can open.
type Backend struct {
	// Name is the subtest name: "sqlite" or "postgres".
	Name string
	// Dialect is the backend's SQL dialect.
	Dialect sqldb.Dialect

	postgresDSN string
	ci          bool
}

// Backends returns every backend, SQLite first. The PostgreSQL backend is
// always listed; its Open skips or fails as the package documentation says.
func Backends(t testing.TB) []Backend {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	return []Backend{
		{Name: "sqlite", Dialect: sqldb.SQLite},
		{Name: "postgres", Dialect: sqldb.Postgres, postgresDSN: os.Getenv(EnvPostgresDSN), ci: ci},
	}
}

// Open returns a new, empty database on the backend, closed (and on
// PostgreSQL dropped) when the test ends.
func (b Backend) Open(t testing.TB) *sqldb.DB {
	t.Helper()
	switch b.Dialect {
	case sqldb.SQLite:
		return b.openSQLite(t)
	case sqldb.Postgres:
		return b.openPostgres(t)
	default:
		t.Fatalf("sqldbtest: unknown dialect %v", b.Dialect)
		return nil
	}
}

func (b Backend) openSQLite(t testing.TB) *sqldb.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	db, err := sqldb.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "test.db"), sqldb.Options{})
	if err != nil {
		t.Fatalf("sqldbtest: open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Require skips the test when the backend is not configured, or fails it
// when CI is "true". Open calls it too; a suite that opens many databases
// calls it once first to skip with one message instead of many.
func (b Backend) Require(t testing.TB) {
	t.Helper()
	if b.Dialect != sqldb.Postgres || b.postgresDSN != "" {
		return
	}
	if b.ci {
		t.Fatalf("sqldbtest: CI=true but %s is not set; PostgreSQL tests must run in CI", EnvPostgresDSN)
	}
	t.Skip(SkipMessage)
}

func (b Backend) openPostgres(t testing.TB) *sqldb.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	dsn := b.DSN(t)
	db, err := sqldb.Open(ctx, dsn, sqldb.Options{})
	if err != nil {
		t.Fatalf("sqldbtest: open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DSN returns the data source name of a new, empty database on the
// backend, for a program the test starts: "sqlite:" and a file under the
// test's temporary directory, or the PostgreSQL server with a new schema
// as its search_path, dropped when the test ends. It skips or fails as
// Require does.
func (b Backend) DSN(t testing.TB) string {
	t.Helper()
	if b.Dialect == sqldb.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	}
	b.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()

	admin, err := sqldb.Open(ctx, b.postgresDSN, sqldb.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatalf("sqldbtest: PostgreSQL at %s unreachable: %v", EnvPostgresDSN, err)
	}
	defer admin.Close()
	schema := "portico_test_" + randomHex(8)
	quoted := pgx.Identifier{schema}.Sanitize()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+quoted); err != nil {
		t.Fatalf("sqldbtest: create schema %s: %v", schema, err)
	}
	t.Cleanup(func() { dropSchema(t, b.postgresDSN, quoted) })

	dsn, err := withSearchPath(b.postgresDSN, schema)
	if err != nil {
		t.Fatalf("sqldbtest: %v", err)
	}
	return dsn
}

// withSearchPath adds search_path as a connection run-time parameter, so
// every connection of the pool, including ones opened later, uses schema.
func withSearchPath(dsn, schema string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse %s: invalid URL", EnvPostgresDSN)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func dropSchema(t testing.TB, dsn, quoted string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	admin, err := sqldb.Open(ctx, dsn, sqldb.Options{MaxOpenConns: 1})
	if err != nil {
		t.Errorf("sqldbtest: drop schema %s: %v", quoted, err)
		return
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+quoted+" CASCADE"); err != nil {
		t.Errorf("sqldbtest: drop schema %s: %v", quoted, err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
