package analyticstest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// testProjections: every projection answers every question it can answer
// exactly as the full rollups do (sums, histograms and sketches), and
// refuses one it cannot.
func testProjections(t *testing.T, s analytics.Store) {
	rng := rand.New(rand.NewPCG(7, 11))
	day := analytics.LevelDay.Bucket(t0).Add(-24 * time.Hour)
	values := map[analytics.Dimension][]string{
		analytics.DimIntegration: {"int_a", "int_b"},
		analytics.DimContent:     {"c1", "c2", "c3"},
		analytics.DimStreamType:  {"live", "vod"},
		analytics.DimPlatform:    {"web", "ios", "android"},
		analytics.DimCountry:     {"FR", "DE", ""},
		analytics.DimISP:         {"Orange", "Free"},
	}
	pick := func(d analytics.Dimension) string { vs := values[d]; return vs[rng.IntN(len(vs))] }
	var bs []analytics.Ingested
	for i := range 600 {
		b := beacon("org_1", fmt.Sprintf("s%d", rng.IntN(150)), int64(i), day.Add(time.Duration(rng.Int64N(int64(48*time.Hour)))))
		b.IntegrationID, b.ContentID = pick(analytics.DimIntegration), pick(analytics.DimContent)
		b.StreamType, b.Platform = analytics.StreamType(pick(analytics.DimStreamType)), analytics.Platform(pick(analytics.DimPlatform))
		b.Country, b.ISP = pick(analytics.DimCountry), pick(analytics.DimISP)
		b.CDNBytes, b.PlayedMS = rng.Int64N(1<<20), rng.Int64N(20000)
		if rng.IntN(5) == 0 {
			b.StartupMS = rng.Int64N(9000)
		}
		if rng.IntN(9) == 0 {
			b.ErrorCode = "E42"
		}
		bs = append(bs, b)
	}
	for start := 0; start < len(bs); start += 150 {
		insert(t, s, bs[start:start+150]...)
	}
	ctx := context.Background()
	ranges := []analytics.Range{{From: day, To: day.Add(48 * time.Hour)}}
	for _, l := range analytics.ProjectedLevels {
		for _, p := range analytics.Projections() {
			dims := p.Dimensions()
			// Questions: no filter nor group; each kept dimension as the
			// group, and as a filter (kept or negated) with the others
			// as the group.
			qs := []analytics.RollupQuery{{}}
			for _, d := range dims {
				qs = append(qs, analytics.RollupQuery{GroupBy: d, ByBucket: true})
				for _, neg := range []bool{false, true} {
					q := analytics.RollupQuery{Filters: []analytics.Filter{{Dimension: d, Value: values[d][0], Negate: neg}}}
					for _, g := range dims {
						if g != d {
							q.GroupBy = g
						}
					}
					qs = append(qs, q)
				}
			}
			for _, q := range qs {
				q.OrgID, q.Level, q.Ranges, q.Histogram = "org_1", l, ranges, true
				what := fmt.Sprintf("%s projection %v, filters %v, group %q", l, dims, q.Filters, q.GroupBy)
				full, err := s.Sums(ctx, q)
				mustNoErr(t, what+": full sums", err)
				pq := q
				pq.Projection = p
				got, err := s.Sums(ctx, pq)
				mustNoErr(t, what+": projected sums", err)
				wantEqual(t, what+": sums", sortSums(got), sortSums(full))
				for _, errs := range []bool{false, true} {
					q.ErrorSessions, pq.ErrorSessions = errs, errs
					fk, err := s.Sketches(ctx, q)
					mustNoErr(t, what+": full sketches", err)
					pk, err := s.Sketches(ctx, pq)
					mustNoErr(t, what+": projected sketches", err)
					wantEqual(t, fmt.Sprintf("%s: sketch estimates (errors only %v)", what, errs), estimates(pk), estimates(fk))
				}
			}
		}
		// A projection refuses a dimension it does not keep.
		p := analytics.ChooseProjection([]analytics.Dimension{analytics.DimCountry})
		_, err := s.Sums(ctx, analytics.RollupQuery{OrgID: "org_1", Level: l, Projection: p, Ranges: ranges,
			GroupBy: analytics.DimISP})
		if !errors.Is(err, analytics.ErrInvalid) {
			t.Errorf("%s projection %v grouped by isp: %v, want ErrInvalid", l, p.Dimensions(), err)
		}
	}
	_, err := s.Sums(ctx, analytics.RollupQuery{OrgID: "org_1", Level: analytics.LevelMinute, Projection: 1, Ranges: ranges})
	if !errors.Is(err, analytics.ErrInvalid) {
		t.Errorf("a projection of minute rollups: %v, want ErrInvalid", err)
	}
}

func sortSums(rows []analytics.SumsRow) []analytics.SumsRow {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b analytics.SumsRow) int {
		if c := a.Bucket.Compare(b.Bucket); c != 0 {
			return c
		}
		return cmpString(a.Key, b.Key)
	})
	return rows
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// estimates returns each sketch row's estimate, by bucket and key.
func estimates(rows []analytics.SketchRow) map[string]uint64 {
	out := map[string]uint64{}
	for _, r := range rows {
		out[r.Bucket.String()+"|"+r.Key] = r.Sketch.Estimate()
	}
	return out
}
