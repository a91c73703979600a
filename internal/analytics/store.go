package analytics

import (
	"context"
	"time"

	"github.com/axiomhq/hyperloglog"
)

// Store keeps raw beacons and their rollups. analyticsstore is the SQL
// implementation on SQLite and PostgreSQL; analyticstest is its
// conformance suite.
//
// Every method is scoped by organization. Times are UTC; stores keep
// microseconds.
type Store interface {
	// InsertBeacons stores the beacons whose (OrgID, SessionID, Sequence)
	// is not stored yet, the first of the slice winning when it holds the
	// same key twice, and, in the same transaction, adds exactly the
	// beacons it stored to the rollups of every level. It returns the
	// beacons it stored. So a retry, a duplicate or a batch ingested by
	// two replicas at once changes nothing.
	InsertBeacons(ctx context.Context, beacons []Ingested) ([]Ingested, error)

	// Sums returns the additive figures of the rollups q selects.
	Sums(ctx context.Context, q RollupQuery) ([]SumsRow, error)
	// Sketches returns the merged session sketches (q.ErrorSessions: of
	// the sessions with an error) of the rollups q selects.
	Sketches(ctx context.Context, q RollupQuery) ([]SketchRow, error)
	// CountSessions counts distinct sessions exactly, from the raw
	// beacons.
	CountSessions(ctx context.Context, q SessionsQuery) ([]CountRow, error)

	// PrepareRaw makes the raw storage ready for beacons with event times
	// in [from, to): on PostgreSQL it creates the daily partitions ahead
	// (InsertBeacons also creates a missing one on demand).
	PrepareRaw(ctx context.Context, from, to time.Time) error
	// DropRawBefore removes raw beacons older than t: on PostgreSQL the
	// daily partitions that end at or before t, whole; on SQLite rows, in
	// bounded chunks. Rollups are kept.
	DropRawBefore(ctx context.Context, t time.Time) error
	// DropMinuteRollupsBefore removes the minute rollups of buckets that
	// start before t, in bounded chunks so that ingestion never waits
	// long. Hour and day rollups are kept.
	DropMinuteRollupsBefore(ctx context.Context, t time.Time) error
}

// Preparer is a Store whose inserts come in two parts: PrepareBeacons
// does the work of InsertBeacons that needs no database (sorting, rollup
// rows, encoding), and the result's Insert writes it. GroupCommit
// prepares a group while the one before it is written.
type Preparer interface {
	PrepareBeacons(beacons []Ingested) (PreparedInsert, error)
}

// PreparedInsert is an insert of beacons made ready by a Preparer. Insert
// writes it exactly as InsertBeacons would have written those beacons,
// and returns what InsertBeacons would have; it is called once.
type PreparedInsert interface {
	Insert(ctx context.Context) ([]Ingested, error)
}

// Range is a span of time [From, To).
type Range struct{ From, To time.Time }

// RollupQuery selects rollup rows of one level and organization.
type RollupQuery struct {
	OrgID string
	Level Level
	// Projection, when not zero, reads that projection's rows (a level of
	// ProjectedLevels only); it must keep every dimension of Filters and
	// GroupBy. Zero reads the full rollups.
	Projection Projection
	// Ranges are disjoint spans aligned to Level's buckets; a row is
	// selected when its bucket starts in one of them.
	Ranges  []Range
	Filters []Filter
	// GroupBy, when set, gives a result row per value of the dimension.
	GroupBy Dimension
	// ByBucket gives a result row per bucket.
	ByBucket bool
	// Histogram asks Sums for the startup histogram too.
	Histogram bool
	// ErrorSessions asks Sketches for the sketch of sessions with an
	// error instead of all sessions.
	ErrorSessions bool
}

// SumsRow is one row of Sums: Bucket is zero unless ByBucket, Key is ""
// unless GroupBy. Startup is filled only when Histogram was asked for.
type SumsRow struct {
	Bucket  time.Time
	Key     string
	Sums    Sums
	Startup Histogram
}

// SketchRow is one row of Sketches, keyed as SumsRow.
type SketchRow struct {
	Bucket time.Time
	Key    string
	Sketch *hyperloglog.Sketch
}

// SessionsQuery counts the distinct sessions of an organization's raw
// beacons in buckets of event time.
type SessionsQuery struct {
	OrgID string
	// Edges are the buckets' boundaries: bucket i is [Edges[i],
	// Edges[i+1]). Used when Width is zero.
	Edges []time.Time
	// Width, when positive, makes the buckets [From+i·Width,
	// From+(i+1)·Width) up to To instead.
	Width    time.Duration
	From, To time.Time
	Filters  []Filter
	GroupBy  Dimension
	// ErrorsOnly counts only sessions with a beacon with an error code in
	// the bucket.
	ErrorsOnly bool
}

// CountRow is one row of CountSessions: the bucket's index, the key
// ("" unless GroupBy) and the distinct sessions.
type CountRow struct {
	Bucket int
	Key    string
	Count  int64
}
