package analyticsstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// where builds a WHERE clause and its arguments.
type where struct {
	clauses []string
	args    []any
}

func (w *where) add(clause string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		clause = strings.Replace(clause, "?", "$"+strconv.Itoa(len(w.args)), 1)
	}
	w.clauses = append(w.clauses, clause)
}

func (w *where) String() string { return strings.Join(w.clauses, " AND ") }

// filters adds q's filters on the dimension columns of alias (which may be
// "" or end in '.').
func (w *where) filters(alias string, fs []analytics.Filter) error {
	for _, f := range fs {
		col, err := dimColumn(f.Dimension)
		if err != nil {
			return err
		}
		op := " = ?"
		if f.Negate {
			op = " <> ?"
		}
		w.add(alias+col+op, f.Value)
	}
	return nil
}

// rollupSelection returns the FROM ... WHERE of q, and the grouping
// columns (bucket, then the dimension's column, each only when asked).
func rollupSelection(q *analytics.RollupQuery) (from string, w *where, group []string, err error) {
	w = &where{}
	w.add("org_id = ?", q.OrgID)
	table := rollupTable(q.Level)
	if q.Projection != 0 {
		if !slices.Contains(analytics.ProjectedLevels, q.Level) {
			return "", nil, nil, fmt.Errorf("%s rollups keep no projections: %w", q.Level, analytics.ErrInvalid)
		}
		for _, f := range q.Filters {
			if !q.Projection.Keeps(f.Dimension) {
				return "", nil, nil, fmt.Errorf("projection %d does not keep %s: %w", q.Projection, f.Dimension, analytics.ErrInvalid)
			}
		}
		if q.GroupBy != "" && !q.Projection.Keeps(q.GroupBy) {
			return "", nil, nil, fmt.Errorf("projection %d does not keep %s: %w", q.Projection, q.GroupBy, analytics.ErrInvalid)
		}
		table = projTable(q.Level)
		w.add("projection = ?", int64(q.Projection))
	}
	var spans []string
	for _, r := range q.Ranges {
		spans = append(spans, fmt.Sprintf("(bucket >= $%d AND bucket < $%d)", len(w.args)+1, len(w.args)+2))
		w.args = append(w.args, toDB(r.From), toDB(r.To))
	}
	if len(spans) == 0 {
		return "", nil, nil, fmt.Errorf("rollup query without a range: %w", analytics.ErrInvalid)
	}
	w.clauses = append(w.clauses, "("+strings.Join(spans, " OR ")+")")
	if err := w.filters("", q.Filters); err != nil {
		return "", nil, nil, err
	}
	if q.ByBucket {
		group = append(group, "bucket")
	}
	if q.GroupBy != "" {
		col, err := dimColumn(q.GroupBy)
		if err != nil {
			return "", nil, nil, err
		}
		group = append(group, col)
	}
	return " FROM " + table + " WHERE " + w.String(), w, group, nil
}

// groupTarget is where a result row's grouping columns are scanned.
type groupTarget struct {
	bucket int64
	key    string
}

func (g *groupTarget) dests(q *analytics.RollupQuery) []any {
	var d []any
	if q.ByBucket {
		d = append(d, &g.bucket)
	}
	if q.GroupBy != "" {
		d = append(d, &g.key)
	}
	return d
}

func (g *groupTarget) time(q *analytics.RollupQuery) time.Time {
	if !q.ByBucket {
		return time.Time{}
	}
	return fromDB(g.bucket)
}

type groupKey struct {
	bucket int64
	key    string
}

