package analyticsstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

// sessionHour is one row of session_hours.
type sessionHour struct {
	org     string
	bucket  int64
	session string
	dims    [6]string
	errors  int64
	minutes int64 // bit i: a beacon in minute i of the hour
}

// sessionHourColumns are session_hours' columns in sessionHour order.
var sessionHourColumns = []string{"org_id", "bucket", "session_id", "integration_id", "content_id", "stream_type",
	"platform", "country", "isp", "errors", "minutes"}

// sessionHourConflict is the upsert's answer to a row that exists: it
// gains the error flag and the minutes it did not have, and is written
// only when one of them is new.
const sessionHourConflict = ` ON CONFLICT (org_id, bucket, session_id, integration_id, content_id, stream_type, platform, country, isp)
DO UPDATE SET errors = CASE WHEN excluded.errors = 1 THEN 1 ELSE session_hours.errors END,
	minutes = session_hours.minutes | excluded.minutes
WHERE (excluded.errors = 1 AND session_hours.errors = 0) OR (session_hours.minutes | excluded.minutes) <> session_hours.minutes`

// sessionHoursOf returns the session_hours rows of beacons, each key once
// (errors set when any of its beacons had one), sorted by key: the order
// concurrent writers take row locks in.
func sessionHoursOf(beacons []analytics.Ingested) []sessionHour {
	idx := make(map[sessionHour]int, len(beacons))
	var out []sessionHour
	for i := range beacons {
		b := &beacons[i]
		k := sessionHour{org: b.OrgID, bucket: toDB(analytics.LevelHour.Bucket(b.Time)), session: b.SessionID,
			dims: [6]string{b.IntegrationID, b.ContentID, string(b.StreamType), string(b.Platform), b.Country, b.ISP}}
		j, ok := idx[k]
		if !ok {
			j = len(out)
			idx[k] = j
			out = append(out, k)
		}
		if b.ErrorCode != "" {
			out[j].errors = 1
		}
		out[j].minutes |= 1 << (b.Time.Sub(analytics.LevelHour.Bucket(b.Time)) / time.Minute)
	}
	slices.SortFunc(out, func(a, b sessionHour) int {
		c := cmp.Or(strings.Compare(a.org, b.org), cmp.Compare(a.bucket, b.bucket), strings.Compare(a.session, b.session))
		for d := 0; c == 0 && d < len(a.dims); d++ {
			c = strings.Compare(a.dims[d], b.dims[d])
		}
		return c
	})
	return out
}

// upsertSessionHoursPG adds rows through arrays.
var upsertSessionHoursPG = `INSERT INTO session_hours (` + strings.Join(sessionHourColumns, ", ") + `)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
	$9::text[], $10::integer[], $11::bigint[])` + sessionHourConflict

// sessionHourArrays returns the 11 array parameters of
// upsertSessionHoursPG.
func sessionHourArrays(rows []sessionHour) []any {
	n := len(rows)
	var text [8][]string
	for c := range text {
		text[c] = make([]string, n)
	}
	buckets, errs, minutes := make([]int64, n), make([]int32, n), make([]int64, n)
	for i, r := range rows {
		text[0][i], text[1][i] = r.org, r.session
		for d, v := range r.dims {
			text[2+d][i] = v
		}
		buckets[i], errs[i], minutes[i] = r.bucket, int32(r.errors), r.minutes
	}
	return []any{text[0], buckets, text[1], text[2], text[3], text[4], text[5], text[6], text[7], errs, minutes}
}

// sqliteSessionHourRows is how many rows one SQLite statement carries.
const sqliteSessionHourRows = 500

// upsertSessionHoursSQLite adds rows in multi-row statements.
func upsertSessionHoursSQLite(ctx context.Context, tx *sql.Tx, rows []sessionHour) error {
	ph := "(" + strings.Repeat("?, ", len(sessionHourColumns)-1) + "?)"
	for start := 0; start < len(rows); start += sqliteSessionHourRows {
		chunk := rows[start:min(len(rows), start+sqliteSessionHourRows)]
		var q strings.Builder
		q.WriteString("INSERT INTO session_hours (" + strings.Join(sessionHourColumns, ", ") + ") VALUES ")
		args := make([]any, 0, len(chunk)*len(sessionHourColumns))
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(ph)
			args = append(args, r.org, r.bucket, r.session, r.dims[0], r.dims[1], r.dims[2], r.dims[3], r.dims[4], r.dims[5],
				r.errors, r.minutes)
		}
		q.WriteString(sessionHourConflict)
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("upsert session hours: %w", err)
		}
	}
	return nil
}

