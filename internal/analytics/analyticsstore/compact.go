package analyticsstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/axiomhq/hyperloglog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

// Defaults of the merge of appended rollup rows (PostgreSQL).
const (
	// DefaultCompactEvery is how many beacons a Store stores between two
	// merges of the rollup rows their batches appended: 32 batches of
	// 1,000. Counted in beacons, not batches, so that many small batches
	// do not merge far more often than a few large ones.
	DefaultCompactEvery = 32_000
	// compactPendingChunk is how many rollup_pending rows one merge
	// transaction takes.
	compactPendingChunk = 2000
)

// SetCompactEvery makes InsertBeacons merge the appended rollup rows
// each time the beacons this Store has stored pass a multiple of n
// (DefaultCompactEvery when n is not positive). More means fewer, larger merges, and more rows for
// queries to read meanwhile. Call it before the Store is used.
func (s *Store) SetCompactEvery(n int) {
	if n <= 0 {
		n = DefaultCompactEvery
	}
	s.compactEvery = int64(n)
}

// maybeCompact merges the appended rollup rows when the stored beacons,
// n more now, pass a multiple of compactEvery. While RunCompactions runs,
// it only tells that loop, so the batch's caller does not wait for the
// merge; otherwise it merges here, unless a merge of this Store runs
// already. A failed merge is left for the next one: the rows it would
// have merged read the same meanwhile, and the batch that triggered it is
// committed.
func (s *Store) maybeCompact(ctx context.Context, n int) {
	total := s.stored.Add(int64(n))
	if total/s.compactEvery == (total-int64(n))/s.compactEvery {
		return
	}
	if s.compactLoops.Load() > 0 {
		select {
		case s.compactDue <- struct{}{}:
		default: // a merge is due already
		}
		return
	}
	if !s.compacting.TryLock() {
		return
	}
	defer s.compacting.Unlock()
	_ = s.CompactRollups(ctx)
}

// RunCompactions merges the appended rollup rows every interval and
// whenever InsertBeacons has stored compactEvery more beacons, until ctx
// ends; while it runs, InsertBeacons never merges itself, so no batch's
// caller waits for a merge. onError, when not nil, gets each failed
// merge's error (the rows it would have merged read the same meanwhile,
// and the next merge takes them). On SQLite it only waits for ctx.
func (s *Store) RunCompactions(ctx context.Context, interval time.Duration, onError func(error)) {
	if s.db.Dialect() != sqldb.Postgres {
		<-ctx.Done()
		return
	}
	s.compactLoops.Add(1)
	defer s.compactLoops.Add(-1)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.compactDue:
		}
		s.compacting.Lock()
		err := s.CompactRollups(ctx)
		s.compacting.Unlock()
		if err != nil && ctx.Err() == nil && onError != nil {
			onError(err)
		}
	}
}

// CompactRollups merges the rollup rows that batches appended (see
// migration 0007) into one row per cell, for every bucket rollup_pending
// lists, and reports the first failure. On SQLite, whose batches update
// one row per cell, it does nothing.
//
// Each transaction takes up to compactPendingChunk pending rows (those a
// concurrent merge holds are skipped: SKIP LOCKED) and, for each bucket
// they name, deletes the rows of the cells held in more than one row and
// inserts their merge: a reader sees either the rows or their merge. A
// row is merged by the transaction whose DELETE took it, so never twice,
// even when another replica's merge lists the same rows (it waits for the
// first and gets nothing of them, and lists the bucket as pending again).
// A cell left in several rows by such a race, or by a batch that commits
// meanwhile, is merged by a later pass, its bucket being pending again
// or still.
func (s *Store) CompactRollups(ctx context.Context) error {
	if s.db.Dialect() != sqldb.Postgres {
		return nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("compact rollups: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		for {
			var n int
			err := pgx.BeginFunc(ctx, pc, func(tx pgx.Tx) error {
				var err error
				n, err = compactPending(ctx, tx, compactPendingChunk)
				return err
			})
			if err != nil {
				return fmt.Errorf("compact rollups: %w", err)
			}
			if n < compactPendingChunk {
				return nil
			}
		}
	})
}

// pendingBucket is one table's bucket of one organization.
type pendingBucket struct {
	tbl    int16
	org    string
	bucket int64
}

