package analyticsstore_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/analytics/analyticsstore"
	"github.com/portico-gw/portico/internal/platform/sqldb"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

// projRow is a projection row as compared: its key, sums and histogram
// as stored, and its sketches' estimates (their encodings may differ
// with the order sessions arrived in).
type projRow struct {
	Key                     string
	Sums                    [9]int64
	Hist                    string
	Sessions, ErrorSessions uint64
}

func projRows(t *testing.T, db *sqldb.DB, table string) []projRow {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT org_id, projection, bucket, integration_id, content_id, stream_type,
		platform, country, isp, beacons, cdn_bytes, p2p_bytes, upload_bytes, played_ms, buffered_ms, startups,
		startup_ms_sum, error_beacons, startup_hist, sessions, error_sessions FROM `+table+`
		ORDER BY org_id, projection, bucket, integration_id, content_id, stream_type, platform, country, isp`)
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	defer rows.Close()
	var out []projRow
	for rows.Next() {
		var (
			k                 [9]any
			r                 projRow
			hist, sk, errSk   []byte
			org, i, c, st, pl string
			co, isp           string
			proj, bucket      int64
		)
		k = [9]any{&org, &proj, &bucket, &i, &c, &st, &pl, &co, &isp}
		dest := append(k[:], &r.Sums[0], &r.Sums[1], &r.Sums[2], &r.Sums[3], &r.Sums[4], &r.Sums[5], &r.Sums[6],
			&r.Sums[7], &r.Sums[8], &hist, &sk, &errSk)
		if err := rows.Scan(dest...); err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		r.Key = fmt.Sprint(org, proj, bucket, i, c, st, pl, co, isp)
		r.Hist = string(hist)
		for _, s := range []struct {
			b   []byte
			dst *uint64
		}{{sk, &r.Sessions}, {errSk, &r.ErrorSessions}} {
			h := analytics.NewSketch()
			if err := h.UnmarshalBinary(s.b); err != nil {
				t.Fatalf("decode sketch: %v", err)
			}
			*s.dst = h.Estimate()
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	return out
}

// TestBackfillProjections: rollups from before the projection tables are
// projected when the store opens, into exactly the rows ingest would
// have written, once.
func TestBackfillProjections(t *testing.T) {
	for _, be := range sqldbtest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			be.Require(t)
			ctx := t.Context()
			db := be.Open(t)
			s, err := analyticsstore.Open(ctx, db)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			rng := rand.New(rand.NewPCG(3, 5))
			at := time.Now().UTC().Truncate(time.Hour).Add(-30 * time.Hour)
			var bs []analytics.Ingested
			for i := range 500 {
				bs = append(bs, analytics.Ingested{OrgID: []string{"org_1", "org_2"}[i%2], IntegrationID: []string{"int_1", "int_2"}[rng.IntN(2)],
					ReceivedAt: at, Beacon: analytics.Beacon{SessionID: fmt.Sprintf("s%d", rng.IntN(80)), Sequence: int64(i),
						Time: at.Add(time.Duration(rng.Int64N(int64(30 * time.Hour)))), ContentID: fmt.Sprintf("c%d", rng.IntN(4)),
						StreamType: analytics.StreamVOD, Platform: analytics.PlatformWeb, Network: analytics.NetworkWiFi,
						Country: []string{"FR", "DE"}[rng.IntN(2)], ISP: "isp", CDNBytes: rng.Int64N(1000), StartupMS: -1}})
				if i%7 == 0 {
					bs[i].StartupMS, bs[i].ErrorCode = rng.Int64N(5000), "E1"
				}
			}
			for start := 0; start < len(bs); start += 100 {
				if _, err := s.InsertBeacons(ctx, bs[start:start+100]); err != nil {
					t.Fatalf("insert: %v", err)
				}
			}
			// On PostgreSQL batches append rows; merged, they are one per cell.
			if err := s.CompactRollups(ctx); err != nil {
				t.Fatalf("compact: %v", err)
			}
			tables := []string{"rollup_hour_proj", "rollup_day_proj"}
			want := map[string][]projRow{}
			for _, tb := range tables {
				want[tb] = projRows(t, db, tb)
				if len(want[tb]) == 0 {
					t.Fatalf("%s is empty after ingest", tb)
				}
			}
			// As if the rollups predated the projection tables.
			if err := db.InTx(ctx, nil, func(tx *sql.Tx) error {
				for _, tb := range tables {
					if _, err := tx.ExecContext(ctx, "DELETE FROM "+tb); err != nil {
						return err
					}
				}
				_, err := tx.ExecContext(ctx, "INSERT INTO projection_backfill (pending) VALUES (1)")
				return err
			}); err != nil {
				t.Fatalf("reset projections: %v", err)
			}
			for range 2 { // the second open finds nothing to do
				if _, err := analyticsstore.Open(ctx, db); err != nil {
					t.Fatalf("reopen: %v", err)
				}
				for _, tb := range tables {
					if got := projRows(t, db, tb); !reflect.DeepEqual(got, want[tb]) {
						t.Fatalf("%s after backfill: %d rows differ from the %d ingest wrote", tb, len(got), len(want[tb]))
					}
				}
			}
		})
	}
}

// TestMigrateSessionMinutes: migration 0006 fills the minute masks of
// session hours stored before it from the raw beacons, exactly as ingest
// writes them.
func TestMigrateSessionMinutes(t *testing.T) {
	for _, be := range sqldbtest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			be.Require(t)
			ctx := t.Context()
			db := be.Open(t)
			s, err := analyticsstore.Open(ctx, db)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			rng := rand.New(rand.NewPCG(7, 11))
			at := time.Now().UTC().Truncate(time.Hour).Add(-5 * time.Hour)
			var bs []analytics.Ingested
			for i := range 600 {
				bs = append(bs, analytics.Ingested{OrgID: "org_1", IntegrationID: "int_1", ReceivedAt: at,
					Beacon: analytics.Beacon{SessionID: fmt.Sprintf("s%d", rng.IntN(40)), Sequence: int64(i),
						Time: at.Add(time.Duration(rng.Int64N(int64(5 * time.Hour)))), ContentID: fmt.Sprintf("c%d", rng.IntN(3)),
						StreamType: analytics.StreamVOD, Platform: analytics.PlatformWeb, Network: analytics.NetworkWiFi,
						Country: "FR", ISP: "isp", StartupMS: -1}})
			}
			for start := 0; start < len(bs); start += 150 {
				if _, err := s.InsertBeacons(ctx, bs[start:start+150]); err != nil {
					t.Fatalf("insert: %v", err)
				}
			}
			masks := func() map[string]int64 {
				rows, err := db.QueryContext(ctx, `SELECT bucket, session_id, content_id, minutes FROM session_hours`)
				if err != nil {
					t.Fatalf("read session hours: %v", err)
				}
				defer rows.Close()
				out := map[string]int64{}
				for rows.Next() {
					var (
						bucket, minutes int64
						session, c      string
					)
					if err := rows.Scan(&bucket, &session, &c, &minutes); err != nil {
						t.Fatalf("read session hours: %v", err)
					}
					out[fmt.Sprint(bucket, session, c)] = minutes
				}
				if err := rows.Err(); err != nil {
					t.Fatalf("read session hours: %v", err)
				}
				return out
			}
			want := masks()
			var many int
			for _, m := range want {
				if m&(m-1) != 0 {
					many++
				}
			}
			if len(want) == 0 || many == 0 {
				t.Fatalf("ingest wrote %d session hours, %d of them with beacons in several minutes; want some of each", len(want), many)
			}
			// As if the rows predated the column.
			for _, stmt := range []string{`ALTER TABLE session_hours DROP COLUMN minutes`, `DELETE FROM schema_migrations WHERE version = 6`} {
				if _, err := db.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			if _, err := analyticsstore.Open(ctx, db); err != nil {
				t.Fatalf("reopen: %v", err)
			}
			if got := masks(); !reflect.DeepEqual(got, want) {
				t.Errorf("minute masks after the migration differ from those ingest wrote (%d rows, want %d)", len(got), len(want))
			}
		})
	}
}
