// Package analyticstest holds the conformance suite every analytics.Store
// implementation must pass, and the accuracy property test that runs the
// Service over a store and compares every figure with a recomputation
// from the raw beacons.
package analyticstest

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// RunStoreSuite runs every conformance test against stores made by open,
// each test on a fresh, empty store.
func RunStoreSuite(t *testing.T, open func(t *testing.T) analytics.Store) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s analytics.Store)
	}{
		{"insert is idempotent", testInsertIdempotent},
		{"first of a batch wins", testFirstWins},
		{"rollups at every level", testRollupLevels},
		{"rollups group and filter", testRollupGroupFilter},
		{"startup histogram", testHistogram},
		{"count sessions exactly", testCountSessions},
		{"sketches within their bound", testSketchBound},
		{"concurrent batches count once", testConcurrentInserts},
		{"drop raw keeps rollups", testDropRaw},
		{"drop minute rollups keeps the others", testDropMinuteRollups},
		{"scoped by organization", testScoped},
		{"projections answer as the full rollups", testProjections},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// t0 is recent enough for any store's raw partitions, with nanoseconds
// on purpose: stores keep microseconds.
var t0 = time.Now().UTC().Truncate(24 * time.Hour).Add(-24*time.Hour + 10*time.Hour + 123456789)

func mustNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// beacon returns a valid stored beacon of org's integration.
func beacon(org, session string, seq int64, at time.Time) analytics.Ingested {
	b := analytics.Ingested{OrgID: org, IntegrationID: "int_a", ReceivedAt: at,
		Beacon: analytics.Beacon{SessionID: session, Sequence: seq, Time: at, ContentID: "c1",
			StreamType: analytics.StreamVOD, Platform: analytics.PlatformWeb, Network: analytics.NetworkWiFi,
			CDNBytes: 1000, P2PBytes: 3000, UploadBytes: 10, PlayedMS: 10000, BufferedMS: 100, StartupMS: -1,
			Country: "FR", ISP: "Orange"}}
	if seq == 0 {
		b.StartupMS = 700
	}
	return b
}

func insert(t *testing.T, s analytics.Store, bs ...analytics.Ingested) []analytics.Ingested {
	t.Helper()
	got, err := s.InsertBeacons(context.Background(), bs)
	mustNoErr(t, "insert beacons", err)
	return got
}

// total returns the sums of org over [from, to) at level l.
func total(t *testing.T, s analytics.Store, org string, l analytics.Level, from, to time.Time, fs ...analytics.Filter) analytics.Sums {
	t.Helper()
	rows, err := s.Sums(context.Background(), analytics.RollupQuery{OrgID: org, Level: l,
		Ranges: []analytics.Range{{From: l.Bucket(from), To: l.Bucket(to).Add(l.Width())}}, Filters: fs})
	mustNoErr(t, "sums", err)
	var sum analytics.Sums
	for _, r := range rows {
		sum.Add(&r.Sums)
	}
	return sum
}

func testInsertIdempotent(t *testing.T, s analytics.Store) {
	a, b := beacon("org_1", "s1", 0, t0), beacon("org_1", "s1", 1, t0.Add(time.Second))
	got := insert(t, s, a, b)
	wantEqual(t, "first insert", len(got), 2)
	retry := b
	retry.CDNBytes = 999999 // a retry with another payload changes nothing
	c := beacon("org_1", "s1", 2, t0.Add(2*time.Second))
	got = insert(t, s, retry, a, c)
	wantEqual(t, "second insert stored", len(got), 1)
	wantEqual(t, "second insert beacon", got[0].Sequence, int64(2))
	for _, l := range analytics.Levels {
		sum := total(t, s, "org_1", l, t0, t0)
		wantEqual(t, l.String()+" beacons", sum.Beacons, int64(3))
		wantEqual(t, l.String()+" cdn bytes", sum.CDNBytes, int64(3000))
		wantEqual(t, l.String()+" startups", sum.Startups, int64(1))
	}
}

func testFirstWins(t *testing.T, s analytics.Store) {
	a := beacon("org_1", "s1", 3, t0)
	b := a
	b.CDNBytes = 5
	got := insert(t, s, a, b)
	wantEqual(t, "stored", len(got), 1)
	wantEqual(t, "cdn bytes", total(t, s, "org_1", analytics.LevelMinute, t0, t0).CDNBytes, int64(1000))
	wantEqual(t, "nothing", len(insert(t, s)), 0)
}

func testRollupLevels(t *testing.T, s analytics.Store) {
	hour := t0.Truncate(time.Hour)
	var bs []analytics.Ingested
	for i := range 6 { // one beacon every 20 minutes from hour-40m
		bs = append(bs, beacon("org_1", "s1", int64(i+1), hour.Add(time.Duration(i*20-40)*time.Minute)))
	}
	insert(t, s, bs...)
	ctx := context.Background()
	for _, l := range analytics.Levels {
		rows, err := s.Sums(ctx, analytics.RollupQuery{OrgID: "org_1", Level: l, ByBucket: true,
			Ranges: []analytics.Range{{From: l.Bucket(hour.Add(-time.Hour)), To: l.Bucket(hour.Add(2 * time.Hour)).Add(l.Width())}}})
		mustNoErr(t, "sums", err)
		want := map[time.Time]int64{}
		for _, b := range bs {
			want[l.Bucket(b.Time)]++
		}
		got := map[time.Time]int64{}
		for _, r := range rows {
			got[r.Bucket] += r.Sums.Beacons
		}
		wantEqual(t, l.String()+" buckets", got, want)
	}
	// Two ranges select two spans only.
	rows, err := s.Sums(ctx, analytics.RollupQuery{OrgID: "org_1", Level: analytics.LevelMinute, Ranges: []analytics.Range{
		{From: hour.Add(-40 * time.Minute), To: hour.Add(-39 * time.Minute)}, {From: hour.Add(20 * time.Minute), To: hour.Add(21 * time.Minute)}}})
	mustNoErr(t, "sums of two ranges", err)
	wantEqual(t, "rows of two ranges", len(rows), 1)
	wantEqual(t, "beacons of two ranges", rows[0].Sums.Beacons, int64(2))
}

func testRollupGroupFilter(t *testing.T, s analytics.Store) {
	a := beacon("org_1", "s1", 1, t0)
	b := beacon("org_1", "s2", 1, t0)
	b.Country, b.Platform = "DE", analytics.PlatformIOS
	c := beacon("org_1", "s3", 1, t0)
	c.Country = ""
	insert(t, s, a, b, c)
	rows, err := s.Sums(context.Background(), analytics.RollupQuery{OrgID: "org_1", Level: analytics.LevelHour,
		Ranges:  []analytics.Range{{From: analytics.LevelHour.Bucket(t0), To: analytics.LevelHour.Bucket(t0).Add(time.Hour)}},
		GroupBy: analytics.DimCountry, Filters: []analytics.Filter{{Dimension: analytics.DimPlatform, Value: "ios", Negate: true}}})
	mustNoErr(t, "sums", err)
	got := map[string]int64{}
	for _, r := range rows {
		got[r.Key] = r.Sums.Beacons
	}
	wantEqual(t, "by country, not ios", got, map[string]int64{"FR": 1, "": 1})
}

func testHistogram(t *testing.T, s analytics.Store) {
	var bs []analytics.Ingested
	var want analytics.Histogram
	for i, ms := range []int64{0, 49, 50, 120, 1999, 2000, 4999, 30000, analytics.MaxStartupMS} {
		b := beacon("org_1", fmt.Sprintf("h%d", i), 0, t0)
		b.StartupMS = ms
		bs = append(bs, b)
		want[analytics.StartupBucket(ms)]++
	}
	insert(t, s, bs[:4]...)
	insert(t, s, bs[4:]...) // merged with the stored row
	rows, err := s.Sums(context.Background(), analytics.RollupQuery{OrgID: "org_1", Level: analytics.LevelDay, Histogram: true,
		Ranges: []analytics.Range{{From: analytics.LevelDay.Bucket(t0), To: analytics.LevelDay.Bucket(t0).Add(24 * time.Hour)}}})
	mustNoErr(t, "sums", err)
	if len(rows) != 1 {
		t.Fatalf("rows: got %d, want 1", len(rows))
	}
	wantEqual(t, "histogram", rows[0].Startup, want)
	wantEqual(t, "startup sum", rows[0].Sums.StartupMSSum, int64(0+49+50+120+1999+2000+4999+30000+analytics.MaxStartupMS))
}

func testCountSessions(t *testing.T, s analytics.Store) {
	var bs []analytics.Ingested
	for i := range 30 {
		b := beacon("org_1", fmt.Sprintf("s%d", i%7), int64(i), t0.Add(time.Duration(i)*time.Minute))
		if i%5 == 0 {
			b.ErrorCode = "E1"
		}
		if i%2 == 0 {
			b.Country = "DE"
		}
		bs = append(bs, b)
	}
	insert(t, s, bs...)
	edges := []time.Time{t0.Truncate(time.Minute), t0.Truncate(time.Minute).Add(7 * time.Minute), t0.Truncate(time.Minute).Add(30 * time.Minute)}
	for _, tc := range []struct {
		name string
		q    analytics.SessionsQuery
	}{
		{"uneven edges", analytics.SessionsQuery{Edges: edges}},
		{"by country", analytics.SessionsQuery{Edges: edges, GroupBy: analytics.DimCountry}},
		{"errors only", analytics.SessionsQuery{Edges: edges, ErrorsOnly: true}},
		{"not DE", analytics.SessionsQuery{Edges: edges, Filters: []analytics.Filter{{Dimension: analytics.DimCountry, Value: "DE", Negate: true}}}},
		{"per minute", analytics.SessionsQuery{Width: time.Minute, From: edges[0], To: edges[2]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.OrgID = "org_1"
			rows, err := s.CountSessions(context.Background(), q)
			mustNoErr(t, "count", err)
			got := map[[2]string]int64{}
			for _, r := range rows {
				got[[2]string{fmt.Sprint(r.Bucket), r.Key}] = r.Count
			}
			want := map[[2]string]map[string]bool{}
			for _, b := range bs {
				bucket := -1
				if q.Width > 0 {
					bucket = int(b.Time.Truncate(time.Microsecond).Sub(q.From) / q.Width)
				} else {
					for i := range len(q.Edges) - 1 {
						if !b.Time.Before(q.Edges[i]) && b.Time.Before(q.Edges[i+1]) {
							bucket = i
						}
					}
				}
				if bucket < 0 || (q.ErrorsOnly && b.ErrorCode == "") || !matches(&b, q.Filters) {
					continue
				}
				k := [2]string{fmt.Sprint(bucket), groupValue(&b, q.GroupBy)}
				if want[k] == nil {
					want[k] = map[string]bool{}
				}
				want[k][b.SessionID] = true
			}
			wantCounts := map[[2]string]int64{}
			for k, v := range want {
				wantCounts[k] = int64(len(v))
			}
			wantEqual(t, "counts", got, wantCounts)
		})
	}
}

// sketchTolerance is the bound the documentation promises for a sketch
// estimate of n: three standard errors, and at least 1.
func sketchTolerance(n int64) float64 {
	return max(1, math.Ceil(3*analytics.SketchStdError*float64(n)))
}

func testSketchBound(t *testing.T, s analytics.Store) {
	const sessions = 4000
	var bs []analytics.Ingested
	countries := []string{"FR", "DE", "US", "BR"}
	for i := range sessions {
		for j := range 2 { // each session in two buckets and two countries
			b := beacon("org_1", fmt.Sprintf("sess-%05d", i), int64(j+1), t0.Add(time.Duration(i%90+j*47)*time.Minute))
			b.Country = countries[(i+j)%4]
			if i%10 == 0 {
				b.ErrorCode = "E"
			}
			bs = append(bs, b)
		}
	}
	for i := 0; i < len(bs); i += 500 {
		insert(t, s, bs[i:min(len(bs), i+500)]...)
	}
	for _, l := range analytics.Levels {
		for _, errorsOnly := range []bool{false, true} {
			rows, err := s.Sketches(context.Background(), analytics.RollupQuery{OrgID: "org_1", Level: l, ErrorSessions: errorsOnly,
				Ranges: []analytics.Range{{From: l.Bucket(t0), To: l.Bucket(t0.Add(3 * time.Hour)).Add(l.Width())}}})
			mustNoErr(t, "sketches", err)
			if len(rows) != 1 {
				t.Fatalf("%s: rows: got %d, want 1", l, len(rows))
			}
			want := int64(sessions)
			if errorsOnly {
				want = sessions / 10
			}
			got := int64(rows[0].Sketch.Estimate())
			if d := math.Abs(float64(got - want)); d > sketchTolerance(want) {
				t.Errorf("%s errors=%v: estimate %d, want %d within %v", l, errorsOnly, got, want, sketchTolerance(want))
			}
		}
	}
}

func testConcurrentInserts(t *testing.T, s analytics.Store) {
	var bs []analytics.Ingested
	for i := range 200 {
		bs = append(bs, beacon("org_1", fmt.Sprintf("s%d", i%20), int64(i), t0.Add(time.Duration(i)*time.Second)))
	}
	var wg sync.WaitGroup
	stored := make([]int, 4)
	errs := make([]error, 4)
	for w := range 4 {
		wg.Go(func() {
			// Every worker sends every beacon, in its own order.
			mine := append([]analytics.Ingested(nil), bs[w*50:]...)
			mine = append(mine, bs[:w*50]...)
			got, err := s.InsertBeacons(context.Background(), mine)
			stored[w], errs[w] = len(got), err
		})
	}
	wg.Wait()
	n := 0
	for w := range 4 {
		mustNoErr(t, "concurrent insert", errs[w])
		n += stored[w]
	}
	wantEqual(t, "stored in all", n, 200)
	for _, l := range analytics.Levels {
		wantEqual(t, l.String()+" beacons", total(t, s, "org_1", l, t0, t0.Add(200*time.Second)).Beacons, int64(200))
	}
}

func testDropRaw(t *testing.T, s analytics.Store) {
	ctx := context.Background()
	old := t0.Add(-24 * time.Hour)
	mustNoErr(t, "prepare", s.PrepareRaw(ctx, old, t0.Add(time.Hour)))
	insert(t, s, beacon("org_1", "old", 1, old), beacon("org_1", "new", 1, t0))
	mustNoErr(t, "drop", s.DropRawBefore(ctx, t0.Truncate(24*time.Hour)))
	rows, err := s.CountSessions(ctx, analytics.SessionsQuery{OrgID: "org_1", Edges: []time.Time{old.Add(-time.Hour), t0.Add(time.Hour)}})
	mustNoErr(t, "count", err)
	wantEqual(t, "raw sessions left", rows, []analytics.CountRow{{Bucket: 0, Count: 1}})
	hour := analytics.LevelHour
	rows, err = s.CountSessions(ctx, analytics.SessionsQuery{OrgID: "org_1", Edges: []time.Time{hour.Bucket(old), hour.Bucket(t0).Add(time.Hour)}})
	mustNoErr(t, "count whole hours", err)
	wantEqual(t, "sessions of whole hours left", rows, []analytics.CountRow{{Bucket: 0, Count: 1}})
	wantEqual(t, "rollups kept", total(t, s, "org_1", analytics.LevelDay, old, t0).Beacons, int64(2))
	// A late beacon for a dropped day is accepted again.
	insert(t, s, beacon("org_1", "old", 2, old))
}

func testDropMinuteRollups(t *testing.T, s analytics.Store) {
	ctx := context.Background()
	old := t0.Add(-2 * time.Hour)
	insert(t, s, beacon("org_1", "old", 1, old), beacon("org_1", "new", 1, t0))
	cut := analytics.LevelHour.Bucket(t0)
	mustNoErr(t, "drop", s.DropMinuteRollupsBefore(ctx, cut))
	wantEqual(t, "minute rollups left", total(t, s, "org_1", analytics.LevelMinute, old, t0).Beacons, int64(1))
	wantEqual(t, "minute rollups after the cut", total(t, s, "org_1", analytics.LevelMinute, t0, t0).Beacons, int64(1))
	for _, l := range []analytics.Level{analytics.LevelHour, analytics.LevelDay} {
		wantEqual(t, l.String()+" rollups kept", total(t, s, "org_1", l, old, t0).Beacons, int64(2))
	}
	mustNoErr(t, "drop again", s.DropMinuteRollupsBefore(ctx, cut))
}

func testScoped(t *testing.T, s analytics.Store) {
	insert(t, s, beacon("org_1", "s1", 1, t0), beacon("org_2", "s1", 1, t0))
	wantEqual(t, "org_2 beacons", total(t, s, "org_2", analytics.LevelHour, t0, t0).Beacons, int64(1))
	wantEqual(t, "org_3 beacons", total(t, s, "org_3", analytics.LevelHour, t0, t0).Beacons, int64(0))
}

// matches reports whether b passes the filters.
func matches(b *analytics.Ingested, fs []analytics.Filter) bool {
	for _, f := range fs {
		if (groupValue(b, f.Dimension) == f.Value) == f.Negate {
			return false
		}
	}
	return true
}

// groupValue returns b's value of dimension d, "" when d is "".
func groupValue(b *analytics.Ingested, d analytics.Dimension) string {
	switch d {
	case analytics.DimIntegration:
		return b.IntegrationID
	case analytics.DimContent:
		return b.ContentID
	case analytics.DimStreamType:
		return string(b.StreamType)
	case analytics.DimPlatform:
		return string(b.Platform)
	case analytics.DimCountry:
		return b.Country
	case analytics.DimISP:
		return b.ISP
	}
	return ""
}
