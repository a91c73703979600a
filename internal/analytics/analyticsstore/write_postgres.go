package analyticsstore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/portico-gw/portico/internal/analytics"
)

// insertNew records the keys of a batch in beacon_keys and stores the
// beacons whose keys were new, returning their keys. Parameters $1 to $21
// are arrays of the raw columns, sorted by key, $22 the event days.
//
// The keys are inserted plainly, those already committed left out first:
// INSERT ... ON CONFLICT DO NOTHING, which would also skip the keys of
// concurrent transactions, costs twice as much here (a speculative
// insertion per key), and that insert was most of a batch's time. A key
// another transaction is inserting makes this one wait for it, then fail
// with a unique violation if it committed; the batch is then tried again
// (insertPostgres), and the retry sees the key. Sorted keys make such
// waits deadlock-free.
var insertNew = `WITH new AS (
	INSERT INTO beacon_keys (org_id, session_id, sequence, day)
	SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $22::integer[]) AS k(org_id, session_id, sequence, day)
	WHERE NOT EXISTS (SELECT 1 FROM beacon_keys b
		WHERE b.org_id = k.org_id AND b.session_id = k.session_id AND b.sequence = k.sequence)
	RETURNING org_id, session_id, sequence)
INSERT INTO beacons (` + strings.Join(rawColumns, ", ") + `)
SELECT u.* FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[],
	$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[], $15::bigint[],
	$16::bigint[], $17::bigint[], $18::bigint[], $19::bigint[], $20::text[], $21::bigint[])
	AS u(` + strings.Join(rawColumns, ", ") + `)
WHERE (u.org_id COLLATE "C", u.session_id COLLATE "C", u.sequence) IN (SELECT * FROM new)
RETURNING org_id, session_id, sequence`

// raceRetries is how many times a batch is tried when it raced another
// transaction: a unique violation on a key the other committed first
// (see insertNew), or a deadlock (the session hours of batches that
// share sessions). Each retry sees what
// the winner committed, so one retry per concurrent writer of the same
// beacons is enough.
const raceRetries = 8

// retryable reports whether err is a lost race that a new transaction
// resolves.
func retryable(err error) bool {
	e, ok := errors.AsType[*pgconn.PgError](err)
	return ok && (e.Code == "23505" && e.TableName == "beacon_keys" || e.Code == "40P01")
}

// pgInsert is an insert prepared for PostgreSQL (Store.PrepareBeacons):
// the batch sorted, the COPY data of its keys, raw rows and appended
// rollup rows encoded, the session hours and pending buckets gathered, so
// that the transaction only sends them. That is the optimistic first try
// (insertAllNew); a batch holding beacons stored before is done carefully
// in the transaction, as before.
type pgInsert struct {
	s       *Store
	beacons []analytics.Ingested // the batch, the first of each key, in the caller's order
	sorted  []analytics.Ingested // the same, by key
	days    []int64              // of their event times
	keys    *copyData
	raw     *copyData
	rollups []tableCopy
	hours   []any // upsertSessionHoursPG's parameters
	pending []any // appendPending's
}

// tableCopy is the COPY of one rollup table's appended rows.
type tableCopy struct {
	sql  string
	data *copyData
}

func (s *Store) preparePostgres(beacons []analytics.Ingested) (*pgInsert, error) {
	p := &pgInsert{s: s, beacons: beacons}
	seen := map[int64]bool{}
	for i := range beacons {
		if d := dayNumber(beacons[i].Time); !seen[d] {
			seen[d] = true
			p.days = append(p.days, d)
		}
	}
	// Sorted through their indexes: swapping beacons themselves, some 400
	// bytes each, cost the writer about a microsecond per beacon.
	order := make([]int32, len(beacons))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(i, j int32) int {
		x, y := &beacons[i], &beacons[j]
		return cmp.Or(strings.Compare(x.OrgID, y.OrgID), strings.Compare(x.SessionID, y.SessionID),
			cmp.Compare(x.Sequence, y.Sequence))
	})
	p.sorted = make([]analytics.Ingested, len(beacons))
	for i, j := range order {
		p.sorted[i] = beacons[j]
	}
	writes, err := rollupWrites(p.sorted)
	if err != nil {
		return nil, err
	}
	p.keys = newCopy()
	keyRows(p.keys, p.sorted)
	p.keys.end()
	p.raw = newCopy()
	rawRows(p.raw, p.sorted)
	p.raw.end()
	for _, w := range writes {
		if len(w.rollups) == 0 {
			continue
		}
		c := newCopy()
		if err := rollupCopy(c, w.rollups, w.table.proj); err != nil {
			c.free()
			p.release()
			return nil, err
		}
		c.end()
		p.rollups = append(p.rollups, tableCopy{sql: w.table.copyRows, data: c})
	}
	p.hours = sessionHourArrays(sessionHoursOf(p.sorted))
	tbls, orgs, buckets := pendingOf(writes)
	p.pending = []any{tbls, orgs, buckets}
	return p, nil
}

