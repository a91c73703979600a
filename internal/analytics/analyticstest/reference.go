package analyticstest

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// metrics are every metric the accuracy test asks for.
var metrics = []analytics.Metric{analytics.MetricViewers, analytics.MetricPeakConcurrent, analytics.MetricAvgConcurrent,
	analytics.MetricWatchTime, analytics.MetricCDNBytes, analytics.MetricP2PBytes, analytics.MetricUploadBytes,
	analytics.MetricOffloadRatio, analytics.MetricBandwidth, analytics.MetricRebufferingRatio,
	analytics.MetricStartupTimeAvg, analytics.MetricStartupTimeP95, analytics.MetricErrorRate, analytics.MetricBeacons}

// filterSets are the filters of the accuracy test's queries.
var filterSets = [][]analytics.Filter{
	nil,
	{{Dimension: analytics.DimPlatform, Value: "web"}},
	{{Dimension: analytics.DimCountry, Value: "FR", Negate: true}},
	{{Dimension: analytics.DimIntegration, Value: "int_a2"}, {Dimension: analytics.DimPlatform, Value: "ios", Negate: true}},
}

// localDay returns the local midnight of t's day in loc.
func localDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc).UTC()
}

// edges returns the bucket boundaries of g from from to to.
func edges(from, to time.Time, g analytics.Granularity, loc *time.Location) []time.Time {
	es := []time.Time{from}
	for e := from; e.Before(to); {
		switch g {
		case analytics.GranMinute:
			e = e.Add(time.Minute)
		case analytics.GranTenMinute:
			e = e.Add(10 * time.Minute)
		case analytics.GranHour:
			e = e.Add(time.Hour)
		case analytics.GranDay:
			y, m, d := e.In(loc).Date()
			e = time.Date(y, m, d+1, 0, 0, 0, 0, loc).UTC()
		}
		es = append(es, e)
	}
	return es
}

// checkQueries asks svc every metric in every shape over org's data and
// compares with the recomputation from m; sketch says that svc counts
// viewers from sketches.
func checkQueries(t *testing.T, svc Querier, m *model, org string, now time.Time, loc *time.Location, sketch bool) {
	t.Helper()
	var own []analytics.Ingested
	for _, b := range m.beacons {
		if b.OrgID == org {
			own = append(own, b)
		}
	}
	all := analytics.Range{From: localDay(now.Add(-48*time.Hour), loc), To: localDay(now, loc).Add(36 * time.Hour)}
	all.To = localDay(all.To, loc)
	hours := analytics.Range{From: now.Add(-30 * time.Hour).Truncate(time.Hour), To: now.Add(-5 * time.Hour).Truncate(time.Hour)}
	odd := analytics.Range{From: now.Add(-20*time.Hour - 17*time.Minute).Truncate(time.Minute), To: now.Add(-3*time.Hour - 41*time.Minute).Truncate(time.Minute)}
	midnight := now.Truncate(24 * time.Hour)
	series := []struct {
		g analytics.Granularity
		r analytics.Range
	}{
		{analytics.GranMinute, analytics.Range{From: midnight.Add(-45 * time.Minute), To: midnight.Add(45 * time.Minute)}},
		{analytics.GranTenMinute, analytics.Range{From: now.Add(-30 * time.Hour).Truncate(10 * time.Minute), To: now.Add(-24 * time.Hour).Truncate(10 * time.Minute)}},
		{analytics.GranHour, analytics.Range{From: now.Add(-47 * time.Hour).Truncate(time.Hour), To: now.Truncate(time.Hour).Add(time.Hour)}},
		{analytics.GranDay, all},
	}
	ctx := context.Background()
	for _, metric := range metrics {
		for fi, fs := range filterSets {
			var want []analytics.Ingested
			for _, b := range own {
				if matches(&b, fs) {
					want = append(want, b)
				}
			}
			name := fmt.Sprintf("%s/%s/filters%d/%s", org, metric, fi, loc)
			base := analytics.Query{OrgID: org, Metric: metric, Location: loc, Filters: fs, Granularity: analytics.GranHour}
			for _, r := range []analytics.Range{all, hours, odd} {
				q := base
				q.From, q.To = r.From, r.To
				got, err := svc.Overall(ctx, reader, q)
				if err != nil {
					t.Fatalf("%s overall %v: %v", name, r, err)
				}
				compare(t, name+" overall "+r.From.String(), metric, got, refFigures(within(want, r.From, r.To), r.From, r.To), sketch)
			}
			for _, s := range series {
				q := base
				q.From, q.To, q.Granularity = s.r.From, s.r.To, s.g
				pts, err := svc.Timeseries(ctx, reader, q)
				if err != nil {
					t.Fatalf("%s timeseries %s: %v", name, s.g, err)
				}
				es := edges(s.r.From, s.r.To, s.g, loc)
				if len(pts) != len(es)-1 {
					t.Fatalf("%s timeseries %s: got %d points, want %d", name, s.g, len(pts), len(es)-1)
				}
				for i, p := range pts {
					if !p.Start.Equal(es[i]) {
						t.Fatalf("%s timeseries %s point %d: start %v, want %v", name, s.g, i, p.Start, es[i])
					}
					compare(t, fmt.Sprintf("%s timeseries %s at %v", name, s.g, es[i]), metric, p.Value,
						refFigures(within(want, es[i], es[i+1]), es[i], es[i+1]), sketch)
				}
			}
			if fi%2 == 0 { // breakdowns without filters and with a negated one
				for _, d := range analytics.Dimensions {
					checkBreakdown(t, svc, base, odd, d, want, sketch, name)
				}
			}
		}
	}
	if !sketch {
		checkUsageAndValues(t, svc, org, all, own)
	}
}

