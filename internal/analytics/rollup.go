package analytics

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/axiomhq/hyperloglog"
	metro "github.com/dgryski/go-metro"
)

// Level is a rollup level: the width of its buckets, which start at UTC
// minute, hour and day boundaries.
type Level int

// The rollup levels, finest first.
const (
	LevelMinute Level = iota + 1
	LevelHour
	LevelDay
)

// Levels lists the rollup levels, finest first.
var Levels = []Level{LevelMinute, LevelHour, LevelDay}

// Width returns the duration of a bucket of l.
func (l Level) Width() time.Duration {
	switch l {
	case LevelMinute:
		return time.Minute
	case LevelHour:
		return time.Hour
	case LevelDay:
		return 24 * time.Hour
	}
	return 0
}

// String returns "minute", "hour" or "day".
func (l Level) String() string {
	switch l {
	case LevelMinute:
		return "minute"
	case LevelHour:
		return "hour"
	case LevelDay:
		return "day"
	}
	return "level(?)"
}

// Bucket returns the start of the bucket of l that holds t, in UTC.
func (l Level) Bucket(t time.Time) time.Time { return t.UTC().Truncate(l.Width()) }

// Aligned reports whether t is the start of a bucket of l.
func (l Level) Aligned(t time.Time) bool { return l.Bucket(t).Equal(t) }

// RollupKey identifies one rollup row: an organization's bucket and one
// value of every dimension, or of every dimension its projection keeps
// (the others are empty).
type RollupKey struct {
	OrgID         string
	Projection    Projection
	Bucket        time.Time
	IntegrationID string
	ContentID     string
	StreamType    StreamType
	Platform      Platform
	Country       string
	ISP           string
}

// Value returns the key's value of dimension d.
func (k *RollupKey) Value(d Dimension) string {
	switch d {
	case DimIntegration:
		return k.IntegrationID
	case DimContent:
		return k.ContentID
	case DimStreamType:
		return string(k.StreamType)
	case DimPlatform:
		return string(k.Platform)
	case DimCountry:
		return k.Country
	case DimISP:
		return k.ISP
	}
	return ""
}

// Compare orders keys by organization, projection, bucket, then the
// dimensions in Dimensions order: the order stores write rollup rows in,
// so that concurrent writers lock them in one order.
func (k *RollupKey) Compare(o *RollupKey) int {
	return cmp.Or(
		cmp.Compare(k.OrgID, o.OrgID),
		cmp.Compare(k.Projection, o.Projection),
		k.Bucket.Compare(o.Bucket),
		cmp.Compare(k.IntegrationID, o.IntegrationID),
		cmp.Compare(k.ContentID, o.ContentID),
		cmp.Compare(k.StreamType, o.StreamType),
		cmp.Compare(k.Platform, o.Platform),
		cmp.Compare(k.Country, o.Country),
		cmp.Compare(k.ISP, o.ISP),
	)
}

// Sums are the additive figures of a set of beacons: a rollup row's, or
// any query's.
type Sums struct {
	Beacons     int64
	CDNBytes    int64
	P2PBytes    int64
	UploadBytes int64
	PlayedMS    int64
	BufferedMS  int64
	// Startups counts beacons that reported a startup time; StartupMSSum
	// adds those times.
	Startups     int64
	StartupMSSum int64
	// ErrorBeacons counts beacons with an error code.
	ErrorBeacons int64
}

// Add adds o into s.
func (s *Sums) Add(o *Sums) {
	s.Beacons += o.Beacons
	s.CDNBytes += o.CDNBytes
	s.P2PBytes += o.P2PBytes
	s.UploadBytes += o.UploadBytes
	s.PlayedMS += o.PlayedMS
	s.BufferedMS += o.BufferedMS
	s.Startups += o.Startups
	s.StartupMSSum += o.StartupMSSum
	s.ErrorBeacons += o.ErrorBeacons
}

// AddBeacon adds one beacon into s.
func (s *Sums) AddBeacon(b *Beacon) {
	s.Beacons++
	s.CDNBytes += b.CDNBytes
	s.P2PBytes += b.P2PBytes
	s.UploadBytes += b.UploadBytes
	s.PlayedMS += b.PlayedMS
	s.BufferedMS += b.BufferedMS
	if b.StartupMS >= 0 {
		s.Startups++
		s.StartupMSSum += b.StartupMS
	}
	if b.ErrorCode != "" {
		s.ErrorBeacons++
	}
}

