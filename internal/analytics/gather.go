package analytics

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// cellKey names one bucket (by index) and one value of the grouped
// dimension.
type cellKey struct {
	bucket int
	key    string
}

// gather reads what metric needs for the plan and returns the figures of
// every bucket and key that has data.
func (s *Service) gather(ctx context.Context, q *Query, p *plan, series bool, group Dimension, n needs) (map[cellKey]*figures, error) {
	cells := map[cellKey]*figures{}
	cell := func(bucket int, key string) *figures {
		k := cellKey{bucket, key}
		f := cells[k]
		if f == nil {
			f = &figures{}
			cells[k] = f
		}
		return f
	}
	// bucket maps a rollup row's bucket start to the plan's bucket.
	bucket := func(t time.Time) int {
		if !series {
			return 0
		}
		return p.bucketOf(t)
	}
	if n.sums {
		for _, l := range p.levels() {
			rows, err := s.store.Sums(ctx, RollupQuery{OrgID: q.OrgID, Level: l, Projection: projectionFor(l, q, group),
				Ranges: p.ranges[l], Filters: q.Filters, GroupBy: group, ByBucket: series, Histogram: n.histogram})
			if err != nil {
				return nil, fmt.Errorf("read %s rollups: %w", l, err)
			}
			for i := range rows {
				r := &rows[i]
				if b := bucket(r.Bucket); b >= 0 {
					f := cell(b, r.Key)
					f.sums.Add(&r.Sums)
					f.startup.Add(&r.Startup)
				}
			}
		}
	}
	if n.viewers || n.errSessions {
		for _, errorsOnly := range []bool{false, true} {
			if (errorsOnly && !n.errSessions) || (!errorsOnly && !n.viewers) {
				continue
			}
			if err := s.gatherSessions(ctx, q, p, series, group, errorsOnly, cell, bucket); err != nil {
				return nil, err
			}
		}
	}
	if n.concurrency {
		if err := s.gatherConcurrency(ctx, q, p, group, cell); err != nil {
			return nil, err
		}
	}
	return cells, nil
}

// projectionFor returns the projection that answers q's filters and
// group at level l with the fewest rows, or 0 for the full rollups.
func projectionFor(l Level, q *Query, group Dimension) Projection {
	if !slices.Contains(ProjectedLevels, l) {
		return 0
	}
	dims := make([]Dimension, 0, len(q.Filters)+1)
	for _, f := range q.Filters {
		dims = append(dims, f.Dimension)
	}
	if group != "" {
		dims = append(dims, group)
	}
	return ChooseProjection(dims)
}

// gatherSessions counts the distinct sessions of every cell (with an
// error only, when errorsOnly): exactly from the raw beacons when they
// hold the timeframe, else by merging the rollups' sketches.
func (s *Service) gatherSessions(ctx context.Context, q *Query, p *plan, series bool, group Dimension, errorsOnly bool,
	cell func(int, string) *figures, bucket func(time.Time) int) error {
	set := func(f *figures, n int64) {
		if errorsOnly {
			f.errSessions = n
		} else {
			f.viewers = n
		}
	}
	if p.raw {
		rows, err := s.store.CountSessions(ctx, SessionsQuery{OrgID: q.OrgID, Edges: p.edges,
			Filters: q.Filters, GroupBy: group, ErrorsOnly: errorsOnly})
		if err != nil {
			return fmt.Errorf("count sessions: %w", err)
		}
		for _, r := range rows {
			set(cell(r.Bucket, r.Key), r.Count)
		}
		return nil
	}
	merged := map[cellKey]*figures{}
	for _, l := range p.levels() {
		rows, err := s.store.Sketches(ctx, RollupQuery{OrgID: q.OrgID, Level: l, Projection: projectionFor(l, q, group),
			Ranges: p.ranges[l], Filters: q.Filters, GroupBy: group, ByBucket: series, ErrorSessions: errorsOnly})
		if err != nil {
			return fmt.Errorf("read %s sketches: %w", l, err)
		}
		for _, r := range rows {
			b := bucket(r.Bucket)
			if b < 0 {
				continue
			}
			f := cell(b, r.Key)
			if f.sessions == nil {
				f.sessions = NewSketch()
			}
			if err := f.sessions.Merge(r.Sketch); err != nil {
				return fmt.Errorf("merge sketches: %w", err)
			}
			merged[cellKey{b, r.Key}] = f
		}
	}
	for _, f := range merged {
		set(f, int64(f.sessions.Estimate()))
		f.approx = true
		f.sessions = nil
	}
	return nil
}

// gatherConcurrency counts the distinct sessions of every minute of the
// timeframe, and keeps per cell the peak and the sum over its minutes.
func (s *Service) gatherConcurrency(ctx context.Context, q *Query, p *plan, group Dimension, cell func(int, string) *figures) error {
	if p.span() > MaxConcurrencySpan {
		return invalid("concurrent viewers are counted minute by minute; ask for at most 31 days")
	}
	from, to := p.edges[0], p.edges[len(p.edges)-1]
	if !p.raw && from.Before(p.minuteHorizon) {
		return invalid(fmt.Sprintf("concurrent viewers are counted from minute detail, kept since %s only; start the timeframe later",
			p.minuteHorizon.UTC().Format(time.RFC3339)))
	}
	add := func(minute time.Time, key string, n int64, approx bool) {
		b := p.bucketOf(minute)
		if len(p.edges) == 2 {
			b = 0
		}
		if b < 0 {
			return
		}
		f := cell(b, key)
		f.peak = max(f.peak, n)
		f.minuteSum += n
		f.approx = f.approx || approx
	}
	if p.raw {
		rows, err := s.store.CountSessions(ctx, SessionsQuery{OrgID: q.OrgID, Width: time.Minute, From: from, To: to,
			Filters: q.Filters, GroupBy: group})
		if err != nil {
			return fmt.Errorf("count sessions per minute: %w", err)
		}
		for _, r := range rows {
			add(from.Add(time.Duration(r.Bucket)*time.Minute), r.Key, r.Count, false)
		}
		return nil
	}
	rows, err := s.store.Sketches(ctx, RollupQuery{OrgID: q.OrgID, Level: LevelMinute, Ranges: []Range{{from, to}},
		Filters: q.Filters, GroupBy: group, ByBucket: true})
	if err != nil {
		return fmt.Errorf("read minute sketches: %w", err)
	}
	for _, r := range rows {
		add(r.Bucket, r.Key, int64(r.Sketch.Estimate()), true)
	}
	return nil
}