// release hands the COPY buffers back to their pool.
func (p *pgInsert) release() {
	for _, c := range []*copyData{p.keys, p.raw} {
		c.free()
	}
	for _, t := range p.rollups {
		t.data.free()
	}
	p.keys, p.raw, p.rollups = nil, nil, nil
}

// Insert implements analytics.PreparedInsert.
func (p *pgInsert) Insert(ctx context.Context) ([]analytics.Ingested, error) {
	defer p.release()
	s := p.s
	for _, d := range p.days {
		if err := s.ensurePartition(ctx, d); err != nil {
			return nil, err
		}
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("insert beacons: %w", err)
	}
	defer conn.Close()
	var stored []analytics.Ingested
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		careful := false
		for try := 1; ; try++ {
			err := pgx.BeginFunc(ctx, pc, func(tx pgx.Tx) error {
				if careful {
					var err error
					stored, err = insertBatch(ctx, tx, p.sorted, true)
					return err
				}
				stored = p.sorted
				return p.insertAllNew(ctx, tx)
			})
			if errors.Is(err, errStoredBefore) && !careful {
				careful = true // rolled back whole: nothing was counted
				try--
				continue
			}
			if try < raceRetries && retryable(err) {
				continue
			}
			return err
		}
	})
	if err != nil {
		return nil, err
	}
	s.maybeCompact(ctx, len(stored))
	if len(stored) == len(p.beacons) {
		return p.beacons, nil
	}
	// The stored beacons, in the caller's order.
	keys := make(map[beaconKey]bool, len(stored))
	for i := range stored {
		keys[keyOf(&stored[i])] = true
	}
	return onlyKeys(p.beacons, keys), nil
}

// insertAllNew stores beacons that are all new, with COPY: their keys,
// then their raw rows, then what they add to each rollup table, then
// their session hours and the buckets appended to (see writeRollups). A
// key stored before fails the key COPY with a unique violation on
// beacon_keys, returned as errStoredBefore; so does a key a concurrent
// transaction committed first, after waiting for it. Either way the
// caller rolls back and does the batch carefully, which sees that key.
func (p *pgInsert) insertAllNew(ctx context.Context, tx pgx.Tx) error {
	if err := p.keys.send(ctx, tx, copyKeys); err != nil {
		if e, ok := errors.AsType[*pgconn.PgError](err); ok && e.Code == "23505" && e.TableName == "beacon_keys" {
			return errStoredBefore
		}
		return fmt.Errorf("insert beacon keys: %w", err)
	}
	if err := p.raw.send(ctx, tx, copyRaw); err != nil {
		return fmt.Errorf("insert beacons: %w", err)
	}
	for _, t := range p.rollups {
		if err := t.data.send(ctx, tx, t.sql); err != nil {
			return fmt.Errorf("write rollups: %w", err)
		}
	}
	batch := &pgx.Batch{}
	batch.Queue(upsertSessionHoursPG, p.hours...)
	batch.Queue(appendPending, p.pending...)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("write rollups: %w", err)
	}
	return nil
}

// errStoredBefore aborts an optimistic batch (insertBatch) that holds
// beacons stored before: its rollup rows were queued with them.
var errStoredBefore = errors.New("the batch holds beacons stored before")