// Sums implements analytics.Store.
func (s *Store) Sums(ctx context.Context, q analytics.RollupQuery) ([]analytics.SumsRow, error) {
	from, w, group, err := rollupSelection(&q)
	if err != nil {
		return nil, err
	}
	cols := strings.Join(group, ", ")
	sel := cols
	if sel != "" {
		sel += ", "
	}
	for i, c := range []string{"beacons", "cdn_bytes", "p2p_bytes", "upload_bytes", "played_ms", "buffered_ms",
		"startups", "startup_ms_sum", "error_beacons"} {
		if i > 0 {
			sel += ", "
		}
		sel += "CAST(COALESCE(SUM(" + c + "), 0) AS BIGINT)"
	}
	stmt := "SELECT " + sel + from
	if cols != "" {
		stmt += " GROUP BY " + cols
	}
	rows, err := s.db.QueryContext(ctx, stmt, w.args...)
	if err != nil {
		return nil, fmt.Errorf("sum rollups: %w", err)
	}
	var out []analytics.SumsRow
	index := map[groupKey]int{}
	for rows.Next() {
		var g groupTarget
		var r analytics.SumsRow
		sm := &r.Sums
		dest := append(g.dests(&q), &sm.Beacons, &sm.CDNBytes, &sm.P2PBytes, &sm.UploadBytes, &sm.PlayedMS,
			&sm.BufferedMS, &sm.Startups, &sm.StartupMSSum, &sm.ErrorBeacons)
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sum rollups: %w", err)
		}
		if sm.Beacons == 0 {
			continue // no row matched: SUM over nothing
		}
		r.Bucket, r.Key = g.time(&q), g.key
		index[groupKey{g.bucket, g.key}] = len(out)
		out = append(out, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("sum rollups: %w", err)
	}
	if !q.Histogram || len(out) == 0 {
		return out, nil
	}
	// Histograms are added in Go: they are varint blobs.
	prefix := cols
	if prefix != "" {
		prefix += ", "
	}
	hrows, err := s.db.QueryContext(ctx, "SELECT "+prefix+"startup_hist"+from+" AND startups > 0", w.args...)
	if err != nil {
		return nil, fmt.Errorf("sum startup histograms: %w", err)
	}
	defer hrows.Close()
	for hrows.Next() {
		var g groupTarget
		var blob []byte
		if err := hrows.Scan(append(g.dests(&q), &blob)...); err != nil {
			return nil, fmt.Errorf("sum startup histograms: %w", err)
		}
		i, ok := index[groupKey{g.bucket, g.key}]
		if !ok {
			continue
		}
		if err := decodeHist(blob, &out[i].Startup); err != nil {
			return nil, fmt.Errorf("sum startup histograms: %w", err)
		}
	}
	if err := hrows.Err(); err != nil {
		return nil, fmt.Errorf("sum startup histograms: %w", err)
	}
	return out, nil
}

