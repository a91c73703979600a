package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Dialect names the SQL backend behind a DB. The zero value is not a valid
// dialect.
type Dialect int

// The supported dialects.
const (
	SQLite Dialect = iota + 1
	Postgres
)

// String returns the dialect's lower-case name, as used in migration file
// names ("sqlite", "postgres").
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	default:
		return "dialect(" + strconv.Itoa(int(d)) + ")"
	}
}

// Options are the connection pool limits of a DB. A zero field takes the
// value DefaultOptions gives it.
type Options struct {
	// MaxOpenConns caps the connections open at once.
	MaxOpenConns int
	// MaxIdleConns caps the idle connections kept for reuse.
	MaxIdleConns int
	// ConnMaxLifetime closes connections older than this.
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes connections idle for longer than this.
	ConnMaxIdleTime time.Duration
	// BusyTimeout is how long a SQLite statement waits for another
	// connection's write lock before failing with SQLITE_BUSY. PostgreSQL
	// ignores it.
	BusyTimeout time.Duration
	// Migrations says what Migrate does on this database: MigrationsApply
	// (the default) applies what is pending; MigrationsCheck only checks
	// that nothing is, for a process whose database role may not change
	// the schema (another step, portico migrate, applies them).
	Migrations MigrationMode
}

// MigrationMode is what Migrate does; see Options.Migrations.
type MigrationMode string

const (
	MigrationsApply MigrationMode = "apply"
	MigrationsCheck MigrationMode = "check"
)

// ParseMigrationMode reads a mode's name.
func ParseMigrationMode(s string) (MigrationMode, error) {
	switch m := MigrationMode(s); m {
	case MigrationsApply, MigrationsCheck:
		return m, nil
	}
	return "", fmt.Errorf("unknown migrations mode %q; use %s or %s", s, MigrationsApply, MigrationsCheck)
}

// DefaultOptions returns the limits used for fields left zero in Options.
func DefaultOptions() Options {
	return Options{
		MaxOpenConns:    10,
		MaxIdleConns:    10,
		ConnMaxLifetime: 30 * time.Minute,
		ConnMaxIdleTime: 5 * time.Minute,
		BusyTimeout:     5 * time.Second,
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.MaxOpenConns == 0 {
		o.MaxOpenConns = d.MaxOpenConns
	}
	if o.MaxIdleConns == 0 {
		o.MaxIdleConns = min(d.MaxIdleConns, o.MaxOpenConns)
	}
	if o.ConnMaxLifetime == 0 {
		o.ConnMaxLifetime = d.ConnMaxLifetime
	}
	if o.ConnMaxIdleTime == 0 {
		o.ConnMaxIdleTime = d.ConnMaxIdleTime
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = d.BusyTimeout
	}
	return o
}

func (o Options) validate() error {
	switch {
	case o.MaxOpenConns < 0:
		return fmt.Errorf("max open conns %d is negative", o.MaxOpenConns)
	case o.MaxIdleConns < 0:
		return fmt.Errorf("max idle conns %d is negative", o.MaxIdleConns)
	case o.ConnMaxLifetime < 0, o.ConnMaxIdleTime < 0:
		return errors.New("connection lifetimes must not be negative")
	case o.BusyTimeout < time.Millisecond:
		return fmt.Errorf("busy timeout %v is below 1ms", o.BusyTimeout)
	case o.Migrations != "" && o.Migrations != MigrationsApply && o.Migrations != MigrationsCheck:
		return fmt.Errorf("unknown migrations mode %q", o.Migrations)
	}
	return nil
}

// DB is a connection pool that knows its dialect. It embeds *sql.DB, so
// stores call QueryContext, ExecContext and BeginTx on it directly.
type DB struct {
	*sql.DB
	dialect    Dialect
	migrations MigrationMode
}

// Dialect reports which backend the DB talks to.
func (db *DB) Dialect() Dialect { return db.dialect }

// Open opens the database dsn names and checks that it answers.
//
// A dsn starting with postgres:// or postgresql:// opens PostgreSQL; any
// other dsn is a SQLite database file, written as sqlite:PATH, file:PATH or
// PATH, optionally followed by ?query parameters that are passed to the
// SQLite driver after Portico's own (see the package documentation).
// In-memory SQLite databases are refused: every pooled connection would see
// a different, empty database.
func Open(ctx context.Context, dsn string, o Options) (*DB, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("open db: %w", err)
	}
	var (
		db  *DB
		err error
	)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err = openPostgres(dsn)
	} else {
		db, err = openSQLite(dsn, o)
	}
	if err != nil {
		return nil, fmt.Errorf("open db: %w", err)
	}
	db.migrations = o.Migrations
	db.SetMaxOpenConns(o.MaxOpenConns)
	db.SetMaxIdleConns(o.MaxIdleConns)
	db.SetConnMaxLifetime(o.ConnMaxLifetime)
	db.SetConnMaxIdleTime(o.ConnMaxIdleTime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open db: ping %s: %w", db.dialect, err)
	}
	return db, nil
}

