package analytics

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// Scan limits of a query, checked before the store is asked anything, so
// that a query that would read too much is refused with a clear message
// rather than time out.
const (
	// MaxSeriesBuckets is the most buckets a timeseries may have: the
	// parser's limit for an explicit granularity (2 days of minutes).
	MaxSeriesBuckets = 2880
	// MaxMinuteRollupSpan bounds the time read from minute rollups. They
	// answer only the parts of a timeframe that hour rollups cannot: the
	// edges of day buckets in a time zone whose offset is not whole hours
	// (India, +05:30: an hour at each local midnight), and minute or
	// ten-minute granularity.
	MaxMinuteRollupSpan = 7 * 24 * time.Hour
	// MaxConcurrencySpan bounds the timeframe of peak and average
	// concurrent viewers, which are counted minute by minute.
	MaxConcurrencySpan = 31 * 24 * time.Hour
)

// plan is how a query is answered: its buckets, and which rollup level
// answers which span exactly.
type plan struct {
	// edges are the buckets' boundaries: bucket i is [edges[i],
	// edges[i+1]). One bucket, [From, To), for overall and breakdown.
	edges []time.Time
	// ranges are, per level, the merged spans read from that level's
	// rollups.
	ranges map[Level][]Range
	// raw is true when the raw beacons still hold the whole timeframe, so
	// viewers are counted exactly.
	raw bool
	// minuteHorizon is the oldest bucket whose minute rollups are kept.
	minuteHorizon time.Time
}

// newPlan checks q's timeframe and builds its plan; series asks for the
// buckets of q.Granularity, else one bucket. rawHorizon is the oldest
// event time whose raw beacons are kept, minuteHorizon the oldest bucket
// whose minute rollups are.
func newPlan(q *Query, series bool, rawHorizon, minuteHorizon time.Time) (*plan, error) {
	from, to := q.From.UTC(), q.To.UTC()
	switch {
	case from.IsZero() || !from.Before(to):
		return nil, invalid("the timeframe must start before it ends")
	case to.Sub(from) > MaxQueryTimeframe+48*time.Hour:
		return nil, invalid("the timeframe may cover at most 400 days")
	case !LevelMinute.Aligned(from) || !LevelMinute.Aligned(to):
		return nil, invalid("the timeframe must start and end on a whole minute")
	}
	p := &plan{ranges: map[Level][]Range{}, raw: !from.Before(rawHorizon), minuteHorizon: minuteHorizon}
	if series {
		loc := q.Location
		if loc == nil {
			loc = time.UTC
		}
		if _, ok := granularitySpecs[q.Granularity]; !ok {
			return nil, invalid("granularity must be minute, ten_minute, hour or day")
		}
		if floorBucket(from, q.Granularity, loc) != from {
			return nil, invalid("the timeframe must start on a bucket of the granularity")
		}
		p.edges = []time.Time{from}
		for e := from; e.Before(to); {
			e = ceilBucket(e.Add(time.Nanosecond), q.Granularity, loc).UTC()
			if len(p.edges) > MaxSeriesBuckets {
				return nil, invalid(fmt.Sprintf("a timeseries may have at most %d buckets; choose a coarser granularity", MaxSeriesBuckets))
			}
			p.edges = append(p.edges, e)
		}
		if !p.edges[len(p.edges)-1].Equal(to) {
			return nil, invalid("the timeframe must end on a bucket of the granularity")
		}
	} else {
		p.edges = []time.Time{from, to}
	}
	var minutes time.Duration
	for i := range len(p.edges) - 1 {
		for _, s := range decompose(p.edges[i], p.edges[i+1]) {
			p.ranges[s.level] = appendRange(p.ranges[s.level], s.Range)
			if s.level == LevelMinute {
				minutes += s.To.Sub(s.From)
			}
		}
	}
	if minutes > MaxMinuteRollupSpan {
		return nil, invalid("the timeframe needs more than 7 days of minute rollups (minute granularity, or day buckets in a time zone whose offset is not whole hours); shorten it")
	}
	if rs := p.ranges[LevelMinute]; len(rs) > 0 && rs[0].From.Before(minuteHorizon) {
		return nil, invalid(fmt.Sprintf("minute detail is kept since %s only, and this timeframe needs it before (minute or ten-minute granularity, or day buckets in a time zone whose offset is not whole hours): start later, or choose hour granularity or a whole-hour time zone",
			minuteHorizon.UTC().Format(time.RFC3339)))
	}
	return p, nil
}

// segment is a span one rollup level answers exactly.
type segment struct {
	level Level
	Range
}

// decompose splits [from, to), minute-aligned, into the coarsest rollup
// spans that cover it exactly: whole UTC days in the middle, whole UTC
// hours around them, minutes at the edges.
func decompose(from, to time.Time) []segment {
	var out []segment
	var split func(l Level, a, b time.Time)
	split = func(l Level, a, b time.Time) {
		if !a.Before(b) {
			return
		}
		if l == LevelMinute {
			out = append(out, segment{LevelMinute, Range{a, b}})
			return
		}
		lo, hi := ceilLevel(l, a), l.Bucket(b)
		if !lo.Before(hi) {
			split(l-1, a, b)
			return
		}
		split(l-1, a, lo)
		out = append(out, segment{l, Range{lo, hi}})
		split(l-1, hi, b)
	}
	split(LevelDay, from, to)
	return out
}

// ceilLevel returns t when it starts a bucket of l, else the next
// bucket's start.
func ceilLevel(l Level, t time.Time) time.Time {
	b := l.Bucket(t)
	if b.Equal(t) {
		return b
	}
	return b.Add(l.Width())
}

// appendRange appends r to rs, merged with the last range when they
// touch.
func appendRange(rs []Range, r Range) []Range {
	if n := len(rs); n > 0 && rs[n-1].To.Equal(r.From) {
		rs[n-1].To = r.To
		return rs
	}
	return append(rs, r)
}

// bucketOf returns the index of the bucket that holds t, or -1.
func (p *plan) bucketOf(t time.Time) int {
	i := sort.Search(len(p.edges), func(i int) bool { return p.edges[i].After(t) }) - 1
	if i < 0 || i >= len(p.edges)-1 {
		return -1
	}
	return i
}

// levels returns the levels the plan reads, coarsest first.
func (p *plan) levels() []Level {
	var ls []Level
	for l := range p.ranges {
		ls = append(ls, l)
	}
	slices.Sort(ls)
	slices.Reverse(ls)
	return ls
}

// span returns the plan's whole timeframe.
func (p *plan) span() time.Duration { return p.edges[len(p.edges)-1].Sub(p.edges[0]) }
