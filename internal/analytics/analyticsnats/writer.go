package analyticsnats

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/portico-gw/portico/internal/analytics"
)

// Writer consumes the stream through the durable pull consumer and
// inserts the beacons into the real store. Writers bound to the same
// durable, in one process or many, share the messages. Its Run may also
// be called from several goroutines at once.
type Writer struct {
	cons  jetstream.Consumer
	store analytics.Store
	o     Options
}

// NewWriter provisions the stream and the durable consumer o describes
// (creating or updating both) and returns a Writer that inserts into
// store.
func NewWriter(ctx context.Context, js jetstream.JetStream, store analytics.Store, o Options) (*Writer, error) {
	o = o.withDefaults()
	if _, err := Provision(ctx, js, o); err != nil {
		return nil, err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, o.Stream, ConsumerConfig(o))
	if err != nil {
		return nil, fmt.Errorf("provision consumer %s: %w", o.Durable, err)
	}
	return &Writer{cons: cons, store: store, o: o}, nil
}

// Run fetches up to FetchBatch messages at a time, inserts all their
// beacons in one InsertBeacons call and acks them once it has committed;
// on a store error it naks them with a delay that doubles with each
// delivery. It returns nil when ctx is done, and an error only when the
// consumer is gone; other fetch errors (a server restarting) are logged
// and retried.
//
// A crash between the commit and the acks makes the stream deliver the
// messages again after AckWait; InsertBeacons is idempotent per
// (organization, session, sequence), so the second insert stores nothing
// and the rollups count every beacon once.
func (w *Writer) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		msgs, err := w.fetch(ctx)
		switch {
		case errors.Is(err, jetstream.ErrConsumerDeleted), errors.Is(err, jetstream.ErrConsumerNotFound):
			return fmt.Errorf("analytics writer: %w", err)
		case err != nil && ctx.Err() == nil:
			w.o.Logger.WarnContext(ctx, "analytics writer: fetch failed", "err", err)
			sleep(ctx, w.o.NakDelay)
		}
		if len(msgs) > 0 {
			w.write(ctx, msgs)
		}
	}
	return nil
}

// fetch returns the messages of one fetch, waiting at most FetchWait.
func (w *Writer) fetch(ctx context.Context) ([]jetstream.Msg, error) {
	fctx, cancel := context.WithTimeout(ctx, w.o.FetchWait)
	defer cancel()
	batch, err := w.cons.Fetch(w.o.FetchBatch, jetstream.FetchContext(fctx))
	if err != nil {
		return nil, err
	}
	var msgs []jetstream.Msg
	for m := range batch.Messages() {
		msgs = append(msgs, m)
	}
	err = batch.Error()
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, jetstream.ErrNoMessages) {
		err = nil
	}
	return msgs, err
}

// write inserts the beacons of msgs and acks or naks them.
func (w *Writer) write(ctx context.Context, msgs []jetstream.Msg) {
	var beacons []analytics.Ingested
	good := msgs[:0:0]
	redelivered, delivered := 0, uint64(1)
	for _, m := range msgs {
		if md, err := m.Metadata(); err == nil && md.NumDelivered > 1 {
			redelivered++
			delivered = max(delivered, md.NumDelivered)
		}
		bs, err := decodeBeacons(m.Data(), m.Headers().Get(headerReceivedAt))
		if err != nil {
			// Retrying cannot make it readable: terminate it, loudly.
			w.o.Logger.ErrorContext(ctx, "analytics writer: unreadable message terminated", "subject", m.Subject(), "err", err)
			w.o.Metrics.Failed("decode", 1)
			if err := m.TermWithReason("unreadable"); err != nil {
				w.o.Metrics.Failed("ack", 1)
			}
			continue
		}
		beacons = append(beacons, bs...)
		good = append(good, m)
	}
	if redelivered > 0 {
		w.o.Metrics.Redelivered(redelivered)
	}
	if len(good) == 0 {
		return
	}
	stored, err := w.insert(ctx, good, beacons)
	if err != nil {
		if ctx.Err() != nil {
			// Stopping: hand the messages to another writer at once.
			for _, m := range good {
				_ = m.Nak() // if lost, AckWait redelivers them
			}
			return
		}
		delay := w.nakDelay(delivered)
		w.o.Logger.ErrorContext(ctx, "analytics writer: store failed; batches delivered again later",
			"messages", len(good), "delivery", delivered, "delay", delay, "err", err)
		w.o.Metrics.Failed("store", len(good))
		for _, m := range good {
			if err := m.NakWithDelay(delay); err != nil {
				w.o.Metrics.Failed("ack", 1)
			}
		}
		return
	}
	for _, m := range good {
		// A lost ack only means a redelivery, which stores nothing.
		if err := m.Ack(); err != nil {
			w.o.Metrics.Failed("ack", 1)
		}
	}
	w.o.Metrics.Consumed(len(good), len(stored), len(beacons)-len(stored))
}

// insert inserts beacons while telling the stream every third of AckWait
// that msgs are in progress: writers share one store, whose lock a batch
// may wait for longer than AckWait, and a redelivery then would only
// repeat the work. A writer that dies stops telling, and AckWait redelivers.
func (w *Writer) insert(ctx context.Context, msgs []jetstream.Msg, beacons []analytics.Ingested) ([]analytics.Ingested, error) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(w.o.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, m := range msgs {
					_ = m.InProgress() // if lost, the worst is a redelivery
				}
			}
		}
	})
	defer wg.Wait()
	defer close(done)
	return w.store.InsertBeacons(ctx, beacons)
}

// nakDelay is NakDelay doubled for each delivery after the first, at most
// MaxNakDelay.
func (w *Writer) nakDelay(delivered uint64) time.Duration {
	d := w.o.NakDelay
	for i := uint64(1); i < delivered && d < w.o.MaxNakDelay; i++ {
		d *= 2
	}
	return min(d, w.o.MaxNakDelay)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
