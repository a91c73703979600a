package analyticsstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
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
}

// sessionHourColumns are session_hours' columns in sessionHour order.
var sessionHourColumns = []string{"org_id", "bucket", "session_id", "integration_id", "content_id", "stream_type",
	"platform", "country", "isp", "errors"}

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

// upsertSessionHoursPG adds rows through arrays; a row that exists only
// gains its error flag.
var upsertSessionHoursPG = `INSERT INTO session_hours (` + strings.Join(sessionHourColumns, ", ") + `)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
	$9::text[], $10::integer[])
ON CONFLICT (org_id, bucket, session_id, integration_id, content_id, stream_type, platform, country, isp)
DO UPDATE SET errors = 1 WHERE excluded.errors = 1 AND session_hours.errors = 0`

// sessionHourArrays returns the 10 array parameters of
// upsertSessionHoursPG.
func sessionHourArrays(rows []sessionHour) []any {
	n := len(rows)
	var text [8][]string
	for c := range text {
		text[c] = make([]string, n)
	}
	buckets, errs := make([]int64, n), make([]int32, n)
	for i, r := range rows {
		text[0][i], text[1][i] = r.org, r.session
		for d, v := range r.dims {
			text[2+d][i] = v
		}
		buckets[i], errs[i] = r.bucket, int32(r.errors)
	}
	return []any{text[0], buckets, text[1], text[2], text[3], text[4], text[5], text[6], text[7], errs}
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
			args = append(args, r.org, r.bucket, r.session, r.dims[0], r.dims[1], r.dims[2], r.dims[3], r.dims[4], r.dims[5], r.errors)
		}
		q.WriteString(` ON CONFLICT (org_id, bucket, session_id, integration_id, content_id, stream_type, platform, country, isp)
			DO UPDATE SET errors = 1 WHERE excluded.errors = 1 AND session_hours.errors = 0`)
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
