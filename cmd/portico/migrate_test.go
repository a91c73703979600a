package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/platform/sqldb"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

// TestMigrate: portico migrate applies every service's migrations once,
// --status tells pending from current, and a service started with
// --migrations check refuses a schema that lacks one, then starts on the
// migrated schema.
func TestMigrate(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			where := []string{"--data-dir", data}
			configsDB := "sqlite:" + filepath.Join(data, configsDBFile)
			if b.Dialect == sqldb.Postgres {
				b.Require(t)
				dsn := os.Getenv(sqldbtest.EnvPostgresDSN)
				prefix := schemaPrefix(t, dsn)
				where = []string{"--postgres", dsn, "--postgres-schema-prefix", prefix}
				configsDB = allDatabases{postgres: dsn, schemaPrefix: prefix, getenv: noEnv}.dsn("configs", configsDBFile, data)
			}
			migrate := func(want int, args ...string) string {
				t.Helper()
				var out, errOut strings.Builder
				if code := run(context.Background(), append(append([]string{"migrate"}, where...), args...), noEnv, &out, &errOut); code != want {
					t.Fatalf("portico migrate %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out.String(), errOut.String())
				}
				return out.String()
			}

			// --status creates nothing, and tells what is pending.
			if out := migrate(exitPending, "--status"); !strings.Contains(out, "configs: schema at version 0, ") ||
				!strings.Contains(out, "  pending  0001_") {
				t.Errorf("status of nothing:\n%s", out)
			}
			if _, err := os.Stat(data); b.Dialect == sqldb.SQLite && !errors.Is(err, os.ErrNotExist) {
				t.Errorf("migrate --status made the data directory (%v)", err)
			}
			migrate(0, "auth")
			if out := migrate(exitPending, "--status"); !strings.Contains(out, "auth: schema at version") ||
				!strings.Contains(out, "auth: schema at version 0,") && !strings.Contains(out, ", current") ||
				!strings.Contains(out, "configs: schema at version 0, ") {
				t.Errorf("status with auth migrated:\n%s", out)
			}

			// A service that may not migrate refuses the unmigrated
			// schema, and says what to run.
			iss := mustWorkloadIssuer(t, nil)
			auth := newFakeAuth(t, iss)
			configs := []string{"configs", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
				"--data-dir", data, "--db", configsDB, "--migrations", "check",
				"--auth-issuer", fakeIssuer, "--auth-jwks-url", auth.srv.URL + "/.well-known/jwks.json",
				"--workload-issuer", iss.URL(), "--workload-jwks-url", iss.JWKSURL()}
			out, err := exec.Command(binary, configs...).CombinedOutput()
			if err == nil || !strings.Contains(string(out), "portico migrate") || !strings.Contains(string(out), "0001_") {
				t.Fatalf("configs --migrations check on an unmigrated schema: %v\n%s\nwant a refusal naming the migration and portico migrate", err, out)
			}

			applied := migrate(0)
			for _, name := range allServiceNames() {
				if !strings.Contains(applied, name+": schema at version ") {
					t.Errorf("migrate output lacks %s:\n%s", name, applied)
				}
			}
			if !strings.Contains(applied, "configs: applied 0001_") || strings.Contains(applied, "auth: applied") {
				t.Errorf("migrate output, want configs' migrations applied and auth's not again:\n%s", applied)
			}
			if again := migrate(0); strings.Contains(again, ": applied ") || !strings.Contains(again, "0 applied now") {
				t.Errorf("second migrate applied something:\n%s", again)
			}
			if out := migrate(0, "--status", "configs"); !strings.Contains(out, "configs: schema at version") ||
				!strings.Contains(out, ", current") || strings.Contains(out, "pending  ") {
				t.Errorf("status after migrating:\n%s", out)
			}

			p := mustStart(t, configs...)
			if code, body := mustGet(t, p.url("admin", "/readyz")); code != http.StatusOK {
				t.Errorf("configs with --migrations check on the migrated schema: /readyz = %d %s", code, body)
			}
		})
	}
}

func TestMigrateRefusesBadArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"billing"}, `unknown service "billing"`},
		{[]string{"--db", "sqlite:x.db"}, "--db names one service's database"},
		{[]string{"auth", "--db", "sqlite:x.db", "configs"}, "--db names one service's database"},
		{[]string{"--postgres", "mysql://x"}, "give a postgres:// URL"},
	} {
		var out, errOut strings.Builder
		if code := run(context.Background(), append([]string{"migrate"}, tc.args...), noEnv, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("portico migrate %v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}