// checkBreakdown compares a breakdown, read page by page, with the
// recomputation.
func checkBreakdown(t *testing.T, svc Querier, base analytics.Query, r analytics.Range, d analytics.Dimension,
	bs []analytics.Ingested, sketch bool, name string) {
	t.Helper()
	groups := map[string][]analytics.Ingested{}
	for _, b := range within(bs, r.From, r.To) {
		k := groupValue(&b, d)
		groups[k] = append(groups[k], b)
	}
	q := base
	q.From, q.To, q.GroupBy, q.OrderBy, q.OrderDesc, q.Limit = r.From, r.To, d, "value", true, 3
	var rows []analytics.Row
	for pages := 0; ; pages++ {
		page, err := svc.Breakdown(context.Background(), reader, q)
		if err != nil {
			t.Fatalf("%s breakdown by %s: %v", name, d, err)
		}
		rows = append(rows, page.Rows...)
		if page.NextCursor == "" || pages > 100 {
			break
		}
		q.Cursor = page.NextCursor
	}
	if len(rows) != len(groups) {
		t.Errorf("%s breakdown by %s: got %d rows, want %d", name, d, len(rows), len(groups))
	}
	for _, row := range rows {
		g, ok := groups[row.Key]
		if !ok {
			t.Errorf("%s breakdown by %s: unexpected key %q", name, d, row.Key)
			continue
		}
		compare(t, fmt.Sprintf("%s breakdown by %s key %q", name, d, row.Key), base.Metric, row.Value, refFigures(g, r.From, r.To), sketch)
	}
	if sketch {
		return // estimates may reorder rows
	}
	if !slices.IsSortedFunc(rows, func(a, b analytics.Row) int {
		if a.Value.Valid != b.Value.Valid {
			if a.Value.Valid {
				return -1
			}
			return 1
		}
		return cmp.Or(-cmp.Compare(a.Value.Number, b.Value.Number), strings.Compare(a.Key, b.Key))
	}) {
		t.Errorf("%s breakdown by %s: rows out of order: %+v", name, d, rows)
	}
}

