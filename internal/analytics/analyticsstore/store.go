// Package analyticsstore is the SQL implementation of analytics.Store, for
// SQLite and PostgreSQL through sqldb.
//
// Times are BIGINT microseconds since the Unix epoch in UTC, as in the
// other stores. Raw beacons are one row each; rollups are kept at three
// levels (rollup_minute, rollup_hour, rollup_day, buckets starting at UTC
// minute, hour and day boundaries), per bucket and combination of the
// dimensions (a cell), with the sums, the startup histogram (62 unsigned
// varints) and two HyperLogLog sketches in axiomhq's binary form. Hour and
// day rollups are also kept per projection (analytics.Projection) in
// rollup_hour_proj and rollup_day_proj, keyed by the projection's number
// with the dimensions it does not keep empty, written in the same
// transaction and the same round trips as the full rows. On SQLite a cell
// is one row; on PostgreSQL it may be several until they are merged (see
// below). Readers add the sums and merge the histograms and sketches of
// every row they select, so they answer the same either way.
//
// # One transaction per batch
//
// InsertBeacons stores the beacons that are new and adds exactly those to
// the rollups in one transaction, so a duplicate, a retry or the same
// batch ingested by two replicas at once never counts twice. A sketch
// cannot be added in SQL. On SQLite each rollup row that exists is read,
// merged in Go and written back, under the write lock of the IMMEDIATE
// transaction sqldb begins. On PostgreSQL a batch appends rows of its own
// instead, with its figures for each cell it adds to, and lists the
// buckets it added to in rollup_pending: no rollup row is locked, read or
// rewritten on the ingest path (migration 0007).
//
// # PostgreSQL
//
// Raw beacons are range-partitioned by UTC day of event time
// (beacons_pYYYYMMDD) with a BRIN index on time; PrepareRaw creates
// partitions ahead and InsertBeacons creates a missing one on demand (a
// late beacon); DropRawBefore drops whole partitions. A partition's unique
// key would have to hold the event time, so beacon identity lives in
// beacon_keys, one narrow unpartitioned row per stored beacon keyed by
// (org_id, session_id, sequence) with its event day; DropRawBefore
// deletes the keys of the days it drops.
//
// A batch's first try bets that all of it is new (see insertBatch): in
// one transaction, its keys go into beacon_keys by COPY, plainly, so a key
// stored before fails that COPY with a unique violation; then the raw
// rows and the appended rollup rows by COPY, and one pipeline upserts the
// session hours and lists the pending buckets. The COPY data is written
// in PostgreSQL's binary format by this package. A batch holding beacons
// stored before is rolled back and done carefully: one statement inserts
// the keys that are new and, in the same statement, the raw rows of
// exactly those (arrays through unnest), then the rest is written for the
// beacons actually stored. No lock is wider than the keys and session
// hours a batch writes, so batches of one organization run in parallel;
// concurrent writers take them in one order (the batch is sorted by key).
// A batch that lost a race (a key another transaction committed between
// its check and its insert, or a deadlock) is tried again whole, and then
// sees the winner's rows. Before beacon_keys the uniqueness was a NOT
// EXISTS over every partition under a per-organization advisory lock, one
// batch of an organization at a time: BenchmarkInsertBeacons went from
// 15,000–16,800 to 25,700–30,100 beacons/s. This path uses pgx directly,
// under database/sql's connection.
//
// CompactRollups merges the appended rows: for each pending bucket, the
// rows of the cells held in more than one row are deleted and their merge
// inserted, in one transaction, so a reader sees the rows or their merge,
// never both or neither; a row is merged by the one transaction whose
// DELETE took it, so replicas merging at once never count it twice.
// It runs after every DefaultCompactEvery beacons the Store stores
// (SetCompactEvery), one merge at a time per Store: in RunCompactions'
// loop when one runs, which also merges at an interval (a minute in
// `portico analytics`) for a store whose ingest went quiet, otherwise
// inside the InsertBeacons call that passed the mark. Until then,
// queries read a few more rows. Appending instead of rewriting the hot
// rows (the hours, days and projections every batch touches) took the
// CPU of an ingested beacon, the writer's and PostgreSQL's together, from
// 49–53 µs to 36–38 µs, merges included (docs/performance.md).
//
// # SQLite
//
// One raw table; a batch is inserted with multi-row INSERT ... ON
// CONFLICT DO NOTHING RETURNING in one transaction, the batches of one
// process one at a time (a mutex: SQLite has one writer; waiting in Go
// instead of SQLite's busy handler never times out); retention deletes in
// chunks of rawDeleteChunk rows, each its own short transaction, so
// ingestion is never blocked for long.
package analyticsstore

