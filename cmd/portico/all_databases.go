package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// allDatabases says where each service of portico all keeps its data: by
// default a SQLite file in the data directory; with --postgres, a schema
// of its own (the prefix and its name) in that PostgreSQL database; with
// PORTICO_<SERVICE>_DB, that DSN, whatever the others do.
type allDatabases struct {
	postgres, schemaPrefix string
	getenv                 env
}

// schemaPrefixPattern is what a schema prefix may be: the schemas are
// created with these names, unquoted.
var schemaPrefixPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,40}$`)

func (d allDatabases) check() error {
	if d.postgres == "" {
		return nil
	}
	if !strings.HasPrefix(d.postgres, "postgres://") && !strings.HasPrefix(d.postgres, "postgresql://") {
		return errors.New("--postgres: give a postgres:// URL")
	}
	if _, err := pgx.ParseConfig(d.postgres); err != nil {
		return errors.New("--postgres: not a valid connection URL") // the URL may hold a password: not echoed
	}
	if !schemaPrefixPattern.MatchString(d.schemaPrefix) {
		return fmt.Errorf("--postgres-schema-prefix: %q is not 1 to 41 lower-case letters, digits and '_', starting with a letter or '_'", d.schemaPrefix)
	}
	return nil
}

// dsn returns the database of service name, whose SQLite file is dbFile
// in dataDir.
func (d allDatabases) dsn(name, dbFile, dataDir string) string {
	if v := d.own(name); v != "" {
		return v
	}
	if d.postgres == "" {
		return "sqlite:" + filepath.Join(dataDir, dbFile)
	}
	u, _ := url.Parse(d.postgres) // checked by check
	q := u.Query()
	q.Set("search_path", d.schemaPrefix+name)
	u.RawQuery = q.Encode()
	return u.String()
}

// own returns the database PORTICO_<SERVICE>_DB gives service name, or "".
func (d allDatabases) own(name string) string {
	v, _ := d.getenv("PORTICO_" + strings.ToUpper(name) + "_DB")
	return v
}

// prepare creates the schemas --postgres names, when missing.
func (d allDatabases) prepare(ctx context.Context, names []string) error {
	if d.postgres == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.postgres)
	if err != nil {
		return fmt.Errorf("--postgres: connect: %w", err)
	}
	defer conn.Close(context.Background())
	for _, n := range names {
		if d.own(n) != "" {
			continue
		}
		schema := pgx.Identifier{d.schemaPrefix + n}.Sanitize()
		if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
			return fmt.Errorf("--postgres: create schema %s: %w", schema, err)
		}
	}
	return nil
}

// withRedisStore returns the built-in gateway configuration with its rate
// limits kept in Redis at ${PORTICO_REDIS_ADDR} under the key prefix
// ${PORTICO_REDIS_KEY_PREFIX}, shared by every gateway replica, instead of
// in this process's memory.
func withRedisStore(cfg []byte) ([]byte, error) {
	const anchor = "\nrate_limits:\n"
	if !strings.Contains(string(cfg), anchor) {
		return nil, errors.New("the built-in gateway configuration has no rate_limits block")
	}
	return []byte(strings.Replace(string(cfg), anchor, anchor+`  store:
    kind: redis
    redis:
      addr: ${PORTICO_REDIS_ADDR}
      key_prefix: ${PORTICO_REDIS_KEY_PREFIX}
`, 1)), nil
}

// allServiceNames returns the names of portico all's services.
func allServiceNames() []string {
	var names []string
	for _, s := range allServices() {
		names = append(names, s.name)
	}
	return names
}