// insertBatch stores the beacons (sorted by key, each key once) that are
// new and, in the same transaction, appends what they add to every
// rollup table as rows of their own (see migration 0007): no rollup row
// is locked, read or rewritten, and a cell's rows are merged later by
// CompactRollups. The first try bets that the whole batch is new
// (insertAllNew). A batch holding beacons stored before is rolled back
// (errStoredBefore) and done carefully: insertNew stores the keys and raw
// rows of the new beacons only, then the rollups are written for those.
func insertBatch(ctx context.Context, tx pgx.Tx, beacons []analytics.Ingested, careful bool) ([]analytics.Ingested, error) {
	rows, err := tx.Query(ctx, insertNew, rawArrays(beacons)...)
	if err != nil {
		return nil, fmt.Errorf("insert beacons: %w", err)
	}
	keys := make(map[beaconKey]bool, len(beacons))
	var k beaconKey
	if _, err := pgx.ForEachRow(rows, []any{&k.org, &k.session, &k.seq}, func() error {
		keys[k] = true
		return nil
	}); err != nil {
		return nil, fmt.Errorf("insert beacons: %w", err)
	}
	stored := beacons
	if len(keys) < len(beacons) {
		stored = onlyKeys(beacons, keys)
		if len(stored) == 0 {
			return nil, nil
		}
	}
	return stored, writeRollups(ctx, tx, stored)
}

// writeRollups appends what beacons add to each rollup table, with COPY,
// then adds them to session_hours and lists the buckets appended to in
// rollup_pending.
func writeRollups(ctx context.Context, tx pgx.Tx, beacons []analytics.Ingested) error {
	writes, err := rollupWrites(beacons)
	if err != nil {
		return err
	}
	for _, w := range writes {
		if len(w.rollups) == 0 {
			continue
		}
		if err := copyIn(ctx, tx, w.table.copyRows, func(c *copyData) error {
			return rollupCopy(c, w.rollups, w.table.proj)
		}); err != nil {
			return fmt.Errorf("write rollups: %w", err)
		}
	}
	batch := &pgx.Batch{}
	batch.Queue(upsertSessionHoursPG, sessionHourArrays(sessionHoursOf(beacons))...)
	tbls, orgs, buckets := pendingOf(writes)
	batch.Queue(appendPending, tbls, orgs, buckets)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("write rollups: %w", err)
	}
	return nil
}

// The COPY statements of insertAllNew, whose rows keyRows and rawRows
// write in PostgreSQL's binary COPY format.
var (
	copyKeys = "COPY beacon_keys (org_id, session_id, sequence, day) FROM STDIN BINARY"
	copyRaw  = "COPY beacons (" + strings.Join(rawColumns, ", ") + ") FROM STDIN BINARY"
)

// keyRows writes the beacon_keys rows of beacons.
func keyRows(c *copyData, beacons []analytics.Ingested) {
	for i := range beacons {
		b := &beacons[i]
		c.row(4)
		c.text(b.OrgID)
		c.text(b.SessionID)
		c.int64(b.Sequence)
		c.int32(int32(dayNumber(b.Time)))
	}
}

// rawRows writes the raw rows of beacons, in rawColumns order.
func rawRows(c *copyData, beacons []analytics.Ingested) {
	for i := range beacons {
		b := &beacons[i]
		c.row(len(rawColumns))
		c.text(b.OrgID)
		c.text(b.SessionID)
		c.int64(b.Sequence)
		c.int64(toDB(b.Time))
		for _, v := range [...]string{b.IntegrationID, b.ContentID, string(b.StreamType), string(b.Platform),
			b.Country, b.ISP, b.Player, b.SDKVersion, string(b.Network)} {
			c.text(v)
		}
		for _, v := range [...]int64{b.CDNBytes, b.P2PBytes, b.UploadBytes, b.PlayedMS, b.BufferedMS, b.StartupMS} {
			c.int64(v)
		}
		c.text(b.ErrorCode)
		c.int64(toDB(b.ReceivedAt))
	}
}

// copyData is the body of a COPY ... FROM STDIN BINARY: a header, then
// per row its number of fields and each field as a length and bytes (text
// as is, integers big-endian), then a trailer. pgx's CopyFrom writes the
// same format, but it describes the table first and encodes each value
// through its type map; this writes the few types these tables have
// directly.
type copyData struct{ buf []byte }

