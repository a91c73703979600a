package main

import (
	"context"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"

	"github.com/portico-gw/portico/internal/analytics/analyticsstore"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

// benchSchema is what a bench schema's name must look like, so that
// `schema drop` can never drop anything else.
var benchSchema = regexp.MustCompile(`^portico_bench_[a-z0-9_]+$`)

// schema creates or drops the schema name.
func schema(ctx context.Context, dsn, op, name string) error {
	if !benchSchema.MatchString(name) {
		return fmt.Errorf("schema %q is not named portico_bench_*", name)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	var stmt string
	switch op {
	case "create":
		stmt = "CREATE SCHEMA " + pgx.Identifier{name}.Sanitize()
	case "drop":
		stmt = "DROP SCHEMA IF EXISTS " + pgx.Identifier{name}.Sanitize() + " CASCADE"
	default:
		return fmt.Errorf("schema %s: want create or drop", op)
	}
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("schema %s: %w", op, err)
	}
	return nil
}

// openStore opens the analytics store on dsn with a pool for workers.
func openStore(ctx context.Context, dsn string, workers int) (*analyticsstore.Store, *sqldb.DB, error) {
	db, err := sqldb.Open(ctx, dsn, sqldb.Options{MaxOpenConns: workers + 2})
	if err != nil {
		return nil, nil, fmt.Errorf("open database: %w", err)
	}
	if db.Dialect() != sqldb.Postgres {
		db.Close()
		return nil, nil, fmt.Errorf("the bench runs on PostgreSQL; give a postgres:// DSN")
	}
	s, err := analyticsstore.Open(ctx, db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return s, db, nil
}

// analyze gathers the planner statistics of the store's tables.
func analyze(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	for _, t := range []string{"beacons", "beacon_keys", "rollup_minute", "rollup_hour", "rollup_day"} {
		if _, err := conn.Exec(ctx, "ANALYZE "+t); err != nil {
			return fmt.Errorf("analyze %s: %w", t, err)
		}
	}
	return nil
}
