package analyticsstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/portico-gw/portico/internal/analytics"
)

// The rollup side of a PostgreSQL batch (insertBatch): the statements, the
// rows a batch adds to each level, and how locked rows are read and
// merged.

// rollupKeyColumns are a rollup row's key, in primary key order.
const rollupKeyColumns = "org_id, bucket, integration_id, content_id, stream_type, platform, country, isp"

const unnestKeys = `unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
	AS k(org_id, bucket, integration_id, content_id, stream_type, platform, country, isp)`

// rollupSumColumns are the additive columns of a rollup row, in the order
// sumsOf gives them.
var rollupSumColumns = []string{"beacons", "cdn_bytes", "p2p_bytes", "upload_bytes", "played_ms", "buffered_ms",
	"startups", "startup_ms_sum", "error_beacons"}

func sumsOf(s *analytics.Sums) [9]int64 {
	return [9]int64{s.Beacons, s.CDNBytes, s.P2PBytes, s.UploadBytes, s.PlayedMS, s.BufferedMS,
		s.Startups, s.StartupMSSum, s.ErrorBeacons}
}

// unnestRows are the 20 array parameters of a rollup write: keys, sums,
// histogram and sketches.
const unnestRows = `unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
	$9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[],
	$17::bigint[], $18::bytea[], $19::bytea[], $20::bytea[])
	AS u(org_id, bucket, integration_id, content_id, stream_type, platform, country, isp, beacons, cdn_bytes, p2p_bytes,
	upload_bytes, played_ms, buffered_ms, startups, startup_ms_sum, error_beacons, startup_hist, sessions, error_sessions)`

// lockRollups reads and locks the rows of a level's table with the given
// keys, in the keys' order (every writer sorts them alike). Each key is
// looked up on its own, by the primary key: a join with the keys, planned
// on statistics that lag a growing table, chose sequential scans.
func lockRollups(table string) string {
	var on []string
	for _, c := range strings.Split(rollupKeyColumns, ", ") {
		on = append(on, "r."+c+" = k."+c)
	}
	keys := strings.Replace(unnestKeys, "AS k(", "WITH ORDINALITY AS k(", 1)
	keys = strings.Replace(keys, "isp)", "isp, ord)", 1)
	return `SELECT r.* FROM ` + keys + `,
	LATERAL (SELECT ` + prefixed("r.", rollupKeyColumns) + `, r.startup_hist, r.sessions, r.error_sessions
		FROM ` + table + ` r WHERE ` + strings.Join(on, " AND ") + ` FOR UPDATE) r
	ORDER BY k.ord`
}

// insertRollups creates the rows of cells no row held when they were
// locked, returning the keys it created; a key another transaction
// created meanwhile is left to it and merged into afterwards.
func insertRollups(table string) string {
	return `INSERT INTO ` + table + ` (` + rollupKeyColumns + `, ` + strings.Join(rollupSumColumns, ", ") + `,
	startup_hist, sessions, error_sessions)
SELECT * FROM ` + unnestRows + `
ON CONFLICT DO NOTHING
RETURNING ` + rollupKeyColumns
}

// updateRollups adds the sums to locked rows and sets their histograms
// and sketches, merged in Go with what the rows held. It is an upsert
// whose rows all conflict: each finds its row by the primary key, where
// an UPDATE ... FROM the arrays is a join the planner may scan for.
func updateRollups(table string) string {
	set := make([]string, 0, len(rollupSumColumns)+3)
	for _, c := range rollupSumColumns {
		set = append(set, c+" = "+table+"."+c+" + excluded."+c)
	}
	set = append(set, "startup_hist = excluded.startup_hist", "sessions = excluded.sessions",
		"error_sessions = excluded.error_sessions")
	return `INSERT INTO ` + table + ` (` + rollupKeyColumns + `, ` + strings.Join(rollupSumColumns, ", ") + `,
	startup_hist, sessions, error_sessions)
SELECT * FROM ` + unnestRows + `
ON CONFLICT (` + rollupKeyColumns + `) DO UPDATE SET ` + strings.Join(set, ", ")
}

