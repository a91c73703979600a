package analyticsnats

import (
	"log/slog"
	"time"
)

// Defaults of Options. Each applies when its field is zero.
const (
	// DefaultStream is the stream's name.
	DefaultStream = "PORTICO_ANALYTICS_BEACONS"
	// DefaultSubjectPrefix is the subjects' prefix: a batch of
	// organization org is published to DefaultSubjectPrefix + "." + org.
	DefaultSubjectPrefix = "portico.analytics.beacons"
	// DefaultDurable is the durable consumer every Writer binds to.
	DefaultDurable = "analytics-writer"
	// DefaultMaxAge is the oldest a batch may wait for a writer. It must
	// exceed the longest writer outage the deployment tolerates: a batch
	// older than it is dropped unwritten.
	DefaultMaxAge = 72 * time.Hour
	// DefaultMaxBytes bounds the stream's storage (1 GiB, about four
	// million beacons). A full stream refuses new batches (DiscardNew),
	// so ingestion fails loudly instead of dropping unwritten ones.
	DefaultMaxBytes = 1 << 30
	// DefaultDuplicateWindow is how long the stream remembers message ids:
	// a publish retried within it is stored once.
	DefaultDuplicateWindow = 2 * time.Minute
	// DefaultReplicas is the stream's replicas: 1 on a single server;
	// use 3 on a cluster.
	DefaultReplicas = 1
	// DefaultPublishAttempts is how many times a batch is published, with
	// the same message id, before Publish gives up.
	DefaultPublishAttempts = 3
	// DefaultAckWait is how long a writer may hold a delivered batch
	// before the stream delivers it again; far above an insert's time.
	DefaultAckWait = 30 * time.Second
	// DefaultMaxDeliver is how many times a batch is delivered before the
	// stream gives up on it. With DefaultNakDelay doubling up to
	// DefaultMaxNakDelay that outlasts about 16 hours of store failures.
	DefaultMaxDeliver = 1000
	// DefaultMaxAckPending bounds the batches delivered and not yet acked,
	// over all writers.
	DefaultMaxAckPending = 1000
	// DefaultFetchBatch is the most messages a writer fetches and inserts
	// in one transaction: about 4,000 beacons of players' batches, near
	// the direct path's group of 5,000. The beacons of one transaction
	// share its rollup rows, so fewer, larger transactions append fewer:
	// BenchmarkWriters drained 31,800 beacons/s with 50, 42,500-42,800
	// with 250, 44,500-45,200 with 500. Four writers fetching this many
	// fit DefaultMaxAckPending.
	DefaultFetchBatch = 250
	// DefaultFetchWait is how long one fetch waits for messages.
	DefaultFetchWait = 2 * time.Second
	// DefaultNakDelay is the delay before a batch whose insert failed is
	// delivered again; it doubles with each delivery up to MaxNakDelay.
	DefaultNakDelay = time.Second
	// DefaultMaxNakDelay caps the growing nak delay.
	DefaultMaxNakDelay = time.Minute
)

// Options configures the stream, the consumer, a Publisher and a Writer.
// The zero value means every default above; publishers and writers of one
// deployment must share the stream, subject prefix and durable.
type Options struct {
	// Stream is the stream's name; DefaultStream when "".
	Stream string
	// SubjectPrefix prefixes the subjects; DefaultSubjectPrefix when "".
	SubjectPrefix string
	// Durable is the writers' durable consumer; DefaultDurable when "".
	Durable string

	// MaxAge is the stream's max age; DefaultMaxAge when zero.
	MaxAge time.Duration
	// MaxBytes is the stream's max bytes; DefaultMaxBytes when zero.
	MaxBytes int64
	// DuplicateWindow is the stream's duplicate window;
	// DefaultDuplicateWindow when zero. It may not exceed MaxAge.
	DuplicateWindow time.Duration
	// Replicas is the stream's replicas; DefaultReplicas when zero.
	Replicas int

	// PublishAttempts is how many times Publish tries a batch;
	// DefaultPublishAttempts when zero.
	PublishAttempts int

	// AckWait is the consumer's ack wait; DefaultAckWait when zero.
	AckWait time.Duration
	// MaxDeliver is the consumer's max deliveries; DefaultMaxDeliver when
	// zero, unlimited when negative.
	MaxDeliver int
	// MaxAckPending is the consumer's max ack pending;
	// DefaultMaxAckPending when zero.
	MaxAckPending int
	// FetchBatch is the most messages a fetch returns; DefaultFetchBatch
	// when zero.
	FetchBatch int
	// FetchWait is how long a fetch waits; DefaultFetchWait when zero.
	FetchWait time.Duration
	// NakDelay is the first redelivery delay after a failed insert;
	// DefaultNakDelay when zero.
	NakDelay time.Duration
	// MaxNakDelay caps the redelivery delay; DefaultMaxNakDelay when zero.
	MaxNakDelay time.Duration

	// Metrics are called as batches move; nil hooks do nothing.
	Metrics Metrics
	// Logger is where a Writer logs failed batches; slog.Default() when
	// nil.
	Logger *slog.Logger
}

// Metrics are hooks a caller turns into counters (cmd/portico: prometheus).
// Each is called from the goroutine that did the work, so it must be safe
// for concurrent use; a nil hook is skipped.
type Metrics struct {
	// Published is called once per message the stream acknowledged, with
	// its beacons, and duplicate true when the stream had it already
	// (a retried publish within the duplicate window).
	Published func(beacons int, duplicate bool)
	// Consumed is called once per fetch whose insert committed and whose
	// messages were acked: the messages, the beacons the store stored
	// now, and the beacons it had already (retries, redeliveries).
	Consumed func(messages, stored, duplicates int)
	// Redelivered is called with the messages of a fetch that were
	// delivered before (after a nak, an ack wait or a writer's crash).
	Redelivered func(messages int)
	// Failed is called with a stage ("publish", "decode", "store", "ack")
	// and the messages or batches that failed in it.
	Failed func(stage string, n int)
}

func (o Options) withDefaults() Options {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if o.Stream == "" {
		o.Stream = DefaultStream
	}
	if o.SubjectPrefix == "" {
		o.SubjectPrefix = DefaultSubjectPrefix
	}
	if o.Durable == "" {
		o.Durable = DefaultDurable
	}
	def(&o.MaxAge, DefaultMaxAge)
	def(&o.DuplicateWindow, DefaultDuplicateWindow)
	def(&o.AckWait, DefaultAckWait)
	def(&o.FetchWait, DefaultFetchWait)
	def(&o.NakDelay, DefaultNakDelay)
	def(&o.MaxNakDelay, DefaultMaxNakDelay)
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Replicas == 0 {
		o.Replicas = DefaultReplicas
	}
	if o.PublishAttempts <= 0 {
		o.PublishAttempts = DefaultPublishAttempts
	}
	switch {
	case o.MaxDeliver == 0:
		o.MaxDeliver = DefaultMaxDeliver
	case o.MaxDeliver < 0:
		o.MaxDeliver = -1
	}
	if o.MaxAckPending == 0 {
		o.MaxAckPending = DefaultMaxAckPending
	}
	if o.FetchBatch <= 0 {
		o.FetchBatch = DefaultFetchBatch
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	m := &o.Metrics
	if m.Published == nil {
		m.Published = func(int, bool) {}
	}
	if m.Consumed == nil {
		m.Consumed = func(int, int, int) {}
	}
	if m.Redelivered == nil {
		m.Redelivered = func(int) {}
	}
	if m.Failed == nil {
		m.Failed = func(string, int) {}
	}
	return o
}
