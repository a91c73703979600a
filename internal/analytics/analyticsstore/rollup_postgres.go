package analyticsstore

import (
	"github.com/axiomhq/hyperloglog"
	"slices"
	"strconv"
	"strings"

	"github.com/portico-gw/portico/internal/analytics"
)

// The rollup side of a PostgreSQL batch (insertBatch): the rows a batch
// appends to each table, and the statements that append them. The merge
// of the appended rows is in compact.go.

// A rollup table's key columns, in index order: the full tables'
// (rollup_minute, rollup_hour, rollup_day), and the projection tables'
// (rollup_hour_proj, rollup_day_proj), which add the projection.
var (
	fullKeyColumns = []string{"org_id", "bucket", "integration_id", "content_id", "stream_type", "platform", "country", "isp"}
	projKeyColumns = []string{"org_id", "projection", "bucket", "integration_id", "content_id", "stream_type", "platform",
		"country", "isp"}
)

// rollupSumColumns are the additive columns of a rollup row, in the order
// sumsOf gives them.
var rollupSumColumns = []string{"beacons", "cdn_bytes", "p2p_bytes", "upload_bytes", "played_ms", "buffered_ms",
	"startups", "startup_ms_sum", "error_beacons"}

func sumsOf(s *analytics.Sums) [9]int64 {
	return [9]int64{s.Beacons, s.CDNBytes, s.P2PBytes, s.UploadBytes, s.PlayedMS, s.BufferedMS,
		s.Startups, s.StartupMSSum, s.ErrorBeacons}
}

// keyColumns returns a table's key columns.
func keyColumns(proj bool) []string {
	if proj {
		return projKeyColumns
	}
	return fullKeyColumns
}

// pgArrayType returns the array type a key or value column is sent as.
func pgArrayType(col string) string {
	switch col {
	case "projection":
		return "smallint[]"
	case "bucket":
		return "bigint[]"
	case "startup_hist", "sessions", "error_sessions":
		return "bytea[]"
	}
	if slices.Contains(rollupSumColumns, col) {
		return "bigint[]"
	}
	return "text[]"
}

// unnestOf returns unnest($1::type[], ...) AS alias(cols...).
func unnestOf(cols []string, alias string) string {
	params := make([]string, len(cols))
	for i, c := range cols {
		params[i] = "$" + strconv.Itoa(i+1) + "::" + pgArrayType(c)
	}
	return "unnest(" + strings.Join(params, ", ") + ") AS " + alias + "(" + strings.Join(cols, ", ") + ")"
}

// pgTable is a PostgreSQL rollup table and its statements.
type pgTable struct {
	id   int16 // its number in rollup_pending
	name string
	proj bool
	// appendRows inserts rows from arrays ($1... in keyColumns, then
	// rollupSumColumns, then the histogram and the two sketches).
	appendRows string
	// copyRows is appendRows as a binary COPY, whose rows rollupCopy
	// writes.
	copyRows string
	// split lists the rows of one organization's bucket ($1, $2; $3 the
	// projections, for a projection table) whose cell is held in more
	// than one row.
	split string
	// take deletes the rows listed ($1) and returns them; a row another
	// merge deleted meanwhile is not returned.
	take string
}

// pgTables are the rollup tables in rollupWrites order: the levels
// finest first, then the projection tables.
var pgTables = func() []*pgTable {
	var out []*pgTable
	add := func(name string, proj bool) {
		keys := keyColumns(proj)
		keyList := strings.Join(keys, ", ")
		all := append(slices.Clone(keys), rollupSumColumns...)
		all = append(all, "startup_hist", "sessions", "error_sessions")
		in := "org_id = $1 AND bucket = $2"
		if proj {
			in += " AND projection = ANY($3::smallint[])"
		}
		out = append(out, &pgTable{
			id: int16(len(out) + 1), name: name, proj: proj,
			appendRows: `INSERT INTO ` + name + ` (` + strings.Join(all, ", ") + `)
SELECT * FROM ` + unnestOf(all, "u"),
			copyRows: `COPY ` + name + ` (` + strings.Join(all, ", ") + `) FROM STDIN BINARY`,
			split: `SELECT ctid::text FROM (SELECT ctid, count(*) OVER (PARTITION BY ` + keyList + `) AS n
	FROM ` + name + ` WHERE ` + in + `) c WHERE n > 1`,
			take: `DELETE FROM ` + name + ` WHERE ctid = ANY ($1::text[]::tid[]) RETURNING ` + strings.Join(all, ", "),
		})
	}
	for _, l := range analytics.Levels {
		add(rollupTable(l), false)
	}
	for _, l := range analytics.ProjectedLevels {
		add(projTable(l), true)
	}
	return out
}()

// levelWrite is what one batch adds to one rollup table.
type levelWrite struct {
	table   *pgTable
	rollups []analytics.Rollup
}

// rollupWrites returns what beacons add to each table, in pgTables
// order.
func rollupWrites(beacons []analytics.Ingested) ([]levelWrite, error) {
	writes := make([]levelWrite, 0, len(pgTables))
	full := map[analytics.Level][]analytics.Rollup{}
	for _, l := range analytics.Levels {
		full[l] = analytics.Rollups(l, beacons)
		writes = append(writes, levelWrite{table: pgTables[len(writes)], rollups: full[l]})
	}
	for _, l := range analytics.ProjectedLevels {
		projected, err := analytics.Project(full[l])
		if err != nil {
			return nil, err
		}
		writes = append(writes, levelWrite{table: pgTables[len(writes)], rollups: projected})
	}
	return writes, nil
}