// checkUsageAndValues compares the integration usage and the dimension
// values with the recomputation.
func checkUsageAndValues(t *testing.T, svc Querier, org string, r analytics.Range, bs []analytics.Ingested) {
	t.Helper()
	q := analytics.Query{OrgID: org, From: r.From, To: r.To, Limit: 1000}
	usage, err := svc.IntegrationUsage(context.Background(), reader, q)
	if err != nil {
		t.Fatalf("usage: %v", err)
	}
	want := map[string]*analytics.Usage{}
	sessions := map[string]map[string]bool{}
	for _, b := range within(bs, r.From, r.To) {
		u := want[b.IntegrationID]
		if u == nil {
			u = &analytics.Usage{IntegrationID: b.IntegrationID}
			want[b.IntegrationID] = u
			sessions[b.IntegrationID] = map[string]bool{}
		}
		u.CDNBytes += b.CDNBytes
		u.P2PBytes += b.P2PBytes
		u.UploadBytes += b.UploadBytes
		u.WatchTimeMS += b.PlayedMS
		sessions[b.IntegrationID][b.SessionID] = true
	}
	var wantList []analytics.Usage
	for _, id := range sortedKeys(want) {
		want[id].Viewers = int64(len(sessions[id]))
		wantList = append(wantList, *want[id])
	}
	wantEqual(t, org+" integration usage", usage, wantList)
	for _, d := range analytics.Dimensions {
		vals, err := svc.DimensionValues(context.Background(), reader, q, d)
		if err != nil {
			t.Fatalf("dimension values %s: %v", d, err)
		}
		counts := map[string]int64{}
		for _, b := range within(bs, r.From, r.To) {
			counts[groupValue(&b, d)]++
		}
		got := map[string]int64{}
		for _, v := range vals {
			got[v.Value] = v.Beacons
		}
		wantEqual(t, fmt.Sprintf("%s values of %s", org, d), got, counts)
	}
}

// within returns the beacons with event times in [from, to).
func within(bs []analytics.Ingested, from, to time.Time) []analytics.Ingested {
	var out []analytics.Ingested
	for _, b := range bs {
		if !b.Time.Before(from) && b.Time.Before(to) {
			out = append(out, b)
		}
	}
	return out
}

// reference is the recomputation of one bucket's figures from its
// beacons, written from docs/metrics.md.
type reference struct {
	from, to      time.Time
	sums          analytics.Sums
	sessions      map[string]bool
	errSessions   map[string]bool
	perMinute     map[time.Time]map[string]bool
	startupValues []int64
}

func refFigures(bs []analytics.Ingested, from, to time.Time) *reference {
	r := &reference{from: from, to: to, sessions: map[string]bool{}, errSessions: map[string]bool{}, perMinute: map[time.Time]map[string]bool{}}
	for i := range bs {
		b := &bs[i]
		r.sums.Beacons++
		r.sums.CDNBytes += b.CDNBytes
		r.sums.P2PBytes += b.P2PBytes
		r.sums.UploadBytes += b.UploadBytes
		r.sums.PlayedMS += b.PlayedMS
		r.sums.BufferedMS += b.BufferedMS
		if b.StartupMS >= 0 {
			r.startupValues = append(r.startupValues, b.StartupMS)
			r.sums.StartupMSSum += b.StartupMS
		}
		r.sessions[b.SessionID] = true
		if b.ErrorCode != "" {
			r.errSessions[b.SessionID] = true
		}
		minute := b.Time.UTC().Truncate(time.Minute)
		if r.perMinute[minute] == nil {
			r.perMinute[minute] = map[string]bool{}
		}
		r.perMinute[minute][b.SessionID] = true
	}
	return r
}