func openPostgres(dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors can echo the whole dsn, password included.
		return nil, errors.New("parse postgres dsn: invalid connection string")
	}
	return &DB{DB: stdlib.OpenDB(*cfg), dialect: Postgres}, nil
}

func openSQLite(dsn string, o Options) (*DB, error) {
	path, query, err := sqliteDriverDSN(dsn, o)
	if err != nil {
		return nil, err
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	sdb, err := sql.Open("sqlite", path+"?"+query)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	return &DB{DB: sdb, dialect: SQLite}, nil
}

// createPrivate creates the SQLite database file at path, empty and
// readable by its owner only (0600, whatever the umask), unless it exists.
// SQLite would create it with 0644 less the umask; it gives the -wal and
// -shm files it makes later the database file's own mode (os_unix.c,
// findCreateFileMode, with an fchmod that ignores the umask), so this one
// file decides all three. An existing file keeps its mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create sqlite file: %w", err)
	}
	defer f.Close()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("create sqlite file: %w", err)
	}
	return nil
}

// sqliteDriverDSN splits a SQLite dsn into its file path and the query
// string handed to modernc.org/sqlite.
func sqliteDriverDSN(dsn string, o Options) (path, query string, err error) {
	rest := dsn
	for _, p := range []string{"sqlite://", "sqlite:", "file:"} {
		if strings.HasPrefix(rest, p) {
			rest = strings.TrimPrefix(rest, p)
			break
		}
	}
	path, userQuery, _ := strings.Cut(rest, "?")
	if path == "" {
		return "", "", errors.New("sqlite dsn has no file path")
	}
	if path == ":memory:" || strings.Contains(userQuery, "mode=memory") {
		return "", "", errors.New("in-memory sqlite databases are not supported; give a file path")
	}
	q, err := url.ParseQuery(userQuery)
	if err != nil {
		return "", "", fmt.Errorf("sqlite dsn query: %w", err)
	}
	// The dsn's own settings win; Portico's fill in what it leaves unset.
	set := map[string]bool{}
	for _, p := range q["_pragma"] {
		name, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(p)), "(")
		name, _, _ = strings.Cut(name, "=")
		set[strings.TrimSpace(name)] = true
	}
	for _, p := range []struct{ name, value string }{
		{"busy_timeout", strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10)},
		{"journal_mode", "WAL"},
		{"synchronous", "NORMAL"},
		{"foreign_keys", "ON"},
	} {
		if !set[p.name] {
			q.Add("_pragma", p.name+"("+p.value+")")
		}
	}
	if !q.Has("_txlock") {
		q.Set("_txlock", "immediate")
	}
	query = q.Encode()
	return path, query, nil
}

// InTx runs fn inside a transaction and commits it when fn returns nil; any
// error, or a panic, rolls it back. opts may be nil.
func (db *DB) InTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *sql.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin tx: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit tx: %w", err)
	}
	return nil
}
