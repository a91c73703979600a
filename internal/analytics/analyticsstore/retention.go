package analyticsstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portico-gw/portico/internal/platform/sqldb"
)

// rawDeleteChunk is how many raw beacons one SQLite retention statement
// deletes: small enough that ingestion waits milliseconds for the write
// lock, not seconds.
const rawDeleteChunk = 5000

const day = 24 * time.Hour

// dayNumber returns the UTC day of t, counted from the Unix epoch.
func dayNumber(t time.Time) int64 { return t.UTC().Truncate(day).Unix() / 86400 }

// partitionName returns the name of day d's raw partition,
// beacons_pYYYYMMDD.
func partitionName(d int64) string {
	return "beacons_p" + time.Unix(d*86400, 0).UTC().Format("20060102")
}

// PrepareRaw implements analytics.Store: on PostgreSQL it creates the
// daily partitions of [from, to) that do not exist; on SQLite it does
// nothing.
func (s *Store) PrepareRaw(ctx context.Context, from, to time.Time) error {
	if s.db.Dialect() != sqldb.Postgres {
		return nil
	}
	for d := dayNumber(from); d <= dayNumber(to.Add(-time.Microsecond)); d++ {
		if err := s.ensurePartition(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// ensurePartition creates day d's partition unless this Store knows it
// exists. Replicas may race to create it: IF NOT EXISTS covers the
// common case, and a creation that loses the race in the catalog is
// taken for success once the partition is there.
func (s *Store) ensurePartition(ctx context.Context, d int64) error {
	s.mu.Lock()
	known := s.partitions[d]
	s.mu.Unlock()
	if known {
		return nil
	}
	name := partitionName(d)
	lo, hi := d*86400*1_000_000, (d+1)*86400*1_000_000
	_, err := s.db.ExecContext(ctx, fmt.Sprintf(
		"CREATE TABLE IF NOT EXISTS %s PARTITION OF beacons FOR VALUES FROM (%d) TO (%d)", name, lo, hi))
	if err != nil {
		var exists bool
		if e, ok := errors.AsType[*pgconn.PgError](err); ok && (e.Code == "42P07" || e.Code == "23505") {
			qerr := s.db.QueryRowContext(ctx, "SELECT to_regclass($1) IS NOT NULL", name).Scan(&exists)
			err = errors.Join(err, qerr)
		}
		if !exists {
			return fmt.Errorf("create raw partition %s: %w", name, err)
		}
	}
	s.mu.Lock()
	s.partitions[d] = true
	s.mu.Unlock()
	return nil
}

// DropRawBefore implements analytics.Store. On PostgreSQL it drops every
// raw partition whose day ends at or before t (a partition holding beacons
// at or after t is kept whole, so up to a day more is kept than asked);
// on SQLite, which has no partitions, it deletes the rows older than t in
// chunks of rawDeleteChunk, each in its own transaction.
func (s *Store) DropRawBefore(ctx context.Context, t time.Time) error {
	if err := s.dropSessionHoursBefore(ctx, t); err != nil {
		return err
	}
	if s.db.Dialect() == sqldb.Postgres {
		return s.dropPartitionsBefore(ctx, t)
	}
	if err := s.deleteInChunks(ctx, `DELETE FROM beacons WHERE rowid IN
		(SELECT rowid FROM beacons WHERE t < $1 LIMIT $2)`, toDB(t), rawDeleteChunk); err != nil {
		return fmt.Errorf("delete old beacons: %w", err)
	}
	return nil
}

// deleteInChunks runs stmt, a DELETE of at most $2 = chunk rows selected
// by $1 = arg, until it deletes fewer than chunk: each run is its own
// short statement, so writers never wait long.
func (s *Store) deleteInChunks(ctx context.Context, stmt string, arg int64, chunk int) error {
	for {
		res, err := s.db.ExecContext(ctx, stmt, arg, chunk)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n < int64(chunk) {
			return nil
		}
	}
}

// minuteDeleteChunk is how many minute rollup rows one retention
// statement deletes.
const minuteDeleteChunk = 5000

// DropMinuteRollupsBefore implements analytics.Store: rows are deleted in
// chunks of minuteDeleteChunk, each its own statement, found on
// PostgreSQL through the BRIN index on bucket (migration 0004).
func (s *Store) DropMinuteRollupsBefore(ctx context.Context, t time.Time) error {
	stmt := `DELETE FROM rollup_minute WHERE rowid IN (SELECT rowid FROM rollup_minute WHERE bucket < $1 LIMIT $2)`
	if s.db.Dialect() == sqldb.Postgres {
		stmt = `DELETE FROM rollup_minute WHERE ctid = ANY (ARRAY(SELECT ctid FROM rollup_minute WHERE bucket < $1 LIMIT $2))`
	}
	if err := s.deleteInChunks(ctx, stmt, toDB(t), minuteDeleteChunk); err != nil {
		return fmt.Errorf("delete old minute rollups: %w", err)
	}
	return nil
}

func (s *Store) dropPartitionsBefore(ctx context.Context, t time.Time) error {
	rows, err := s.db.QueryContext(ctx, `SELECT c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = to_regclass('beacons')`)
	if err != nil {
		return fmt.Errorf("list raw partitions: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return fmt.Errorf("list raw partitions: %w", err)
		}
		names = append(names, n)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("list raw partitions: %w", err)
	}
	slices.Sort(names)
	dropped := false
	for _, n := range names {
		date, ok := strings.CutPrefix(n, "beacons_p")
		d, err := time.Parse("20060102", date)
		if !ok || err != nil || d.Add(day).After(t) {
			continue
		}
		if _, err := s.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+n); err != nil {
			return fmt.Errorf("drop raw partition %s: %w", n, err)
		}
		s.mu.Lock()
		delete(s.partitions, dayNumber(d))
		s.mu.Unlock()
		dropped = true
	}
	if !dropped {
		return nil
	}
	// The keys of the dropped days go too, so that a beacon of those days
	// is new again, as it is on SQLite. A failure here leaves keys that
	// the next drop deletes.
	if _, err := s.db.ExecContext(ctx, "DELETE FROM beacon_keys WHERE day < $1", dayNumber(t)); err != nil {
		return fmt.Errorf("delete keys of dropped raw partitions: %w", err)
	}
	return nil
}