// value returns metric's figure, and whether it has one.
func (r *reference) value(metric analytics.Metric) (float64, bool) {
	s := &r.sums
	seconds := float64(r.to.Sub(r.from) / time.Second)
	switch metric {
	case analytics.MetricViewers:
		return float64(len(r.sessions)), true
	case analytics.MetricPeakConcurrent:
		peak := 0
		for _, set := range r.perMinute {
			peak = max(peak, len(set))
		}
		return float64(peak), true
	case analytics.MetricAvgConcurrent:
		total := 0
		for _, set := range r.perMinute {
			total += len(set)
		}
		return float64(total) / float64(r.to.Sub(r.from)/time.Minute), true
	case analytics.MetricWatchTime:
		return float64(s.PlayedMS), true
	case analytics.MetricCDNBytes:
		return float64(s.CDNBytes), true
	case analytics.MetricP2PBytes:
		return float64(s.P2PBytes), true
	case analytics.MetricUploadBytes:
		return float64(s.UploadBytes), true
	case analytics.MetricBeacons:
		return float64(s.Beacons), true
	case analytics.MetricOffloadRatio:
		return div(float64(s.P2PBytes), float64(s.P2PBytes+s.CDNBytes))
	case analytics.MetricBandwidth:
		return float64(s.CDNBytes+s.P2PBytes) * 8 / seconds, true
	case analytics.MetricRebufferingRatio:
		return div(float64(s.BufferedMS), float64(s.PlayedMS+s.BufferedMS))
	case analytics.MetricStartupTimeAvg:
		return div(float64(s.StartupMSSum), float64(len(r.startupValues)))
	case analytics.MetricStartupTimeP95:
		if len(r.startupValues) == 0 {
			return 0, false
		}
		v := slices.Sorted(slices.Values(r.startupValues))
		rank := int(math.Ceil(0.95 * float64(len(v))))
		return float64(analytics.StartupBucketBound(analytics.StartupBucket(v[rank-1]))), true
	case analytics.MetricErrorRate:
		return div(float64(len(r.errSessions)), float64(len(r.sessions)))
	}
	panic("unknown metric " + string(metric))
}

func div(a, b float64) (float64, bool) {
	if b == 0 {
		return 0, false
	}
	return a / b, true
}

// compare checks a figure of the service against the recomputation:
// exactly, or within the sketch bound for viewer figures when sketch.
func compare(t *testing.T, what string, metric analytics.Metric, got analytics.Value, r *reference, sketch bool) {
	t.Helper()
	want, ok := r.value(metric)
	if got.Valid != ok {
		t.Errorf("%s: got %+v, want value %v (valid %v)", what, got, want, ok)
		return
	}
	if !ok {
		return
	}
	viewerMetric := metric == analytics.MetricViewers || metric == analytics.MetricPeakConcurrent ||
		metric == analytics.MetricAvgConcurrent || metric == analytics.MetricErrorRate
	if !sketch || !viewerMetric {
		if got.Number != want || got.Approximate {
			t.Errorf("%s: got %v (approximate %v), want %v exactly", what, got.Number, got.Approximate, want)
		}
		return
	}
	if !got.Approximate {
		t.Errorf("%s: got an exact figure from sketches", what)
	}
	var lo, hi float64
	switch metric {
	case analytics.MetricViewers, analytics.MetricPeakConcurrent:
		tol := sketchTolerance(int64(want))
		lo, hi = want-tol, want+tol
	case analytics.MetricAvgConcurrent:
		var tol float64
		for _, set := range r.perMinute {
			tol += sketchTolerance(int64(len(set)))
		}
		tol /= float64(r.to.Sub(r.from) / time.Minute)
		lo, hi = want-tol, want+tol
	case analytics.MetricErrorRate:
		e, v := float64(len(r.errSessions)), float64(len(r.sessions))
		te, tv := sketchTolerance(int64(e)), sketchTolerance(int64(v))
		lo, hi = math.Max(0, e-te)/(v+tv), (e+te)/math.Max(1, v-tv)
	}
	if got.Number < lo-1e-9 || got.Number > hi+1e-9 {
		t.Errorf("%s: estimate %v outside [%v, %v] around %v", what, got.Number, lo, hi, want)
	}
}
