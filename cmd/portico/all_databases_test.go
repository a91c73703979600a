package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// requireServers returns the PostgreSQL DSN and Redis address the tests
// may use, skipping (failing in CI) when they are not given.
func requireServers(t *testing.T) (dsn, redisAddr string) {
	t.Helper()
	dsn, redisAddr = os.Getenv("PORTICO_TEST_POSTGRES_DSN"), os.Getenv("PORTICO_TEST_REDIS_ADDR")
	if dsn == "" || redisAddr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but PORTICO_TEST_POSTGRES_DSN or PORTICO_TEST_REDIS_ADDR is not set; these tests must run in CI")
		}
		t.Skip("portico all on PostgreSQL and Redis skipped: set PORTICO_TEST_POSTGRES_DSN and PORTICO_TEST_REDIS_ADDR")
	}
	return dsn, redisAddr
}

// TestAllCustomerJourneyOnPostgresAndRedis walks the same story with
// every service in a PostgreSQL schema of its own and the gateway's rate
// limits in Redis.
func TestAllCustomerJourneyOnPostgresAndRedis(t *testing.T) {
	dsn, redisAddr := requireServers(t)
	prefix := schemaPrefix(t, dsn)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	t.Cleanup(func() { rdb.Close() })
	// Keys of this run only: other tests' limits on the same addresses
	// would otherwise count against its sign-ins.
	keyPrefix := prefix + "rl:"
	t.Cleanup(func() {
		if keys, err := rdb.Keys(ctx, keyPrefix+"*").Result(); err == nil && len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})

	customerJourney(t, "--postgres", dsn, "--postgres-schema-prefix", prefix, "--redis-addr", redisAddr, "--redis-key-prefix", keyPrefix)

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, n := range allServiceNames() {
		var tables int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = $1`, prefix+n).Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables == 0 {
			t.Errorf("schema %s holds no table: the %s service did not keep its data there", prefix+n, n)
		}
	}
	// The sign-ins went through the credentials limit, kept in Redis
	// under this run's prefix.
	deadline := time.Now().Add(5 * time.Second)
	for {
		keys, err := rdb.Keys(ctx, keyPrefix+"*").Result()
		if err != nil {
			t.Fatalf("redis: %v", err)
		}
		if len(keys) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no rate-limit key in Redis after the journey's sign-ins")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAllDatabasesRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--postgres", "mysql://x"}, "give a postgres:// URL"},
		{[]string{"--postgres", "postgres://u@127.0.0.1/db", "--postgres-schema-prefix", "Bad-Prefix"}, "--postgres-schema-prefix"},
		{[]string{"--redis-addr", "127.0.0.1:6379", "--gateway-config", "x.yaml"}, "--redis-addr applies to the built-in"},
	} {
		var out strings.Builder
		code := run(context.Background(), append([]string{"all", "--data-dir", t.TempDir()}, tc.args...), func(string) (string, bool) { return "", false }, &out, &out)
		if code == 0 || !strings.Contains(out.String(), tc.want) {
			t.Errorf("portico all %v: exit %d, output %q; want an error saying %q", tc.args, code, out.String(), tc.want)
		}
	}
}

// schemaPrefix returns a new --postgres-schema-prefix; the services'
// schemas under it in the database at dsn are dropped when the test ends.
func schemaPrefix(t *testing.T, dsn string) string {
	b := make([]byte, 4)
	rand.Read(b)
	prefix := "pt" + hex.EncodeToString(b) + "_"
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schemas: %v", err)
			return
		}
		defer conn.Close(ctx)
		for _, n := range allServiceNames() {
			if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{prefix + n}.Sanitize()+" CASCADE"); err != nil {
				t.Errorf("drop schema %s: %v", prefix+n, err)
			}
		}
	})
	return prefix
}