import (
	"context"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"
	"time"

	"github.com/axiomhq/hyperloglog"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the store's schema migrations.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(fmt.Sprintf("analyticsstore: embedded migrations: %v", err)) // cannot happen: the directory is embedded
	}
	return sub
}

// Store keeps the analytics service's beacons and rollups in a SQL
// database.
type Store struct {
	db *sqldb.DB

	mu         sync.Mutex
	partitions map[int64]bool // PostgreSQL: UTC days (Unix day numbers) whose partition exists

	// sqliteWrite queues this process's SQLite batches in Go. SQLite has
	// one writer at a time anyway; without it, concurrent batches wait in
	// SQLite's busy handler and, under load (the race detector's, in the
	// accuracy test), fail with SQLITE_BUSY after the busy timeout.
	sqliteWrite sync.Mutex

	// PostgreSQL: the merge of appended rollup rows (compact.go).
	compactEvery int64         // beacons stored between two merges
	stored       atomic.Int64  // beacons stored
	compacting   sync.Mutex    // held by this Store's merge
	compactLoops atomic.Int32  // RunCompactions loops running
	compactDue   chan struct{} // to them: a merge is due
}

// Open applies the store's migrations to db and returns a Store over it;
// on PostgreSQL it creates the raw partitions of yesterday to two days
// ahead. The caller keeps ownership of db and closes it.
func Open(ctx context.Context, db *sqldb.DB) (*Store, error) {
	if err := sqldb.Migrate(ctx, db, Migrations()); err != nil {
		return nil, fmt.Errorf("open analytics store: %w", err)
	}
	s := &Store{db: db, partitions: map[int64]bool{}, compactEvery: DefaultCompactEvery, compactDue: make(chan struct{}, 1)}
	if err := s.backfillProjections(ctx); err != nil {
		return nil, fmt.Errorf("open analytics store: %w", err)
	}
	now := time.Now().UTC()
	if err := s.PrepareRaw(ctx, now.Add(-24*time.Hour), now.Add(48*time.Hour)); err != nil {
		return nil, fmt.Errorf("open analytics store: %w", err)
	}
	return s, nil
}

func toDB(t time.Time) int64    { return t.UnixMicro() }
func fromDB(us int64) time.Time { return time.UnixMicro(us).UTC() }

// InsertBeacons implements analytics.Store.
func (s *Store) InsertBeacons(ctx context.Context, beacons []analytics.Ingested) ([]analytics.Ingested, error) {
	beacons = firstOfEach(beacons)
	if len(beacons) == 0 {
		return nil, nil
	}
	if s.db.Dialect() == sqldb.Postgres {
		p, err := s.preparePostgres(beacons)
		if err != nil {
			return nil, err
		}
		return p.Insert(ctx)
	}
	s.sqliteWrite.Lock()
	defer s.sqliteWrite.Unlock()
	return s.insertSQLite(ctx, beacons)
}

// PrepareBeacons implements analytics.Preparer. On PostgreSQL it sorts
// the batch and encodes its rows and appended rollup rows; on SQLite,
// whose inserts read and update rollup rows in the transaction, the
// prepared insert is InsertBeacons itself.
func (s *Store) PrepareBeacons(beacons []analytics.Ingested) (analytics.PreparedInsert, error) {
	beacons = firstOfEach(beacons)
	if len(beacons) == 0 || s.db.Dialect() != sqldb.Postgres {
		return plainInsert{s, beacons}, nil
	}
	return s.preparePostgres(beacons)
}

// plainInsert is a PreparedInsert that is InsertBeacons.
type plainInsert struct {
	s       *Store
	beacons []analytics.Ingested
}

func (p plainInsert) Insert(ctx context.Context) ([]analytics.Ingested, error) {
	return p.s.InsertBeacons(ctx, p.beacons)
}

// beaconKey is a beacon's identity.
type beaconKey struct {
	org, session string
	seq          int64
}

func keyOf(b *analytics.Ingested) beaconKey { return beaconKey{b.OrgID, b.SessionID, b.Sequence} }

