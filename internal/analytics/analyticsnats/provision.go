package analyticsnats

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// StreamConfig returns the stream o describes: every subject under the
// prefix, file storage, work-queue retention (a batch is removed once a
// writer acked it, so the stream holds only what is not written yet),
// and explicit limits, refusing new batches when full rather than
// dropping old unwritten ones.
func StreamConfig(o Options) jetstream.StreamConfig {
	o = o.withDefaults()
	return jetstream.StreamConfig{
		Name:        o.Stream,
		Description: "Portico analytics beacon batches waiting for a rollup writer",
		Subjects:    []string{o.SubjectPrefix + ".>"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardNew,
		MaxAge:      o.MaxAge,
		MaxBytes:    o.MaxBytes,
		Duplicates:  o.DuplicateWindow,
		Replicas:    o.Replicas,
	}
}

// ConsumerConfig returns the writers' durable pull consumer: explicit
// acks, o's ack wait, max deliveries and max ack pending.
func ConsumerConfig(o Options) jetstream.ConsumerConfig {
	o = o.withDefaults()
	return jetstream.ConsumerConfig{
		Durable:       o.Durable,
		Description:   "Portico analytics rollup writers",
		FilterSubject: o.SubjectPrefix + ".>",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.AckWait,
		MaxDeliver:    o.MaxDeliver,
		MaxAckPending: o.MaxAckPending,
	}
}

// Provision creates the stream o describes, or updates it to o's limits
// when it exists. Publishers and writers both call it on start, so either
// may start first.
func Provision(ctx context.Context, js jetstream.JetStream, o Options) (jetstream.Stream, error) {
	s, err := js.CreateOrUpdateStream(ctx, StreamConfig(o))
	if err != nil {
		return nil, fmt.Errorf("provision stream %s: %w", o.withDefaults().Stream, err)
	}
	return s, nil
}
