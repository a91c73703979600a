package analyticsstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/analytics/analyticsstore"
	"github.com/portico-gw/portico/internal/platform/sqldb"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

// compactBeacons returns n random beacons of two organizations over 30
// hours from at, batch by batch in slices of size, with a share of them
// sent again in a later batch (retries).
func compactBeacons(rng *rand.Rand, at time.Time, n, size int) [][]analytics.Ingested {
	var all []analytics.Ingested
	for i := range n {
		b := analytics.Ingested{OrgID: []string{"org_1", "org_2"}[rng.IntN(2)], IntegrationID: []string{"int_1", "int_2"}[rng.IntN(2)],
			ReceivedAt: at, Beacon: analytics.Beacon{SessionID: fmt.Sprintf("s%d", rng.IntN(60)), Sequence: int64(i),
				Time: at.Add(time.Duration(rng.Int64N(int64(30 * time.Hour)))), ContentID: fmt.Sprintf("c%d", rng.IntN(3)),
				StreamType: analytics.StreamVOD, Platform: []analytics.Platform{analytics.PlatformWeb, analytics.PlatformIOS}[rng.IntN(2)],
				Network: analytics.NetworkWiFi, Country: []string{"FR", "DE"}[rng.IntN(2)], ISP: "isp",
				CDNBytes: rng.Int64N(1000), P2PBytes: rng.Int64N(1000), PlayedMS: rng.Int64N(10000), StartupMS: -1}}
		if i%5 == 0 {
			b.StartupMS = rng.Int64N(5000)
		}
		if i%11 == 0 {
			b.ErrorCode = "E1"
		}
		all = append(all, b)
	}
	var batches [][]analytics.Ingested
	for start := 0; start < len(all); start += size {
		batch := append([]analytics.Ingested(nil), all[start:min(start+size, len(all))]...)
		if start > 0 {
			batch = append(batch, all[rng.IntN(start)]) // a retry of a stored beacon
		}
		batches = append(batches, batch)
	}
	return batches
}

// rollupAnswers returns what the store answers for every level, the
// projections of the projected ones, each grouping and a filter: sums
// with histograms, and sketch estimates.
func rollupAnswers(t *testing.T, s *analyticsstore.Store, from, to time.Time) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, org := range []string{"org_1", "org_2"} {
		for _, l := range analytics.Levels {
			projections := []analytics.Projection{0}
			if l != analytics.LevelMinute {
				projections = append(projections, analytics.Projections()...)
			}
			for _, p := range projections {
				for _, g := range append([]analytics.Dimension{""}, p.Dimensions()...) {
					if p == 0 && g == "" {
						g = analytics.DimCountry
					}
					q := analytics.RollupQuery{OrgID: org, Level: l, Projection: p, GroupBy: g, ByBucket: true, Histogram: true,
						Ranges: []analytics.Range{{From: l.Bucket(from), To: l.Bucket(to).Add(l.Width())}}}
					if p.Keeps(analytics.DimPlatform) {
						q.Filters = []analytics.Filter{{Dimension: analytics.DimPlatform, Value: string(analytics.PlatformWeb), Negate: true}}
					}
					name := fmt.Sprintf("%s %s p%d by %s", org, l, p, g)
					sums, err := s.Sums(t.Context(), q)
					if err != nil {
						t.Fatalf("%s: sums: %v", name, err)
					}
					out[name+" sums"] = sums
					for _, errorsOnly := range []bool{false, true} {
						q.ErrorSessions = errorsOnly
						sk, err := s.Sketches(t.Context(), q)
						if err != nil {
							t.Fatalf("%s: sketches: %v", name, err)
						}
						est := map[string]uint64{}
						for _, r := range sk {
							est[fmt.Sprint(r.Bucket.Unix(), r.Key)] = r.Sketch.Estimate()
						}
						out[fmt.Sprint(name, " sketches errors=", errorsOnly)] = est
					}
				}
			}
		}
	}
	return out
}

// splitCells counts, in every PostgreSQL rollup table, the cells held in
// more than one row, and the pending buckets.
func splitCells(t *testing.T, db *sqldb.DB) (cells, pending int) {
	t.Helper()
	for table, key := range map[string]string{
		"rollup_minute":    "org_id, bucket, integration_id, content_id, stream_type, platform, country, isp",
		"rollup_hour":      "org_id, bucket, integration_id, content_id, stream_type, platform, country, isp",
		"rollup_day":       "org_id, bucket, integration_id, content_id, stream_type, platform, country, isp",
		"rollup_hour_proj": "org_id, projection, bucket, integration_id, content_id, stream_type, platform, country, isp",
		"rollup_day_proj":  "org_id, projection, bucket, integration_id, content_id, stream_type, platform, country, isp",
	} {
		var n int
		if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM (SELECT 1 FROM `+table+` GROUP BY `+key+
			` HAVING count(*) > 1) c`).Scan(&n); err != nil {
			t.Fatalf("count split cells of %s: %v", table, err)
		}
		cells += n
	}
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM rollup_pending`).Scan(&pending); err != nil {
		t.Fatalf("count pending buckets: %v", err)
	}
	return cells, pending
}

