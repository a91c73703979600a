package analytics

import (
	"cmp"
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
)

// prepare authorizes p, checks q and plans it.
func (s *Service) prepare(p Principal, q *Query, series bool, group Dimension) (*plan, needs, error) {
	if err := authorize(p, q.OrgID); err != nil {
		return nil, needs{}, err
	}
	n, ok := metricNeeds(q.Metric)
	if !ok {
		return nil, needs{}, invalid("unknown metric")
	}
	if group != "" && !knownDimension(group) {
		return nil, needs{}, invalid("unknown dimension to group by")
	}
	for _, f := range q.Filters {
		if !knownDimension(f.Dimension) {
			return nil, needs{}, invalid("unknown dimension in a filter")
		}
	}
	pl, err := newPlan(q, series, s.RawHorizon(), s.MinuteHorizon())
	return pl, n, err
}

func knownDimension(d Dimension) bool { return slices.Contains(Dimensions, d) }

// Overall returns q's metric over its whole timeframe.
func (s *Service) Overall(ctx context.Context, p Principal, q Query) (Value, error) {
	pl, n, err := s.prepare(p, &q, false, "")
	if err != nil {
		return Value{}, err
	}
	cells, err := s.gather(ctx, &q, pl, false, "", n)
	if err != nil {
		return Value{}, err
	}
	f := cells[cellKey{0, ""}]
	if f == nil {
		f = &figures{approx: !pl.raw}
	}
	return f.value(q.Metric, pl.span()), nil
}

// Timeseries returns q's metric in every bucket of q.Granularity from
// q.From to q.To, empty buckets included (their sums 0, their ratios
// without value).
func (s *Service) Timeseries(ctx context.Context, p Principal, q Query) ([]Point, error) {
	pl, n, err := s.prepare(p, &q, true, "")
	if err != nil {
		return nil, err
	}
	cells, err := s.gather(ctx, &q, pl, true, "", n)
	if err != nil {
		return nil, err
	}
	out := make([]Point, len(pl.edges)-1)
	for i := range out {
		f := cells[cellKey{i, ""}]
		if f == nil {
			f = &figures{approx: !pl.raw}
		}
		out[i] = Point{Start: pl.edges[i], Value: f.value(q.Metric, pl.edges[i+1].Sub(pl.edges[i]))}
	}
	return out, nil
}

// Breakdown returns q's metric over its timeframe for every value of
// q.GroupBy that has data, ordered by value (values without a figure
// last, whatever the direction) or key, ties by key, one page of q.Limit
// rows (DefaultQueryLimit when 0) from q.Cursor.
func (s *Service) Breakdown(ctx context.Context, p Principal, q Query) (BreakdownPage, error) {
	if q.GroupBy == "" {
		return BreakdownPage{}, invalid("a breakdown needs a dimension to group by")
	}
	pl, n, err := s.prepare(p, &q, false, q.GroupBy)
	if err != nil {
		return BreakdownPage{}, err
	}
	offset, err := decodeCursor(q.Cursor)
	if err != nil {
		return BreakdownPage{}, err
	}
	cells, err := s.gather(ctx, &q, pl, false, q.GroupBy, n)
	if err != nil {
		return BreakdownPage{}, err
	}
	rows := make([]Row, 0, len(cells))
	for k, f := range cells {
		rows = append(rows, Row{Key: k.key, Value: f.value(q.Metric, pl.span())})
	}
	byKey := q.OrderBy == "key"
	slices.SortFunc(rows, func(a, b Row) int {
		if !byKey {
			if a.Value.Valid != b.Value.Valid {
				if a.Value.Valid {
					return -1
				}
				return 1
			}
			if c := cmp.Compare(a.Value.Number, b.Value.Number); c != 0 {
				if q.OrderDesc {
					return -c
				}
				return c
			}
			return strings.Compare(a.Key, b.Key)
		}
		if q.OrderDesc {
			return strings.Compare(b.Key, a.Key)
		}
		return strings.Compare(a.Key, b.Key)
	})
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultQueryLimit
	}
	page := BreakdownPage{}
	if offset < len(rows) {
		end := min(len(rows), offset+limit)
		page.Rows = rows[offset:end]
		if end < len(rows) {
			page.NextCursor = encodeCursor(end)
		}
	}
	return page, nil
}

// encodeCursor returns the cursor of the page starting at row offset.
func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o" + strconv.Itoa(offset)))
}

func decodeCursor(c string) (int, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil && len(b) > 1 && b[0] == 'o' {
		if n, err := strconv.Atoi(string(b[1:])); err == nil && n >= 0 {
			return n, nil
		}
	}
	return 0, invalid("the cursor is not one this service gave")
}

// DimensionValues returns the values of dimension d seen in q's
// timeframe under its filters, with their beacon counts, the most
// frequent first (ties by value), at most q.Limit (DefaultQueryLimit when
// 0). q.Metric is ignored.
func (s *Service) DimensionValues(ctx context.Context, p Principal, q Query, d Dimension) ([]DimensionValue, error) {
	q.Metric = MetricBeacons
	pl, n, err := s.prepare(p, &q, false, d)
	if err != nil {
		return nil, err
	}
	if d == "" {
		return nil, invalid("name a dimension")
	}
	cells, err := s.gather(ctx, &q, pl, false, d, n)
	if err != nil {
		return nil, err
	}
	out := make([]DimensionValue, 0, len(cells))
	for k, f := range cells {
		out = append(out, DimensionValue{Value: k.key, Beacons: f.sums.Beacons})
	}
	slices.SortFunc(out, func(a, b DimensionValue) int {
		return cmp.Or(cmp.Compare(b.Beacons, a.Beacons), strings.Compare(a.Value, b.Value))
	})
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultQueryLimit
	}
	return out[:min(len(out), limit)], nil
}

// IntegrationUsage returns, for every integration with data in q's
// timeframe (under its filters), its viewers and traffic, by integration
// ID. q.Metric is ignored.
func (s *Service) IntegrationUsage(ctx context.Context, p Principal, q Query) ([]Usage, error) {
	q.Metric = MetricViewers
	pl, _, err := s.prepare(p, &q, false, DimIntegration)
	if err != nil {
		return nil, err
	}
	cells, err := s.gather(ctx, &q, pl, false, DimIntegration, needs{sums: true, viewers: true})
	if err != nil {
		return nil, err
	}
	out := make([]Usage, 0, len(cells))
	for k, f := range cells {
		out = append(out, Usage{IntegrationID: k.key, Viewers: f.viewers, ViewersApproximate: f.approx,
			CDNBytes: f.sums.CDNBytes, P2PBytes: f.sums.P2PBytes, UploadBytes: f.sums.UploadBytes, WatchTimeMS: f.sums.PlayedMS})
	}
	slices.SortFunc(out, func(a, b Usage) int { return strings.Compare(a.IntegrationID, b.IntegrationID) })
	return out, nil
}
