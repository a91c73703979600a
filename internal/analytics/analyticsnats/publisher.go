package analyticsnats

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/portico-gw/portico/internal/analytics"
)

// headerRoom is what a message's headers (the message id, the receive
// time) may take of the server's max payload.
const headerRoom = 1024

// Publisher publishes accepted beacons to the stream, one message per
// organization and batch, and returns once the stream has stored them.
// It is safe for concurrent use.
type Publisher struct {
	js         jetstream.JetStream
	o          Options
	maxPayload int
}

// NewPublisher provisions the stream o describes (Provision) and returns
// a Publisher to it over js. The caller keeps the connection and closes
// it.
func NewPublisher(ctx context.Context, js jetstream.JetStream, o Options) (*Publisher, error) {
	o = o.withDefaults()
	if _, err := Provision(ctx, js, o); err != nil {
		return nil, err
	}
	return &Publisher{js: js, o: o, maxPayload: int(js.Conn().MaxPayload())}, nil
}

// Publish publishes beacons, which the Service has validated: one message
// per organization and receive time (one for a batch of the Service),
// split in halves when it would exceed the server's max payload. Each
// message's Nats-Msg-Id is the SHA-256 of its body, so a message
// published again within the duplicate window, by Publish's own retry or
// by the caller's, is stored once. Publish returns nil once the stream
// has acknowledged every message: the beacons are durable, not yet in
// the store.
func (p *Publisher) Publish(ctx context.Context, beacons []analytics.Ingested) error {
	for _, g := range groupBatch(beacons) {
		if err := p.publishGroup(ctx, g.org, g.received, g.beacons); err != nil {
			return err
		}
	}
	return nil
}

func (p *Publisher) publishGroup(ctx context.Context, org string, received time.Time, beacons []analytics.Ingested) error {
	body, err := encodeBeacons(org, beacons)
	if err != nil {
		return err
	}
	if len(body) > p.maxPayload-headerRoom && len(beacons) > 1 {
		half := len(beacons) / 2
		if err := p.publishGroup(ctx, org, received, beacons[:half]); err != nil {
			return err
		}
		return p.publishGroup(ctx, org, received, beacons[half:])
	}
	msg := &nats.Msg{
		Subject: p.o.SubjectPrefix + "." + subjectToken(org),
		Data:    body,
		Header:  nats.Header{headerReceivedAt: []string{strconv.FormatInt(received.UnixMicro(), 10)}},
	}
	id := msgID(body)
	for attempt := 1; ; attempt++ {
		ack, err := p.js.PublishMsg(ctx, msg, jetstream.WithMsgID(id), jetstream.WithExpectStream(p.o.Stream))
		if err == nil {
			p.o.Metrics.Published(len(beacons), ack.Duplicate)
			return nil
		}
		if attempt >= p.o.PublishAttempts || ctx.Err() != nil {
			p.o.Metrics.Failed("publish", 1)
			return fmt.Errorf("publish beacons: %w", err)
		}
		// The same id again: if the first attempt was stored and only its
		// acknowledgement lost, the stream answers Duplicate.
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		}
	}
}

// PublishingStore is an analytics.Store whose InsertBeacons publishes to
// the stream instead of writing, and whose other methods are the real
// store's. A Service over it (analytics.NewService(store, resolver))
// answers a batch once it is durable in the stream; Writers insert it
// into the real store.
//
// So with it, IngestResult.Accepted counts the beacons durably queued
// (after the Service dropped duplicates within the batch), and
// IngestResult.Duplicates only those within the batch: a beacon stored
// already is found by the Writer, which counts it in Metrics.Consumed,
// not in the answer. Queries read the real store, so a batch shows in
// them once a Writer has inserted it.
type PublishingStore struct {
	pub   *Publisher
	store analytics.Store
}

// NewPublishingStore returns a store that publishes through pub and reads
// from store.
func NewPublishingStore(pub *Publisher, store analytics.Store) *PublishingStore {
	return &PublishingStore{pub: pub, store: store}
}

// InsertBeacons publishes beacons and returns them all once the stream
// has them: "stored" means durably queued.
func (s *PublishingStore) InsertBeacons(ctx context.Context, beacons []analytics.Ingested) ([]analytics.Ingested, error) {
	if len(beacons) == 0 {
		return nil, nil
	}
	if err := s.pub.Publish(ctx, beacons); err != nil {
		return nil, err
	}
	return beacons, nil
}

// Sums implements analytics.Store with the real store.
func (s *PublishingStore) Sums(ctx context.Context, q analytics.RollupQuery) ([]analytics.SumsRow, error) {
	return s.store.Sums(ctx, q)
}

// Sketches implements analytics.Store with the real store.
func (s *PublishingStore) Sketches(ctx context.Context, q analytics.RollupQuery) ([]analytics.SketchRow, error) {
	return s.store.Sketches(ctx, q)
}

// CountSessions implements analytics.Store with the real store.
func (s *PublishingStore) CountSessions(ctx context.Context, q analytics.SessionsQuery) ([]analytics.CountRow, error) {
	return s.store.CountSessions(ctx, q)
}

// PrepareRaw implements analytics.Store with the real store.
func (s *PublishingStore) PrepareRaw(ctx context.Context, from, to time.Time) error {
	return s.store.PrepareRaw(ctx, from, to)
}

// DropMinuteRollupsBefore implements analytics.Store with the real store.
func (s *PublishingStore) DropMinuteRollupsBefore(ctx context.Context, t time.Time) error {
	return s.store.DropMinuteRollupsBefore(ctx, t)
}

// DropRawBefore implements analytics.Store with the real store.
func (s *PublishingStore) DropRawBefore(ctx context.Context, t time.Time) error {
	return s.store.DropRawBefore(ctx, t)
}

var _ analytics.Store = (*PublishingStore)(nil)
