package simulate

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// Defaults of Options.
const (
	// DefaultPeakViewers is the concurrent viewers of a day's busiest
	// minute, live event aside.
	DefaultPeakViewers = 200
	// DefaultHeartbeat is how often a player reports.
	DefaultHeartbeat = 30 * time.Second
	// DefaultBatchSize is how many beacons a player sends at most in one
	// batch.
	DefaultBatchSize = 20
	// DefaultMaxBeacons bounds the beacons of one simulation.
	DefaultMaxBeacons = 2_000_000
	// MaxRange is the longest time range a simulation covers: the
	// service's raw retention, beyond which nothing would be kept.
	MaxRange = analytics.DefaultRawRetention
)

// Options describe the traffic to make. Start, End and Integrations are
// required; the zero value of every other field is its default.
type Options struct {
	// Seed chooses the traffic: same Options, same batches.
	Seed int64
	// Start and End bound the event times of the beacons: Start
	// inclusive, End exclusive, at most MaxRange apart. Sessions that
	// started before Start (up to maxSession) contribute their later
	// beacons, so the audience is already there at Start; sessions still
	// playing at End are cut there.
	Start, End time.Time
	// Integrations are where the viewers watch: at least one.
	Integrations []Target
	// PeakViewers is about the concurrent viewers, all integrations
	// together, of a day's busiest minute without the live event;
	// DefaultPeakViewers when zero.
	PeakViewers int
	// LiveEvent adds a live event's viewers; nil for none.
	LiveEvent *LiveEvent
	// Heartbeat is how often a player sends a beacon; DefaultHeartbeat
	// when zero. At least a second.
	Heartbeat time.Duration
	// BatchSize is the most beacons of one batch (one session's
	// consecutive beacons); DefaultBatchSize when zero, at most
	// analytics.DefaultMaxBatchBeacons.
	BatchSize int
	// MaxBeacons bounds the beacons made: the audience is scaled down so
	// that the expected number fits, and generation stops there in any
	// case. DefaultMaxBeacons when zero.
	MaxBeacons int
}

// Target is an integration viewers watch through.
type Target struct {
	// Key is the integration's delivery key.
	Key string
	// Origin is the page players post from: one of the integration's
	// allowed domains, such as "https://www.acme.example".
	Origin string
	// BundleID, when set, is the app id the android, ios and tv players
	// send instead of an Origin; "" makes every player send Origin.
	BundleID string
	// Weight is the integration's share of the audience relative to the
	// others; 1 when zero.
	Weight float64
}

// LiveEvent is a live broadcast that draws a crowd on one integration.
type LiveEvent struct {
	// Start is when the broadcast begins; Duration how long it lasts.
	Start    time.Time
	Duration time.Duration
	// Viewers is the concurrent viewers at its height, on top of the
	// everyday audience (scaled with it when MaxBeacons cuts).
	Viewers int
	// ContentID is the event's content id; "live/event" when "".
	ContentID string
	// Integration is the index in Options.Integrations of the
	// integration that broadcasts it.
	Integration int
}

// validate fills in the defaults of o and checks it.
func (o Options) validate() (Options, error) {
	switch {
	case o.Start.IsZero() || o.End.IsZero():
		return o, errors.New("simulate: Start and End are required")
	case !o.End.After(o.Start):
		return o, errors.New("simulate: End must be after Start")
	case o.End.Sub(o.Start) > MaxRange:
		return o, fmt.Errorf("simulate: the range may cover at most %s", MaxRange)
	case len(o.Integrations) == 0:
		return o, errors.New("simulate: at least one integration is required")
	case o.PeakViewers < 0 || o.MaxBeacons < 0 || o.BatchSize < 0 || o.Heartbeat < 0:
		return o, errors.New("simulate: negative PeakViewers, MaxBeacons, BatchSize or Heartbeat")
	case o.BatchSize > analytics.DefaultMaxBatchBeacons:
		return o, fmt.Errorf("simulate: BatchSize may be at most %d", analytics.DefaultMaxBatchBeacons)
	case o.Heartbeat != 0 && o.Heartbeat < time.Second:
		return o, errors.New("simulate: Heartbeat must be at least a second")
	}
	o.Start, o.End = o.Start.UTC(), o.End.UTC()
	o.Integrations = append([]Target(nil), o.Integrations...)
	for i, t := range o.Integrations {
		switch {
		case t.Key == "":
			return o, fmt.Errorf("simulate: integration %d has no delivery key", i)
		case t.Origin == "":
			return o, fmt.Errorf("simulate: integration %d has no origin (its web players send one)", i)
		case t.Weight < 0 || math.IsNaN(t.Weight) || math.IsInf(t.Weight, 0):
			return o, fmt.Errorf("simulate: integration %d has a bad weight", i)
		case t.Weight == 0:
			o.Integrations[i].Weight = 1
		}
	}
	if o.PeakViewers == 0 {
		o.PeakViewers = DefaultPeakViewers
	}
	if o.Heartbeat == 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.MaxBeacons == 0 {
		o.MaxBeacons = DefaultMaxBeacons
	}
	if e := o.LiveEvent; e != nil {
		switch {
		case e.Duration <= 0 || e.Viewers < 0:
			return o, errors.New("simulate: a live event needs a positive duration and viewers")
		case e.Integration < 0 || e.Integration >= len(o.Integrations):
			return o, errors.New("simulate: the live event's integration is not one of Integrations")
		}
		ev := *e
		ev.Start = ev.Start.UTC()
		if ev.ContentID == "" {
			ev.ContentID = "live/event"
		}
		o.LiveEvent = &ev
	}
	return o, nil
}