// TestCompactRollups: merging the rollup rows batches appended changes
// no answer, leaves one row per cell and nothing pending; merges running
// at once with each other and with ingest lose and double nothing.
func TestCompactRollups(t *testing.T) {
	for _, be := range sqldbtest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			be.Require(t)
			ctx := t.Context()
			db := be.Open(t)
			s, err := analyticsstore.Open(ctx, db)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			s.SetCompactEvery(1 << 30) // only the merges this test asks for
			rng := rand.New(rand.NewPCG(7, 11))
			at := time.Now().UTC().Truncate(time.Hour).Add(-30 * time.Hour)
			batches := compactBeacons(rng, at, analyticsstore.CompactBeacons, 60)
			for _, b := range batches[:len(batches)/2] {
				if _, err := s.InsertBeacons(ctx, b); err != nil {
					t.Fatalf("insert: %v", err)
				}
			}
			pg := db.Dialect() == sqldb.Postgres
			if pg {
				if cells, pending := splitCells(t, db); cells == 0 || pending == 0 {
					t.Fatalf("before the merge: %d split cells, %d pending buckets; want some of each", cells, pending)
				}
			}
			before := rollupAnswers(t, s, at, at.Add(30*time.Hour))

			// Two merges at once, and batches meanwhile.
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for range 2 {
				wg.Go(func() { errs <- s.CompactRollups(ctx) })
			}
			rest := batches[len(batches)/2:]
			for w := range 2 {
				wg.Go(func() {
					for i := w; i < len(rest); i += 2 {
						if _, err := s.InsertBeacons(ctx, rest[i]); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Go(func() { errs <- s.CompactRollups(ctx) })
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("merge or insert: %v", err)
				}
			}
			full := rollupAnswers(t, s, at, at.Add(30*time.Hour))
			if err := s.CompactRollups(ctx); err != nil {
				t.Fatalf("merge: %v", err)
			}
			if pg {
				if cells, pending := splitCells(t, db); cells != 0 || pending != 0 {
					t.Fatalf("after the merge: %d split cells, %d pending buckets; want none", cells, pending)
				}
			}
			if after := rollupAnswers(t, s, at, at.Add(30*time.Hour)); !reflect.DeepEqual(after, full) {
				for k := range full {
					if !reflect.DeepEqual(after[k], full[k]) {
						t.Fatalf("%s changed with the merge:\nbefore %v\nafter  %v", k, full[k], after[k])
					}
				}
				t.Fatalf("the answers changed with the merge")
			}

			// The same beacons into a store that merges nothing answer the same.
			db2 := be.Open(t)
			s2, err := analyticsstore.Open(ctx, db2)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			s2.SetCompactEvery(1 << 30)
			for _, b := range batches {
				if _, err := s2.InsertBeacons(ctx, b); err != nil {
					t.Fatalf("insert: %v", err)
				}
			}
			if unmerged := rollupAnswers(t, s2, at, at.Add(30*time.Hour)); !reflect.DeepEqual(unmerged, full) {
				for k := range full {
					if !reflect.DeepEqual(unmerged[k], full[k]) {
						t.Fatalf("%s: merged %v, unmerged %v", k, full[k], unmerged[k])
					}
				}
			}
			// And the first half's answers did not move while the second
			// half was stored: every first-half bucket is still there.
			if len(before) != len(full) {
				t.Fatalf("%d answers before, %d after", len(before), len(full))
			}
		})
	}
}

// TestRunCompactions: while a merge loop runs, a batch that passes the
// merge mark leaves the merge to the loop instead of making its caller
// wait for it, and the loop merges as soon as it is told, not only at
// its interval. On SQLite the loop only waits for its end.
func TestRunCompactions(t *testing.T) {
	for _, be := range sqldbtest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			be.Require(t)
			ctx := t.Context()
			db := be.Open(t)
			s, err := analyticsstore.Open(ctx, db)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			s.SetCompactEvery(300)
			at := time.Now().UTC().Truncate(time.Hour).Add(-30 * time.Hour)
			batches := compactBeacons(rand.New(rand.NewPCG(3, 5)), at, 900, 200)
			insert := func(bs []analytics.Ingested) {
				t.Helper()
				if _, err := s.InsertBeacons(ctx, bs); err != nil {
					t.Fatalf("insert: %v", err)
				}
			}
			if db.Dialect() != sqldb.Postgres {
				loopCtx, stop := context.WithCancel(ctx)
				done := make(chan struct{})
				go func() { s.RunCompactions(loopCtx, time.Millisecond, nil); close(done) }()
				insert(batches[0])
				stop()
				<-done
				return
			}

			// A loop that never merges: the batches passing the mark (300
			// beacons) ask it to, and merge nothing themselves.
			asked, stopPretending := analyticsstore.PretendCompactionLoop(s)
			insert(batches[0])
			insert(batches[1])
			if !asked() {
				t.Fatalf("no merge was asked for after %d beacons; want one past every 300", len(batches[0])+len(batches[1]))
			}
			if cells, _ := splitCells(t, db); cells == 0 {
				t.Fatalf("the batches merged the rollup rows themselves while a merge loop ran")
			}
			stopPretending()

			// A real loop, whose interval never comes: the next mark makes
			// it merge.
			loopCtx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			var failed []error
			go func() {
				s.RunCompactions(loopCtx, time.Hour, func(err error) { failed = append(failed, err) })
				close(done)
			}()
			insert(batches[2])
			deadline := time.Now().Add(time.Minute)
			for {
				cells, pending := splitCells(t, db)
				if cells == 0 && pending == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("a minute after passing the mark: %d split cells, %d pending buckets; want none", cells, pending)
				}
				time.Sleep(20 * time.Millisecond)
			}
			stop()
			<-done
			if len(failed) > 0 {
				t.Fatalf("merges failed: %v", failed)
			}
		})
	}
}