// levelWrite is what one batch does to one rollup level.
type levelWrite struct {
	table   string
	rollups []analytics.Rollup
	index   map[rowKey]int
	held    []bool // rollups[i] was merged with its locked row
}

// rollupWrites returns what beacons add to each level, finest first.
func rollupWrites(beacons []analytics.Ingested) []*levelWrite {
	writes := make([]*levelWrite, len(analytics.Levels))
	for li, l := range analytics.Levels {
		w := &levelWrite{table: rollupTable(l), rollups: analytics.Rollups(l, beacons)}
		w.index = make(map[rowKey]int, len(w.rollups))
		w.held = make([]bool, len(w.rollups))
		for i := range w.rollups {
			w.index[rowKeyOf(&w.rollups[i].Key)] = i
		}
		writes[li] = w
	}
	return writes
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

// queueLocks queues lockRollups for the cells which names.
func queueLocks(batch *pgx.Batch, writes []*levelWrite, which [][]int) {
	for li, w := range writes {
		if is := cells(w, which, li); len(is) > 0 {
			batch.Queue(lockRollups(w.table), rollupKeyArgs(w.rollups, is)...)
		}
	}
}

// mergeLocked reads the results of queueLocks from res, merging each row
// into its rollup, and closes res.
func mergeLocked(res pgx.BatchResults, writes []*levelWrite, which [][]int) error {
	defer res.Close()
	var (
		key                         analytics.RollupKey
		bucket                      int64
		stream, platform            string
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
		if _, err := pgx.ForEachRow(rows, []any{&key.OrgID, &bucket, &key.IntegrationID, &key.ContentID, &stream,
			&platform, &key.Country, &key.ISP, &hist, &sessions, &errSessions}, func() error {
			key.Bucket, key.StreamType, key.Platform = fromDB(bucket), analytics.StreamType(stream), analytics.Platform(platform)
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
	var (
		key              analytics.RollupKey
		bucket           int64
		stream, platform string
	)
	got := map[int]bool{}
	_, err = pgx.ForEachRow(rows, []any{&key.OrgID, &bucket, &key.IntegrationID, &key.ContentID, &stream,
		&platform, &key.Country, &key.ISP}, func() error {
		key.Bucket, key.StreamType, key.Platform = fromDB(bucket), analytics.StreamType(stream), analytics.Platform(platform)
		i, ok := w.index[rowKeyOf(&key)]
		if !ok {
			return fmt.Errorf("created a row of %s that was not asked for", w.table)
		}
		got[i] = true
		return nil
	})
	return got, err
}

// rollupKeyArgs returns the 8 key arrays of the rollups at indexes is.
func rollupKeyArgs(rollups []analytics.Rollup, is []int) []any {
	n := len(is)
	orgs, buckets := make([]string, n), make([]int64, n)
	dims := [6][]string{}
	for d := range dims {
		dims[d] = make([]string, n)
	}
	for j, i := range is {
		k := &rollups[i].Key
		orgs[j], buckets[j] = k.OrgID, toDB(k.Bucket)
		for d, v := range [6]string{k.IntegrationID, k.ContentID, string(k.StreamType), string(k.Platform), k.Country, k.ISP} {
			dims[d][j] = v
		}
	}
	return []any{orgs, buckets, dims[0], dims[1], dims[2], dims[3], dims[4], dims[5]}
}

// rollupRowArgs returns the 20 arrays of unnestRows for the rollups at
// indexes is.
func rollupRowArgs(rollups []analytics.Rollup, is []int) ([]any, error) {
	n := len(is)
	args := rollupKeyArgs(rollups, is)
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
	org    string
	bucket int64
	dims   [6]string
}

func rowKeyOf(k *analytics.RollupKey) rowKey {
	return rowKey{k.OrgID, toDB(k.Bucket), [6]string{k.IntegrationID, k.ContentID, string(k.StreamType), string(k.Platform), k.Country, k.ISP}}
}