// copyBuffers keeps copyIn's buffers, some hundreds of kilobytes for a
// batch of a thousand beacons, from one batch to the next; one grown past
// maxPooledCopy is left to the garbage collector.
var copyBuffers = sync.Pool{New: func() any { return new(copyData) }}

const maxPooledCopy = 4 << 20

// newCopy returns a pooled buffer holding the header of COPY data.
func newCopy() *copyData {
	c := copyBuffers.Get().(*copyData)
	c.buf = append(c.buf[:0], "PGCOPY\n\xff\r\n\x00"...)
	c.buf = binary.BigEndian.AppendUint32(c.buf, 0) // flags
	c.buf = binary.BigEndian.AppendUint32(c.buf, 0) // no header extension
	return c
}

// end writes the trailer, after the last row.
func (c *copyData) end() { c.buf = binary.BigEndian.AppendUint16(c.buf, 0xffff) }

// send runs the binary COPY statement sql with c, ended.
func (c *copyData) send(ctx context.Context, tx pgx.Tx, sql string) error {
	_, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(c.buf), sql)
	return err
}

// free hands c back to the pool, unless it grew past maxPooledCopy.
func (c *copyData) free() {
	if c != nil && cap(c.buf) <= maxPooledCopy {
		copyBuffers.Put(c)
	}
}

// copyIn runs the binary COPY statement sql with the rows write writes.
func copyIn(ctx context.Context, tx pgx.Tx, sql string, write func(c *copyData) error) error {
	c := newCopy()
	defer c.free()
	if err := write(c); err != nil {
		return err
	}
	c.end()
	return c.send(ctx, tx, sql)
}

func (c *copyData) row(fields int) { c.buf = binary.BigEndian.AppendUint16(c.buf, uint16(fields)) }

func (c *copyData) text(v string) {
	c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(len(v)))
	c.buf = append(c.buf, v...)
}

func (c *copyData) int64(v int64) {
	c.buf = binary.BigEndian.AppendUint32(c.buf, 8)
	c.buf = binary.BigEndian.AppendUint64(c.buf, uint64(v))
}

func (c *copyData) int16(v int16) {
	c.buf = binary.BigEndian.AppendUint32(c.buf, 2)
	c.buf = binary.BigEndian.AppendUint16(c.buf, uint16(v))
}

func (c *copyData) bytes(v []byte) {
	c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(len(v)))
	c.buf = append(c.buf, v...)
}

func (c *copyData) int32(v int32) {
	c.buf = binary.BigEndian.AppendUint32(c.buf, 4)
	c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(v))
}

// allOf returns the indexes 0 to n-1.
func allOf(n int) []int {
	is := make([]int, n)
	for i := range is {
		is[i] = i
	}
	return is
}

// rawArrays returns the 22 parameters of insertNew for beacons.
func rawArrays(beacons []analytics.Ingested) []any {
	n := len(beacons)
	var text [12][]string
	var ints [9][]int64
	for c := range text {
		text[c] = make([]string, n)
	}
	for c := range ints {
		ints[c] = make([]int64, n)
	}
	days := make([]int32, n)
	for i := range beacons {
		b := &beacons[i]
		for c, v := range [12]string{b.OrgID, b.SessionID, b.IntegrationID, b.ContentID, string(b.StreamType),
			string(b.Platform), b.Country, b.ISP, b.Player, b.SDKVersion, string(b.Network), b.ErrorCode} {
			text[c][i] = v
		}
		for c, v := range [9]int64{b.Sequence, toDB(b.Time), b.CDNBytes, b.P2PBytes, b.UploadBytes, b.PlayedMS,
			b.BufferedMS, b.StartupMS, toDB(b.ReceivedAt)} {
			ints[c][i] = v
		}
		days[i] = int32(dayNumber(b.Time))
	}
	// In rawColumns order: org, session, sequence, t, nine texts, six
	// numbers, error code, received at; then the days.
	args := []any{text[0], text[1], ints[0], ints[1]}
	for c := 2; c < 11; c++ {
		args = append(args, text[c])
	}
	for c := 2; c < 8; c++ {
		args = append(args, ints[c])
	}
	return append(args, text[11], ints[8], days)
}