// hourAligned reports whether every bucket of q is whole UTC hours, so
// that session_hours answers it exactly.
func hourAligned(q *analytics.SessionsQuery) bool {
	aligned := func(t time.Time) bool { return analytics.LevelHour.Aligned(t) }
	if q.Width > 0 {
		return q.Width%time.Hour == 0 && aligned(q.From) && aligned(q.To)
	}
	return len(q.Edges) >= 2 && !slices.ContainsFunc(q.Edges, func(t time.Time) bool { return !aligned(t) })
}

// dropSessionHoursBefore deletes the rows of hours that end at or before
// t, in chunks.
func (s *Store) dropSessionHoursBefore(ctx context.Context, t time.Time) error {
	stmt := `DELETE FROM session_hours WHERE rowid IN (SELECT rowid FROM session_hours WHERE bucket <= $1 LIMIT $2)`
	if s.db.Dialect() == sqldb.Postgres {
		stmt = `DELETE FROM session_hours WHERE ctid = ANY (ARRAY(SELECT ctid FROM session_hours WHERE bucket <= $1 LIMIT $2))`
	}
	if err := s.deleteInChunks(ctx, stmt, toDB(t.Add(-time.Hour)), minuteDeleteChunk); err != nil {
		return fmt.Errorf("delete old session hours: %w", err)
	}
	return nil
}

// minuteCounted reports whether q counts distinct sessions minute by
// minute (peak and average concurrent viewers), which the minute masks of
// session_hours answer exactly. Sessions with an error are flagged per
// hour only, so q.ErrorsOnly reads the raw beacons.
func minuteCounted(q *analytics.SessionsQuery) bool {
	aligned := func(t time.Time) bool { return analytics.LevelMinute.Aligned(t) }
	return q.Width == time.Minute && !q.ErrorsOnly && aligned(q.From) && aligned(q.To) && q.From.Before(q.To)
}

// countSessionMinutes answers a minuteCounted query from session_hours:
// the rows of the hours that overlap the timeframe, in (hour, session)
// order as the primary key keeps them, the masks of one session's rows
// OR-ed per key (a session whose dimensions changed within the hour has a
// row per combination, and is one viewer), and the bits counted per
// minute. Each hour's counts are emitted when the next hour begins, so
// memory stays one hour's whatever the timeframe.
func (s *Store) countSessionMinutes(ctx context.Context, q analytics.SessionsQuery) ([]analytics.CountRow, error) {
	w := &where{}
	w.add("b.org_id = ?", q.OrgID)
	w.add("b.bucket >= ?", toDB(analytics.LevelHour.Bucket(q.From)))
	w.add("b.bucket < ?", toDB(q.To))
	if err := w.filters("b.", q.Filters); err != nil {
		return nil, err
	}
	key := "''"
	if q.GroupBy != "" {
		col, err := dimColumn(q.GroupBy)
		if err != nil {
			return nil, err
		}
		key = "b." + col
	}
	rows, err := s.db.QueryContext(ctx, "SELECT b.bucket, b.session_id, "+key+", b.minutes FROM session_hours b WHERE "+
		w.String()+" ORDER BY b.bucket, b.session_id", w.args...)
	if err != nil {
		return nil, fmt.Errorf("count sessions per minute: %w", err)
	}
	defer rows.Close()

	first, last := q.From.Unix()/60, q.To.Unix()/60 // Unix minutes, last excluded
	var (
		out     []analytics.CountRow
		hour    int64 = -1
		counts        = map[string]*[60]int64{} // this hour's distinct sessions per key and minute
		session string
		masks   = map[string]int64{} // this session's minutes per key, this hour
	)
	flushSession := func() {
		for k, m := range masks {
			c := counts[k]
			if c == nil {
				c = new([60]int64)
				counts[k] = c
			}
			for ; m != 0; m &= m - 1 {
				c[bits.TrailingZeros64(uint64(m))]++
			}
		}
		clear(masks)
	}
	flushHour := func() {
		flushSession()
		start := hour / int64(time.Minute/time.Microsecond)
		for k, c := range counts {
			for i, n := range c {
				if m := start + int64(i); n > 0 && m >= first && m < last {
					out = append(out, analytics.CountRow{Bucket: int(m - first), Key: k, Count: n})
				}
			}
		}
		clear(counts)
	}
	for rows.Next() {
		var (
			bucket, mask int64
			id, k        string
		)
		if err := rows.Scan(&bucket, &id, &k, &mask); err != nil {
			return nil, fmt.Errorf("count sessions per minute: %w", err)
		}
		switch {
		case bucket != hour:
			if hour >= 0 {
				flushHour()
			}
			hour, session = bucket, id
		case id != session:
			flushSession()
			session = id
		}
		masks[k] |= mask
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count sessions per minute: %w", err)
	}
	if hour >= 0 {
		flushHour()
	}
	return out, nil
}