// firstOfEach returns the beacons with the first of each key only: bs
// itself when no key is there twice.
func firstOfEach(bs []analytics.Ingested) []analytics.Ingested {
	seen := make(map[beaconKey]bool, len(bs))
	var out []analytics.Ingested
	for i := range bs {
		k := keyOf(&bs[i])
		switch {
		case !seen[k]:
			seen[k] = true
			if out != nil {
				out = append(out, bs[i])
			}
		case out == nil:
			out = append(make([]analytics.Ingested, 0, len(bs)), bs[:i]...)
		}
	}
	if out == nil {
		return bs
	}
	return out
}

// onlyKeys returns the beacons whose keys are in keys, in order.
func onlyKeys(bs []analytics.Ingested, keys map[beaconKey]bool) []analytics.Ingested {
	out := make([]analytics.Ingested, 0, len(keys))
	for i := range bs {
		if keys[keyOf(&bs[i])] {
			out = append(out, bs[i])
		}
	}
	return out
}

// rollupTable returns the table of level l.
func rollupTable(l analytics.Level) string {
	switch l {
	case analytics.LevelMinute:
		return "rollup_minute"
	case analytics.LevelHour:
		return "rollup_hour"
	case analytics.LevelDay:
		return "rollup_day"
	}
	panic(fmt.Sprintf("analyticsstore: unknown level %d", l))
}

// projTable returns the projection table of level l, one of
// analytics.ProjectedLevels.
func projTable(l analytics.Level) string {
	switch l {
	case analytics.LevelHour:
		return "rollup_hour_proj"
	case analytics.LevelDay:
		return "rollup_day_proj"
	}
	panic(fmt.Sprintf("analyticsstore: level %d keeps no projections", l))
}

// dimColumn returns the column of dimension d, in raw and rollup tables.
func dimColumn(d analytics.Dimension) (string, error) {
	switch d {
	case analytics.DimIntegration:
		return "integration_id", nil
	case analytics.DimContent:
		return "content_id", nil
	case analytics.DimStreamType:
		return "stream_type", nil
	case analytics.DimPlatform:
		return "platform", nil
	case analytics.DimCountry:
		return "country", nil
	case analytics.DimISP:
		return "isp", nil
	}
	return "", fmt.Errorf("dimension %q: %w", d, analytics.ErrInvalid)
}

// encodeHist encodes a histogram as unsigned varints.
func encodeHist(h *analytics.Histogram) []byte {
	b := make([]byte, 0, 2*len(h))
	for _, c := range h {
		b = binary.AppendUvarint(b, uint64(c))
	}
	return b
}

// decodeHist adds the histogram encoded in b into h.
func decodeHist(b []byte, h *analytics.Histogram) error {
	for i := range h {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("corrupt startup histogram")
		}
		h[i] += int64(v)
		b = b[n:]
	}
	return nil
}

// encodeSketch encodes sk; a nil sketch (a rollup's error sessions, none)
// as an empty one.
func encodeSketch(sk *hyperloglog.Sketch) ([]byte, error) {
	if sk == nil {
		return emptySketch()
	}
	b, err := sk.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode sketch: %w", err)
	}
	return b, nil
}

// emptySketch is the encoding of an empty sketch, made once; callers
// must not change it.
var emptySketch = sync.OnceValues(func() ([]byte, error) { return analytics.NewSketch().MarshalBinary() })

func decodeSketch(b []byte) (*hyperloglog.Sketch, error) {
	sk := analytics.NewSketch()
	if err := sk.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("decode sketch: %w", err)
	}
	return sk, nil
}

// mergeStored merges a stored rollup row's histogram and sketches into r.
// The sketches of r, a batch's few sessions, are merged into the decoded
// stored ones, which then replace them: a merge goes over the entries of
// the sketch merged in, and the stored sketch is the larger one.
func mergeStored(r *analytics.Rollup, hist, sessions, errSessions []byte) error {
	if err := decodeHist(hist, &r.Startup); err != nil {
		return err
	}
	for _, m := range []struct {
		dst **hyperloglog.Sketch
		src []byte
	}{{&r.Sessions, sessions}, {&r.ErrorSessions, errSessions}} {
		sk, err := decodeSketch(m.src)
		if err != nil {
			return err
		}
		if err := sk.Merge(*m.dst); err != nil {
			return fmt.Errorf("merge sketch: %w", err)
		}
		*m.dst = sk
	}
	return nil
}

var _ analytics.Store = (*Store)(nil)
