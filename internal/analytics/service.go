package analytics

import (
	"log/slog"
	"time"
)

// Defaults of a Service.
const (
	// DefaultRawRetention is how long raw beacons are kept: viewers and
	// concurrency are exact within it, estimated from sketches beyond.
	DefaultRawRetention = 7 * 24 * time.Hour
	// DefaultMaxBatch is the most beacons one batch may hold.
	DefaultMaxBatch = 1000
	// DefaultMinuteRetention is how long minute rollups are kept: the
	// concurrent viewers of a timeframe beyond the raw retention, and the
	// day edges of time zones offset by half or quarter hours, need them.
	// It covers MaxConcurrencySpan.
	DefaultMinuteRetention = 35 * 24 * time.Hour
)

// Service ingests beacons and answers metric queries. Ingest checks the
// delivery key, the origin and every beacon, and stores the good ones
// idempotently; the queries check that the caller may read the
// organization and read each figure from the source that answers it
// exactly (docs/metrics.md). It is safe for concurrent use.
type Service struct {
	store        Store
	resolver     KeyResolver
	now          func() time.Time
	window       Window
	rawRetention time.Duration
	minRetention time.Duration
	maxBatch     int
	logger       *slog.Logger
	onRefused    func(reason string, n int)
	caps         *capGuard
}

// Option configures a Service.
type Option func(*Service)

// WithClock makes the Service read the time from now instead of time.Now.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLateWindow sets how old an event time may be (DefaultLateWindow
// when d is not positive). It is cut to the raw retention less an hour
// when longer, so a late beacon never lands in dropped raw storage.
func WithLateWindow(d time.Duration) Option { return func(s *Service) { s.window.Late = d } }

// WithClockSkew sets how far ahead of the clock an event time may be
// (DefaultClockSkew when d is not positive).
func WithClockSkew(d time.Duration) Option { return func(s *Service) { s.window.ClockSkew = d } }

// WithRawRetention sets how long raw beacons are kept (DefaultRawRetention
// when d is not positive): a query whose timeframe starts earlier than
// now minus d counts viewers from sketches. The job that calls
// Store.DropRawBefore must use the same value (Service.RawHorizon).
func WithRawRetention(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.rawRetention = d
		}
	}
}

// WithMinuteRetention sets how long minute rollups are kept
// (DefaultMinuteRetention when d is not positive; never less than the raw
// retention): a query that needs them older is refused with a clear
// message. The job that calls Store.DropMinuteRollupsBefore must use the
// same value (Service.MinuteHorizon).
func WithMinuteRetention(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.minRetention = d
		}
	}
}

// WithMaxBatch sets the most beacons a batch may hold (DefaultMaxBatch
// when n is not positive).
func WithMaxBatch(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.maxBatch = n
		}
	}
}

// WithLogger sets where the Service logs. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.logger = l } }

// WithRefusalCounter makes the Service call count with each refusal
// reason and the number of beacons refused for it, once per batch (for a
// metric of refused beacons; too-late ones are what the late window
// costs).
func WithRefusalCounter(count func(reason string, n int)) Option {
	return func(s *Service) { s.onRefused = count }
}

// NewService returns a Service over store that resolves delivery keys
// with resolver.
func NewService(store Store, resolver KeyResolver, opts ...Option) *Service {
	s := &Service{store: store, resolver: resolver, now: time.Now, rawRetention: DefaultRawRetention,
		minRetention: DefaultMinuteRetention, maxBatch: DefaultMaxBatch, logger: slog.Default(), onRefused: func(string, int) {}}
	for _, o := range opts {
		o(s)
	}
	s.window = s.window.withDefaults()
	s.minRetention = max(s.minRetention, s.rawRetention)
	if limit := s.rawRetention - time.Hour; s.window.Late > limit && limit > 0 {
		s.window.Late = limit
	}
	return s
}

// Window returns the event-time window the Service accepts beacons in.
func (s *Service) Window() Window { return s.window }

// RawHorizon returns the oldest event time whose raw beacons the Service
// relies on: now minus the raw retention.
func (s *Service) RawHorizon() time.Time { return s.now().Add(-s.rawRetention) }

// MinuteHorizon returns the oldest bucket whose minute rollups the
// Service relies on: now minus the minute retention, to the minute.
func (s *Service) MinuteHorizon() time.Time {
	return LevelMinute.Bucket(s.now().Add(-s.minRetention)).Add(time.Minute)
}