// Sketches implements analytics.Store: the rows' sketches are merged in
// Go, per bucket and key as asked.
func (s *Store) Sketches(ctx context.Context, q analytics.RollupQuery) ([]analytics.SketchRow, error) {
	from, w, group, err := rollupSelection(&q)
	if err != nil {
		return nil, err
	}
	col := "sessions"
	if q.ErrorSessions {
		col = "error_sessions"
	}
	prefix := strings.Join(group, ", ")
	if prefix != "" {
		prefix += ", "
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+prefix+col+from, w.args...)
	if err != nil {
		return nil, fmt.Errorf("read sketches: %w", err)
	}
	defer rows.Close()
	var out []analytics.SketchRow
	index := map[groupKey]int{}
	for rows.Next() {
		var g groupTarget
		var blob []byte
		if err := rows.Scan(append(g.dests(&q), &blob)...); err != nil {
			return nil, fmt.Errorf("read sketches: %w", err)
		}
		sk, err := decodeSketch(blob)
		if err != nil {
			return nil, err
		}
		k := groupKey{g.bucket, g.key}
		i, ok := index[k]
		if !ok {
			index[k] = len(out)
			out = append(out, analytics.SketchRow{Bucket: g.time(&q), Key: g.key, Sketch: sk})
			continue
		}
		if err := out[i].Sketch.Merge(sk); err != nil {
			return nil, fmt.Errorf("merge sketches: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sketches: %w", err)
	}
	if q.ErrorSessions {
		// Rows whose sketch is empty had no error: leave them out, as
		// CountSessions does.
		kept := out[:0]
		for _, r := range out {
			if r.Sketch.Estimate() > 0 {
				kept = append(kept, r)
			}
		}
		out = kept
	}
	return out, nil
}

// CountSessions implements analytics.Store. Buckets of one width are
// numbered by arithmetic on the event time; buckets of varying widths
// (days in a time zone with daylight saving) by a join with their edges.
func (s *Store) CountSessions(ctx context.Context, q analytics.SessionsQuery) ([]analytics.CountRow, error) {
	if minuteCounted(&q) {
		return s.countSessionMinutes(ctx, q)
	}
	from, to, width := q.From, q.To, q.Width
	if width <= 0 {
		if len(q.Edges) < 2 {
			return nil, fmt.Errorf("count sessions without buckets: %w", analytics.ErrInvalid)
		}
		from, to = q.Edges[0], q.Edges[len(q.Edges)-1]
		if w := q.Edges[1].Sub(q.Edges[0]); uniform(q.Edges, w) {
			width = w
		}
	}
	// Hour-aligned buckets count session_hours rows, whose bucket stands
	// for t and whose errors flag for the error code.
	table, tcol, errCond := "beacons", "b.t", "b.error_code <> ''"
	if hourAligned(&q) {
		table, tcol, errCond = "session_hours", "b.bucket", "b.errors = 1"
	}
	w := &where{}
	var bucket, join string
	if width > 0 {
		w.add(tcol+" >= ?", toDB(from))
		w.args = append(w.args, width.Microseconds())
		bucket = fmt.Sprintf("(%s - $1) / $%d", tcol, len(w.args))
	} else {
		var vals []string
		for i := range len(q.Edges) - 1 {
			n := len(w.args)
			vals = append(vals, fmt.Sprintf("(CAST($%d AS BIGINT), CAST($%d AS BIGINT), CAST($%d AS BIGINT))", n+1, n+2, n+3))
			w.args = append(w.args, int64(i), toDB(q.Edges[i]), toDB(q.Edges[i+1]))
		}
		join = " JOIN (VALUES " + strings.Join(vals, ", ") + ") AS q ON " + tcol + " >= q.column2 AND " + tcol + " < q.column3"
		bucket = "q.column1"
		w.add(tcol+" >= ?", toDB(from))
	}
	w.add(tcol+" < ?", toDB(to))
	w.add("b.org_id = ?", q.OrgID)
	if err := w.filters("b.", q.Filters); err != nil {
		return nil, err
	}
	if q.ErrorsOnly {
		w.add(errCond)
	}
	key, group := "''", "1"
	if q.GroupBy != "" {
		col, err := dimColumn(q.GroupBy)
		if err != nil {
			return nil, err
		}
		key, group = "b."+col, "1, 2"
	}
	stmt := "SELECT " + bucket + ", " + key + ", COUNT(DISTINCT b.session_id) FROM " + table + " b" + join +
		" WHERE " + w.String() + " GROUP BY " + group
	rows, err := s.db.QueryContext(ctx, stmt, w.args...)
	if err != nil {
		return nil, fmt.Errorf("count sessions: %w", err)
	}
	defer rows.Close()
	var out []analytics.CountRow
	for rows.Next() {
		var r analytics.CountRow
		var b int64
		if err := rows.Scan(&b, &r.Key, &r.Count); err != nil {
			return nil, fmt.Errorf("count sessions: %w", err)
		}
		r.Bucket = int(b)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count sessions: %w", err)
	}
	return out, nil
}

// uniform reports whether every bucket of edges is width wide.
func uniform(edges []time.Time, width time.Duration) bool {
	for i := 1; i < len(edges); i++ {
		if edges[i].Sub(edges[i-1]) != width {
			return false
		}
	}
	return width > 0
}
