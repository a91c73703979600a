package analyticsstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/portico-gw/portico/internal/analytics"
)

// The rollup side of a PostgreSQL batch (insertBatch): the statements, the
// rows a batch adds to each level, and how locked rows are read and
// merged.

// A rollup table's key columns, in primary key order: the full tables'
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

// rollupStatements are the statements of one rollup table's writes.
type rollupStatements struct {
	keys   []string
	lock   string
	insert string
	update string
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

// unnestOf returns unnest($1::type[], ...) AS alias(cols...), with
// ordinality when ord.
func unnestOf(cols []string, alias string, ord bool) string {
	params := make([]string, len(cols))
	for i, c := range cols {
		params[i] = "$" + strconv.Itoa(i+1) + "::" + pgArrayType(c)
	}
	names := strings.Join(cols, ", ")
	with := ""
	if ord {
		with, names = " WITH ORDINALITY", names+", ord"
	}
	return "unnest(" + strings.Join(params, ", ") + ")" + with + " AS " + alias + "(" + names + ")"
}

// newRollupStatements builds the statements of a table.
//
// lock reads and locks the rows with the given keys, in the keys' order
// (every writer sorts them alike). Each key is looked up on its own, by
// the primary key: a join with the keys, planned on statistics that lag a
// growing table, chose sequential scans.
//
// insert creates the rows of cells no row held when they were locked,
// returning the keys it created; a key another transaction created
// meanwhile is left to it and merged into afterwards.
//
// update adds the sums to locked rows and sets their histograms and
// sketches, merged in Go with what the rows held. It is an upsert whose
// rows all conflict: each finds its row by the primary key, where an
// UPDATE ... FROM the arrays is a join the planner may scan for.
func newRollupStatements(table string, proj bool) *rollupStatements {
	keys := keyColumns(proj)
	var on []string
	for _, c := range keys {
		on = append(on, "r."+c+" = k."+c)
	}
	keyList := strings.Join(keys, ", ")
	lock := `SELECT r.* FROM ` + unnestOf(keys, "k", true) + `,
	LATERAL (SELECT ` + prefixed("r.", keyList) + `, r.startup_hist, r.sessions, r.error_sessions
		FROM ` + table + ` r WHERE ` + strings.Join(on, " AND ") + ` FOR UPDATE) r
	ORDER BY k.ord`
	all := append(slices.Clone(keys), rollupSumColumns...)
	all = append(all, "startup_hist", "sessions", "error_sessions")
	insertHead := `INSERT INTO ` + table + ` (` + strings.Join(all, ", ") + `)
SELECT * FROM ` + unnestOf(all, "u", false)
	set := make([]string, 0, len(rollupSumColumns)+3)
	for _, c := range rollupSumColumns {
		set = append(set, c+" = "+table+"."+c+" + excluded."+c)
	}
	set = append(set, "startup_hist = excluded.startup_hist", "sessions = excluded.sessions",
		"error_sessions = excluded.error_sessions")
	return &rollupStatements{
		keys:   keys,
		lock:   lock,
		insert: insertHead + "\nON CONFLICT DO NOTHING\nRETURNING " + keyList,
		update: insertHead + "\nON CONFLICT (" + keyList + ") DO UPDATE SET " + strings.Join(set, ", "),
	}
}

// statements holds every rollup table's statements, by table.
var statements = func() map[string]*rollupStatements {
	m := map[string]*rollupStatements{}
	for _, l := range analytics.Levels {
		m[rollupTable(l)] = newRollupStatements(rollupTable(l), false)
	}
	for _, l := range analytics.ProjectedLevels {
		m[projTable(l)] = newRollupStatements(projTable(l), true)
	}
	return m
}()

// levelWrite is what one batch does to one rollup level.
type levelWrite struct {
	table   string
	proj    bool
	rollups []analytics.Rollup
	index   map[rowKey]int
	held    []bool // rollups[i] was merged with its locked row
}

// rollupWrites returns what beacons add to each level, finest first, then
// to each projected level's projections.
func rollupWrites(beacons []analytics.Ingested) ([]*levelWrite, error) {
	writes := make([]*levelWrite, 0, len(analytics.Levels)+len(analytics.ProjectedLevels))
	add := func(w *levelWrite) {
		w.index = make(map[rowKey]int, len(w.rollups))
		w.held = make([]bool, len(w.rollups))
		for i := range w.rollups {
			w.index[rowKeyOf(&w.rollups[i].Key)] = i
		}
		writes = append(writes, w)
	}
	full := map[analytics.Level][]analytics.Rollup{}
	for _, l := range analytics.Levels {
		full[l] = analytics.Rollups(l, beacons)
		add(&levelWrite{table: rollupTable(l), rollups: full[l]})
	}
	for _, l := range analytics.ProjectedLevels {
		projected, err := analytics.Project(full[l])
		if err != nil {
			return nil, err
		}
		add(&levelWrite{table: projTable(l), proj: true, rollups: projected})
	}
	return writes, nil
}

// lockAndMerge reads and locks, in one round trip, the rows of the cells
// which[level] lists (every cell when which is nil), and merges each row
// found into its rollup.
func lockAndMerge(ctx context.Context, tx pgx.Tx, writes []*levelWrite, which [][]int) error {
	batch := &pgx.Batch{}
	queueLocks(batch, writes, which)
	if batch.Len() == 0 {
		return nil
	}
	return mergeLocked(tx.SendBatch(ctx, batch), writes, which)
}

// cells returns the indexes of w's rollups which names for level li.
func cells(w *levelWrite, which [][]int, li int) []int {
	if which != nil {
		return which[li]
	}
	all := make([]int, len(w.rollups))
	for i := range all {
		all[i] = i
	}
	return all
}

// queueLocks queues the lock statements of the cells which names.
func queueLocks(batch *pgx.Batch, writes []*levelWrite, which [][]int) {
	for li, w := range writes {
		if is := cells(w, which, li); len(is) > 0 {
			batch.Queue(statements[w.table].lock, rollupKeyArgs(w.rollups, is, w.proj)...)
		}
	}
}

// mergeLocked reads the results of queueLocks from res, merging each row
// into its rollup, and closes res.
func mergeLocked(res pgx.BatchResults, writes []*levelWrite, which [][]int) error {
	defer res.Close()
	var (
		kd                          keyDests
		hist, sessions, errSessions []byte
	)
	for li, w := range writes {
		if len(cells(w, which, li)) == 0 {
			continue
		}
		rows, err := res.Query()
		if err != nil {
			return fmt.Errorf("lock %s: %w", w.table, err)
		}
		if _, err := pgx.ForEachRow(rows, append(kd.dests(w.proj), &hist, &sessions, &errSessions), func() error {
			key := kd.key()
			i, ok := w.index[rowKeyOf(&key)]
			if !ok || w.held[i] {
				return fmt.Errorf("locked a row of %s that was not asked for", w.table)
			}
			w.held[i] = true
			return mergeStored(&w.rollups[i], hist, sessions, errSessions)
		}); err != nil {
			return fmt.Errorf("lock %s: %w", w.table, err)
		}
	}
	if err := res.Close(); err != nil {
		return fmt.Errorf("lock rollups: %w", err)
	}
	return nil
}

// scanKeys reads the rollup keys a batched statement returned, as indexes
// into w.rollups.
func scanKeys(res pgx.BatchResults, w *levelWrite) (map[int]bool, error) {
	rows, err := res.Query()
	if err != nil {
		return nil, err
	}
	var kd keyDests
	got := map[int]bool{}
	_, err = pgx.ForEachRow(rows, kd.dests(w.proj), func() error {
		key := kd.key()
		i, ok := w.index[rowKeyOf(&key)]
		if !ok {
			return fmt.Errorf("created a row of %s that was not asked for", w.table)
		}
		got[i] = true
		return nil
	})
	return got, err
}

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

// rollupRowArgs returns the arrays of a table's insert or update for the
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

// prefixed returns the comma-separated columns each with prefix p.
func prefixed(p, columns string) string {
	parts := strings.Split(columns, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
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
