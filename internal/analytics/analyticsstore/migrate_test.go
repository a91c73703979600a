package analyticsstore_test

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/analytics/analyticsstore"
	"github.com/portico-gw/portico/internal/platform/sqldb"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

// TestMigrateBeaconKeys checks migration 0002 on a PostgreSQL database
// that holds beacons from before it: their keys are backfilled, so they
// stay duplicates, and the raw partitions lose their unique key.
func TestMigrateBeaconKeys(t *testing.T) {
	var be sqldbtest.Backend
	for _, b := range sqldbtest.Backends(t) {
		if b.Dialect == sqldb.Postgres {
			be = b
		}
	}
	be.Require(t)
	ctx := t.Context()
	db := be.Open(t)

	first := fstest.MapFS{}
	err := fs.WalkDir(analyticsstore.Migrations(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasPrefix(path, "0001_") {
			return err
		}
		b, err := fs.ReadFile(analyticsstore.Migrations(), path)
		first[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatalf("read migrations: %v", err)
	}
	if err := sqldb.Migrate(ctx, db, first); err != nil {
		t.Fatalf("migrate to 0001: %v", err)
	}
	at := time.Now().UTC().Truncate(time.Minute)
	day := at.Truncate(24 * time.Hour)
	lo := day.UnixMicro()
	if _, err := db.ExecContext(ctx, fmt.Sprintf("CREATE TABLE beacons_p%s PARTITION OF beacons FOR VALUES FROM (%d) TO (%d)",
		day.Format("20060102"), lo, lo+86400_000_000)); err != nil {
		t.Fatalf("create partition: %v", err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO beacons VALUES ('org_1', 's1', 1, $1, 'int_1', '', 'vod', 'web',
		'', '', '', '', 'wifi', 0, 0, 0, 0, 0, -1, '', $1)`, at.UnixMicro()); err != nil {
		t.Fatalf("insert old beacon: %v", err)
	}

	s, err := analyticsstore.Open(ctx, db)
	if err != nil {
		t.Fatalf("open (migrate to 0002): %v", err)
	}
	var keys, uniques int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM beacon_keys").Scan(&keys); err != nil {
		t.Fatalf("count keys: %v", err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_constraint WHERE conrelid = to_regclass('beacons') AND contype = 'u'").Scan(&uniques); err != nil {
		t.Fatalf("count unique constraints: %v", err)
	}
	if keys != 1 || uniques != 0 {
		t.Errorf("got %d keys and %d unique constraints on beacons, want 1 and 0", keys, uniques)
	}
	b := analytics.Ingested{OrgID: "org_1", IntegrationID: "int_1", ReceivedAt: at,
		Beacon: analytics.Beacon{SessionID: "s1", Sequence: 1, Time: at.Add(time.Second), StreamType: analytics.StreamVOD,
			Platform: analytics.PlatformWeb, Network: analytics.NetworkWiFi, StartupMS: -1}}
	got, err := s.InsertBeacons(ctx, []analytics.Ingested{b})
	if err != nil || len(got) != 0 {
		t.Errorf("insert a beacon stored before the migration: stored %d, %v; want 0", len(got), err)
	}
}
