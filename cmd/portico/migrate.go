package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/accounts/accountsstore"
	"github.com/portico-gw/portico/internal/analytics/analyticsstore"
	"github.com/portico-gw/portico/internal/auth/authstore"
	"github.com/portico-gw/portico/internal/configs/configsstore"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

const migrateUsage = `usage: portico migrate [flags] [SERVICE...]

Applies the database migrations of the named services (auth, accounts,
configs, analytics; all four when none is named) and exits, so that the
services can run with --migrations check under a database role that may
not change the schema. Each service's database is, in this order: --db
(one service only), PORTICO_<SERVICE>_DB, a schema of --postgres, or its
SQLite file in --data-dir, as portico all and the services find them.
Running it again applies nothing.

With --status it changes nothing: it prints each service's applied and
pending migrations and exits 0 when none is pending, 3 when some are.

Flags (each may also be set by the environment variable named with it):
`

// migrated is one service's schema, as portico migrate knows it.
type migrated struct {
	name, dbFile string
	migrations   func() fs.FS
	// open applies the migrations, and whatever else the store does
	// when it opens (analytics fills new tables from older ones).
	open func(ctx context.Context, db *sqldb.DB) error
}

func migratedServices() []migrated {
	return []migrated{
		{"auth", authDBFile, authstore.Migrations, func(ctx context.Context, db *sqldb.DB) error {
			_, err := authstore.Open(ctx, db)
			return err
		}},
		{"accounts", accountsDBFile, accountsstore.Migrations, func(ctx context.Context, db *sqldb.DB) error {
			_, err := accountsstore.Open(ctx, db)
			return err
		}},
		{"configs", configsDBFile, configsstore.Migrations, func(ctx context.Context, db *sqldb.DB) error {
			_, err := configsstore.Open(ctx, db)
			return err
		}},
		{"analytics", analyticsDBFile, analyticsstore.Migrations, func(ctx context.Context, db *sqldb.DB) error {
			_, err := analyticsstore.Open(ctx, db)
			return err
		}},
	}
}

// exitPending is portico migrate --status's exit code when a migration is
// pending.
const exitPending = 3

func runMigrate(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) int {
	fs := newFlagSet("migrate", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), migrateUsage)
		fs.PrintDefaults()
	}
	var dsn, dataDir string
	dbs := allDatabases{getenv: getenv}
	stringFlag(fs, getenv, &dsn, "db", "PORTICO_MIGRATE_DB", "", "database `dsn` of the one service named: sqlite:PATH or postgres://...")
	stringFlag(fs, getenv, &dataDir, "data-dir", "PORTICO_DATA_DIR", defaultDataDir, "`directory` of the services' default SQLite databases")
	stringFlag(fs, getenv, &dbs.postgres, "postgres", "PORTICO_POSTGRES_URL", "", "PostgreSQL `URL` holding every service's schema, as portico all --postgres (schemas created when missing)")
	stringFlag(fs, getenv, &dbs.schemaPrefix, "postgres-schema-prefix", "PORTICO_POSTGRES_SCHEMA_PREFIX", "portico_", "with --postgres, the `prefix` of the services' schema names")
	status := fs.Bool("status", false, "print what is applied and pending, change nothing; exit 3 when a migration is pending")
	// Services and flags may come in any order.
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "portico migrate: "+format+"\n", a...)
		return code
	}
	all := migratedServices()
	var chosen []migrated
	for _, name := range names {
		i := slices.IndexFunc(all, func(m migrated) bool { return m.name == name })
		if i < 0 {
			return fail(2, "unknown service %q; name auth, accounts, configs or analytics", name)
		}
		if !slices.ContainsFunc(chosen, func(m migrated) bool { return m.name == name }) {
			chosen = append(chosen, all[i])
		}
	}
	if len(chosen) == 0 {
		chosen = all
	}
	if dsn != "" && len(chosen) != 1 {
		return fail(2, "--db names one service's database; name that service")
	}
	if err := dbs.check(); err != nil {
		return fail(2, "%v", err)
	}
	if !*status && dsn == "" {
		names := make([]string, len(chosen))
		for i, m := range chosen {
			names[i] = m.name
		}
		if err := dbs.prepare(ctx, names); err != nil {
			return fail(1, "%v", err)
		}
	}
	pending := false
	for _, m := range chosen {
		target := dsn
		if target == "" {
			target = dbs.dsn(m.name, m.dbFile, dataDir)
		}
		if strings.HasPrefix(target, "sqlite:") && dsn == "" && !*status {
			if err := makeDir(dataDir); err != nil {
				return fail(1, "%v", err)
			}
		}
		p, err := migrateOne(ctx, m, target, *status, stdout)
		if err != nil {
			return fail(1, "%s: %v", m.name, err)
		}
		pending = pending || p
	}
	if pending {
		return exitPending
	}
	return 0
}

// migrateOne applies m's migrations to the database at dsn, or with
// statusOnly prints them; it reports whether any is left pending.
func migrateOne(ctx context.Context, m migrated, dsn string, statusOnly bool, out io.Writer) (bool, error) {
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok && statusOnly {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			// Not created yet, and --status creates nothing.
			migs, err := sqldb.LoadMigrations(m.migrations(), sqldb.SQLite)
			if err != nil {
				return false, err
			}
			printStatus(out, m.name, sqldb.Status{Pending: migs})
			return len(migs) > 0, nil
		}
	}
	db, err := sqldb.Open(ctx, dsn, sqldb.Options{MaxOpenConns: 2, MaxIdleConns: 2})
	if err != nil {
		return false, err
	}
	defer db.Close()
	before, err := sqldb.MigrationStatus(ctx, db, m.migrations())
	if err != nil {
		return false, err
	}
	if statusOnly {
		printStatus(out, m.name, before)
		return len(before.Pending) > 0 || len(before.Changed) > 0, nil
	}
	if len(before.Changed) > 0 {
		return false, fmt.Errorf("applied migration %s has changed since it was applied; restore its file", before.Changed[0].Name)
	}
	start := time.Now()
	if err := m.open(ctx, db); err != nil {
		return false, err
	}
	for _, p := range before.Pending {
		fmt.Fprintf(out, "%s: applied %s\n", m.name, p.Name)
	}
	after, err := sqldb.MigrationStatus(ctx, db, m.migrations())
	if err != nil {
		return false, err
	}
	fmt.Fprintf(out, "%s: schema at version %d, %d applied now, in %s\n", m.name, after.Version(), len(before.Pending),
		time.Since(start).Round(time.Millisecond))
	return len(after.Pending) > 0, nil
}

func printStatus(out io.Writer, name string, s sqldb.Status) {
	state := "current"
	if !s.Current() {
		state = fmt.Sprintf("%d pending", len(s.Pending))
	}
	fmt.Fprintf(out, "%s: schema at version %d, %s\n", name, s.Version(), state)
	for _, m := range s.Applied {
		fmt.Fprintf(out, "  applied  %s  %s\n", m.Name, m.AppliedAt.Format(time.RFC3339))
	}
	for _, m := range s.Changed {
		fmt.Fprintf(out, "  CHANGED  %s  applied %s with another checksum; the service will not start\n", m.Name, m.AppliedAt.Format(time.RFC3339))
	}
	for _, m := range s.Pending {
		fmt.Fprintf(out, "  pending  %s\n", m.Name)
	}
	for _, m := range s.Newer {
		fmt.Fprintf(out, "  newer    %s  applied by a newer binary; left alone\n", m.Name)
	}
}