// pendingOf returns the rollup_pending rows of writes: each table's
// organizations' buckets, once.
func pendingOf(writes []levelWrite) (tbls []int16, orgs []string, buckets []int64) {
	type ob struct {
		tbl    int16
		org    string
		bucket int64
	}
	seen := map[ob]bool{}
	for _, w := range writes {
		for i := range w.rollups {
			k := ob{w.table.id, w.rollups[i].Key.OrgID, toDB(w.rollups[i].Key.Bucket)}
			if !seen[k] {
				seen[k] = true
				tbls, orgs, buckets = append(tbls, k.tbl), append(orgs, k.org), append(buckets, k.bucket)
			}
		}
	}
	return tbls, orgs, buckets
}

// appendPending adds rows to rollup_pending from arrays.
const appendPending = `INSERT INTO rollup_pending (tbl, org_id, bucket)
SELECT * FROM unnest($1::smallint[], $2::text[], $3::bigint[])`

// keyDests are where a rollup row's key columns are scanned.
type keyDests struct {
	k                analytics.RollupKey
	projection       int16
	bucket           int64
	stream, platform string
}

func (d *keyDests) dests(proj bool) []any {
	if proj {
		return []any{&d.k.OrgID, &d.projection, &d.bucket, &d.k.IntegrationID, &d.k.ContentID, &d.stream,
			&d.platform, &d.k.Country, &d.k.ISP}
	}
	d.projection = 0
	return []any{&d.k.OrgID, &d.bucket, &d.k.IntegrationID, &d.k.ContentID, &d.stream, &d.platform, &d.k.Country, &d.k.ISP}
}

func (d *keyDests) key() analytics.RollupKey {
	k := d.k
	k.Projection = analytics.Projection(d.projection)
	k.Bucket, k.StreamType, k.Platform = fromDB(d.bucket), analytics.StreamType(d.stream), analytics.Platform(d.platform)
	return k
}

// rollupKeyArgs returns the key arrays of the rollups at indexes is: 8,
// or 9 with the projection.
func rollupKeyArgs(rollups []analytics.Rollup, is []int, proj bool) []any {
	n := len(is)
	orgs, buckets := make([]string, n), make([]int64, n)
	projections := make([]int16, n)
	dims := [6][]string{}
	for d := range dims {
		dims[d] = make([]string, n)
	}
	for j, i := range is {
		k := &rollups[i].Key
		orgs[j], buckets[j], projections[j] = k.OrgID, toDB(k.Bucket), int16(k.Projection)
		for d, v := range [6]string{k.IntegrationID, k.ContentID, string(k.StreamType), string(k.Platform), k.Country, k.ISP} {
			dims[d][j] = v
		}
	}
	if proj {
		return []any{orgs, projections, buckets, dims[0], dims[1], dims[2], dims[3], dims[4], dims[5]}
	}
	return []any{orgs, buckets, dims[0], dims[1], dims[2], dims[3], dims[4], dims[5]}
}

// rollupRowArgs returns the arrays of a table's appendRows for the
// rollups at indexes is: the keys, sums, histograms and sketches.
func rollupRowArgs(rollups []analytics.Rollup, is []int, proj bool) ([]any, error) {
	n := len(is)
	args := rollupKeyArgs(rollups, is, proj)
	var sums [9][]int64
	for c := range sums {
		sums[c] = make([]int64, n)
	}
	hists, sk, esk := make([][]byte, n), make([][]byte, n), make([][]byte, n)
	for j, i := range is {
		r := &rollups[i]
		for c, v := range sumsOf(&r.Sums) {
			sums[c][j] = v
		}
		hists[j] = encodeHist(&r.Startup)
		var err error
		if sk[j], err = encodeSketch(r.Sessions); err != nil {
			return nil, err
		}
		if esk[j], err = encodeSketch(r.ErrorSessions); err != nil {
			return nil, err
		}
	}
	for _, c := range sums {
		args = append(args, c)
	}
	return append(args, hists, sk, esk), nil
}

// rollupCopy writes rollups as the rows of a table's copyRows, in the
// columns of appendRows.
func rollupCopy(c *copyData, rollups []analytics.Rollup, proj bool) error {
	fields := len(keyColumns(proj)) + len(rollupSumColumns) + 3
	for i := range rollups {
		r, k := &rollups[i], &rollups[i].Key
		c.row(fields)
		c.text(k.OrgID)
		if proj {
			c.int16(int16(k.Projection))
		}
		c.int64(toDB(k.Bucket))
		for _, v := range [...]string{k.IntegrationID, k.ContentID, string(k.StreamType), string(k.Platform), k.Country, k.ISP} {
			c.text(v)
		}
		for _, v := range sumsOf(&r.Sums) {
			c.int64(v)
		}
		c.bytes(encodeHist(&r.Startup))
		for _, sk := range [...]*hyperloglog.Sketch{r.Sessions, r.ErrorSessions} {
			b, err := encodeSketch(sk)
			if err != nil {
				return err
			}
			c.bytes(b)
		}
	}
	return nil
}

// rowKey is a RollupKey usable as a map key whatever the representation
// of its time.
type rowKey struct {
	org        string
	projection analytics.Projection
	bucket     int64
	dims       [6]string
}

func rowKeyOf(k *analytics.RollupKey) rowKey {
	return rowKey{k.OrgID, k.Projection, toDB(k.Bucket),
		[6]string{k.IntegrationID, k.ContentID, string(k.StreamType), string(k.Platform), k.Country, k.ISP}}
}