// compactPending takes up to limit pending rows and merges the cells of
// the buckets they name, returning how many it took.
func compactPending(ctx context.Context, tx pgx.Tx, limit int) (int, error) {
	rows, err := tx.Query(ctx, `DELETE FROM rollup_pending WHERE ctid = ANY (ARRAY(
	SELECT ctid FROM rollup_pending LIMIT $1 FOR UPDATE SKIP LOCKED)) RETURNING tbl, org_id, bucket`, limit)
	if err != nil {
		return 0, err
	}
	seen := map[pendingBucket]bool{}
	var buckets []pendingBucket
	var p pendingBucket
	n, err := pgx.ForEachRow(rows, []any{&p.tbl, &p.org, &p.bucket}, func() error {
		if !seen[p] {
			seen[p] = true
			buckets = append(buckets, p)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	slices.SortFunc(buckets, func(a, b pendingBucket) int {
		return cmp.Or(cmp.Compare(a.tbl, b.tbl), strings.Compare(a.org, b.org), cmp.Compare(a.bucket, b.bucket))
	})
	for _, b := range buckets {
		if b.tbl < 1 || int(b.tbl) > len(pgTables) {
			return 0, fmt.Errorf("pending rollups of unknown table %d", b.tbl)
		}
		if err := compactBucket(ctx, tx, pgTables[b.tbl-1], b.org, b.bucket); err != nil {
			return 0, fmt.Errorf("%s: %w", pgTables[b.tbl-1].name, err)
		}
	}
	return int(n.RowsAffected()), nil
}

// projectionNumbers are every projection's number, as compactBucket's $3.
var projectionNumbers = func() []int16 {
	var out []int16
	for _, p := range analytics.Projections() {
		out = append(out, int16(p))
	}
	return out
}()

// compactBucket merges the cells of one organization's bucket of t that
// are held in more than one row: it lists their rows, then deletes them,
// reading what they held, and inserts one row per cell. (Listing and
// taking in one statement made the planner group the bucket once per
// row.) A row that another merge took between the two is not returned;
// a cell whose rows two merges shared is left in two rows, merged later.
func compactBucket(ctx context.Context, tx pgx.Tx, t *pgTable, org string, bucket int64) error {
	args := []any{org, bucket}
	if t.proj {
		args = append(args, projectionNumbers)
	}
	rows, err := tx.Query(ctx, t.split, args...)
	if err != nil {
		return err
	}
	split, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(split) == 0 {
		return err
	}
	if rows, err = tx.Query(ctx, t.take, split); err != nil {
		return err
	}
	var (
		merged []analytics.Rollup
		cells  []*mergedCell
		index  = map[rowKey]*mergedCell{}
		kd     keyDests
		sm     analytics.Sums
		hist   []byte
		sk     []byte
		esk    []byte
	)
	dests := append(kd.dests(t.proj), &sm.Beacons, &sm.CDNBytes, &sm.P2PBytes, &sm.UploadBytes, &sm.PlayedMS,
		&sm.BufferedMS, &sm.Startups, &sm.StartupMSSum, &sm.ErrorBeacons, &hist, &sk, &esk)
	taken := 0
	if _, err := pgx.ForEachRow(rows, dests, func() error {
		taken++
		key := kd.key()
		rk := rowKeyOf(&key)
		c, ok := index[rk]
		if !ok {
			c = &mergedCell{r: analytics.Rollup{Key: key}}
			index[rk] = c
			cells = append(cells, c)
		}
		return c.add(&sm, hist, sk, esk)
	}); err != nil {
		return err
	}
	for _, c := range cells {
		merged = append(merged, c.r)
	}
	if taken < len(split) {
		// Another merge took some of the rows: their cells may be left in
		// two rows, its merge and this one's; the bucket stays pending.
		if _, err := tx.Exec(ctx, `INSERT INTO rollup_pending (tbl, org_id, bucket) VALUES ($1, $2, $3)`,
			t.id, org, bucket); err != nil {
			return err
		}
	}
	if len(merged) == 0 {
		return nil
	}
	return copyIn(ctx, tx, t.copyRows, func(c *copyData) error { return rollupCopy(c, merged, t.proj) })
}

// mergedCell is the merge of a cell's rows.
type mergedCell struct {
	r analytics.Rollup
	// The encoded sizes of the sketches r holds: the smaller of two
	// sketches is merged into the larger, since a merge goes over the
	// entries of the sketch merged in.
	size, errSize int
}

// add merges one row into c.
func (c *mergedCell) add(sm *analytics.Sums, hist, sessions, errSessions []byte) error {
	c.r.Sums.Add(sm)
	if err := decodeHist(hist, &c.r.Startup); err != nil {
		return err
	}
	if err := mergeSketchBlob(&c.r.Sessions, &c.size, sessions); err != nil {
		return err
	}
	return mergeSketchBlob(&c.r.ErrorSessions, &c.errSize, errSessions)
}

// mergeSketchBlob merges the encoded sketch b into *dst (nil: none yet),
// whose encoding was *size bytes long, the smaller into the larger.
func mergeSketchBlob(dst **hyperloglog.Sketch, size *int, b []byte) error {
	sk, err := decodeSketch(b)
	if err != nil {
		return err
	}
	switch {
	case *dst == nil:
		*dst, *size = sk, len(b)
	case len(b) > *size:
		if err := sk.Merge(*dst); err != nil {
			return fmt.Errorf("merge sketch: %w", err)
		}
		*dst, *size = sk, len(b)
	default:
		if err := (*dst).Merge(sk); err != nil {
			return fmt.Errorf("merge sketch: %w", err)
		}
	}
	return nil
}