// Rollup is the content of one rollup row, or what a batch of beacons
// adds to it: the sums, the startup histogram, and HyperLogLog sketches
// of the sessions and of the sessions with an error. The second is nil
// while empty: most rows have no error, and a sketch costs allocations
// to make and to encode.
type Rollup struct {
	Key           RollupKey
	Sums          Sums
	Startup       Histogram
	Sessions      *hyperloglog.Sketch
	ErrorSessions *hyperloglog.Sketch // nil when no beacon had an error
}

// NewSketch returns an empty sketch as rollups keep them: axiomhq's
// HyperLogLog at precision 14 (16384 registers, standard error
// 1.04/sqrt(16384), about 0.81 %), sparse while small.
func NewSketch() *hyperloglog.Sketch { return hyperloglog.New14() }

// SketchStdError is the relative standard error of NewSketch's estimates.
const SketchStdError = 1.04 / 128

// Rollups returns what beacons add to the full rollup rows of level l,
// one Rollup per key, sorted by key.
func Rollups(l Level, beacons []Ingested) []Rollup {
	// The keys first, and each beacon's; then the rows, made once in key
	// order: sorting and growing rows of 700 bytes cost more than this.
	idx := make(map[RollupKey]int32)
	var keys []RollupKey
	of := make([]int32, len(beacons))
	for i := range beacons {
		b := &beacons[i]
		k := RollupKey{OrgID: b.OrgID, Bucket: l.Bucket(b.Time), IntegrationID: b.IntegrationID,
			ContentID: b.ContentID, StreamType: b.StreamType, Platform: b.Platform, Country: b.Country, ISP: b.ISP}
		j, ok := idx[k]
		if !ok {
			j = int32(len(keys))
			idx[k] = j
			keys = append(keys, k)
		}
		of[i] = j
	}
	order := make([]int32, len(keys))
	for j := range order {
		order[j] = int32(j)
	}
	slices.SortFunc(order, func(a, b int32) int { return keys[a].Compare(&keys[b]) })
	rank := make([]int32, len(keys))
	out := make([]Rollup, len(keys))
	for r, j := range order {
		rank[j] = int32(r)
		out[r] = Rollup{Key: keys[j], Sessions: NewSketch()}
	}
	for i := range beacons {
		b := &beacons[i]
		r := &out[rank[of[i]]]
		r.Sums.AddBeacon(&b.Beacon)
		if b.StartupMS >= 0 {
			r.Startup[StartupBucket(b.StartupMS)]++
		}
		h := sessionHash(b.SessionID)
		r.Sessions.InsertHash(h)
		if b.ErrorCode != "" {
			if r.ErrorSessions == nil {
				r.ErrorSessions = NewSketch()
			}
			r.ErrorSessions.InsertHash(h)
		}
	}
	return out
}

// ProjectedRollups returns what beacons add to the rows of every
// projection of level l (see Projection), one Rollup per key, sorted by
// key. Only ProjectedLevels keep projections.
func ProjectedRollups(l Level, beacons []Ingested) ([]Rollup, error) {
	return Project(Rollups(l, beacons))
}

// Project returns the rows of every projection that the full rollup
// rows add up to, sorted by key: each is the merge of the full rows it
// stands for. Merging the few rows of a batch costs less than going over
// its beacons once per projection.
func Project(full []Rollup) ([]Rollup, error) {
	idx := make(map[RollupKey]int)
	var out []Rollup
	for _, p := range Projections() {
		for i := range full {
			f := &full[i]
			k := p.Project(f.Key)
			j, ok := idx[k]
			if !ok {
				j = len(out)
				idx[k] = j
				out = append(out, Rollup{Key: k, Sessions: NewSketch()})
			}
			r := &out[j]
			r.Sums.Add(&f.Sums)
			r.Startup.Add(&f.Startup)
			if err := r.Sessions.Merge(f.Sessions); err != nil {
				return nil, fmt.Errorf("project rollups: %w", err)
			}
			if f.ErrorSessions != nil {
				if r.ErrorSessions == nil {
					r.ErrorSessions = NewSketch()
				}
				if err := r.ErrorSessions.Merge(f.ErrorSessions); err != nil {
					return nil, fmt.Errorf("project rollups: %w", err)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Rollup) int { return a.Key.Compare(&b.Key) })
	return out, nil
}

// sessionHash is the hash a sketch's Insert takes of a session id
// (metro64 with seed 1337, as axiomhq/hyperloglog hashes), computed once
// for the several sketches a beacon goes into. TestSessionHash holds it to
// Insert's, since stored sketches merge only with sketches of the same
// hash.
func sessionHash(id string) uint64 { return metro.Hash64Str(id, 1337) }
