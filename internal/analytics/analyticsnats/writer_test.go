package analyticsnats

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

// counters are Metrics that count.
type counters struct {
	published, publishedDup, consumedMsgs, stored, duplicates, redelivered atomic.Int64
	mu                                                                     sync.Mutex
	failed                                                                 map[string]int
}

func (c *counters) metrics() Metrics {
	c.failed = map[string]int{}
	return Metrics{
		Published: func(n int, dup bool) {
			if dup {
				c.publishedDup.Add(int64(n))
				return
			}
			c.published.Add(int64(n))
		},
		Consumed: func(msgs, stored, dups int) {
			c.consumedMsgs.Add(int64(msgs))
			c.stored.Add(int64(stored))
			c.duplicates.Add(int64(dups))
		},
		Redelivered: func(n int) { c.redelivered.Add(int64(n)) },
		Failed: func(stage string, n int) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.failed[stage] += n
		},
	}
}

func (c *counters) failures(stage string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed[stage]
}

// TestThroughStreamEqualsDirect ingests the same batches through a
// Service over a PublishingStore, written by two Writers, and through a
// Service over the store directly: every rollup is the same.
func TestThroughStreamEqualsDirect(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			b.Require(t)
			js := mustJetStream(t)
			o := testOptions(t, js)
			// The writers tell the stream a batch is in progress every
			// third of the ack wait; the tests' 2 s left too little slack
			// on a loaded machine (a late heartbeat is a redelivery, which
			// this test counts as a failure).
			o.AckWait = 15 * time.Second
			var c counters
			o.Metrics = c.metrics()
			now, from, to := window()
			orgs := []string{"org_a", "org_b", "org_c"}

			queued, direct := mustStore(t, b), mustStore(t, b)
			pub, err := NewPublisher(t.Context(), js, o)
			if err != nil {
				t.Fatalf("new publisher: %v", err)
			}
			runWriters(t, js, queued, o, 2)
			clock := analytics.WithClock(func() time.Time { return now })
			viaStream := analytics.NewService(NewPublishingStore(pub, queued), resolver{}, clock)
			viaStore := analytics.NewService(direct, resolver{}, clock)

			reqs := traffic(1, now, orgs, 150)
			queuedN := ingestAll(t, viaStream, reqs)
			directN := ingestAll(t, viaStore, reqs)
			waitDrained(t, js, o)

			assertSameRollups(t, queued, direct, orgs, from, to)
			if got := c.stored.Load(); got != int64(directN) {
				t.Errorf("writers stored %d beacons, want %d (direct ingestion's accepted)", got, directN)
			}
			// InProgress keeps a batch waiting for the store's lock from
			// being delivered again, so each is consumed once.
			if got, want := c.stored.Load()+c.duplicates.Load(), c.published.Load(); got != want || c.redelivered.Load() != 0 {
				t.Errorf("writers consumed %d beacons with %d redelivered messages, want %d published and none redelivered",
					got, c.redelivered.Load(), want)
			}
			// Retried batches are identical, so the stream drops them: the
			// answers still count them as queued.
			if c.publishedDup.Load() == 0 || queuedN <= directN {
				t.Errorf("got %d duplicate publishes and %d queued vs %d stored; want retries deduplicated by the stream and counted as queued",
					c.publishedDup.Load(), queuedN, directN)
			}
		})
	}
}

// TestRetriedPublishDeduplicated publishes one batch three times: the
// stream keeps one message and the store one copy.
func TestRetriedPublishDeduplicated(t *testing.T) {
	js := mustJetStream(t)
	o := testOptions(t, js)
	var c counters
	o.Metrics = c.metrics()
	now, from, to := window()
	store := mustStore(t, sqlite(t))
	pub, err := NewPublisher(t.Context(), js, o)
	if err != nil {
		t.Fatalf("new publisher: %v", err)
	}
	beacons := accepted(t, now, "org_a", 7, 50)
	for range 3 {
		if err := pub.Publish(t.Context(), beacons); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	info, err := jsStreamTB(t, js, o).Info(t.Context())
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	if info.State.Msgs != 1 {
		t.Errorf("stream holds %d messages, want 1", info.State.Msgs)
	}
	if got, want := c.publishedDup.Load(), int64(2*len(beacons)); got != want {
		t.Errorf("duplicate publishes counted %d beacons, want %d", got, want)
	}
	runWriters(t, js, store, o, 1)
	waitDrained(t, js, o)
	if got := totalBeacons(t, store, "org_a", from, to); got != int64(len(beacons)) {
		t.Errorf("stored %d beacons, want %d", got, len(beacons))
	}
}

// TestRedeliveryAfterCrashBeforeAck fetches the messages and inserts them
// as a writer would, then "crashes" without acking: after AckWait a
// Writer gets them again and the totals stay exact.
func TestRedeliveryAfterCrashBeforeAck(t *testing.T) {
	js := mustJetStream(t)
	o := testOptions(t, js)
	o.AckWait = time.Second
	var c counters
	o.Metrics = c.metrics()
	now, from, to := window()
	store := mustStore(t, sqlite(t))
	pub, err := NewPublisher(t.Context(), js, o)
	if err != nil {
		t.Fatalf("new publisher: %v", err)
	}
	crashed, err := NewWriter(t.Context(), js, store, o)
	if err != nil {
		t.Fatalf("new writer: %v", err)
	}
	want := 0
	for i := range 5 {
		bs := accepted(t, now, "org_a", uint64(i), 30)
		want += len(bs)
		if err := pub.Publish(t.Context(), bs); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}

	msgs, err := crashed.fetch(t.Context())
	if err != nil || len(msgs) != 5 {
		t.Fatalf("fetch: %d messages, %v; want 5", len(msgs), err)
	}
	for _, m := range msgs {
		bs, err := decodeBeacons(m.Data(), m.Headers().Get(headerReceivedAt))
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if _, err := store.InsertBeacons(t.Context(), bs); err != nil {
			t.Fatalf("insert: %v", err)
		}
	}
	// The insert committed; the acks never leave.
	if got := totalBeacons(t, store, "org_a", from, to); got != int64(want) {
		t.Fatalf("after the crashed insert: %d beacons, want %d", got, want)
	}

	runWriters(t, js, store, o, 1)
	waitDrained(t, js, o)
	if got := totalBeacons(t, store, "org_a", from, to); got != int64(want) {
		t.Errorf("after redelivery: %d beacons, want %d", got, want)
	}
	if got := c.redelivered.Load(); got != 5 {
		t.Errorf("redelivered %d messages, want 5", got)
	}
	if s, d := c.stored.Load(), c.duplicates.Load(); s != 0 || d != int64(want) {
		t.Errorf("writer stored %d and found %d duplicates, want 0 and %d", s, d, want)
	}
}

// TestTwoWritersShareTheWork publishes from four goroutines while two
// writers consume: both take messages, and every beacon counts once.
func TestTwoWritersShareTheWork(t *testing.T) {
	js := mustJetStream(t)
	o := testOptions(t, js)
	o.FetchBatch = 2
	now, from, to := window()
	store := mustStore(t, sqlite(t))
	pub, err := NewPublisher(t.Context(), js, o)
	if err != nil {
		t.Fatalf("new publisher: %v", err)
	}
	var c1, c2 counters
	o1, o2 := o, o
	o1.Metrics, o2.Metrics = c1.metrics(), c2.metrics()
	runWriters(t, js, store, o1, 1)
	runWriters(t, js, store, o2, 1)

	var wg sync.WaitGroup
	var want atomic.Int64
	for g := range 4 {
		wg.Go(func() {
			for i := range 25 {
				bs := accepted(t, now, "org_a", uint64(g*100+i), 20)
				if err := pub.Publish(t.Context(), bs); err != nil {
					t.Errorf("publish: %v", err)
					return
				}
				want.Add(int64(len(bs)))
			}
		})
	}
	wg.Wait()
	waitDrained(t, js, o)
	if got := totalBeacons(t, store, "org_a", from, to); got != want.Load() {
		t.Errorf("stored %d beacons, want %d", got, want.Load())
	}
	m1, m2 := c1.consumedMsgs.Load(), c2.consumedMsgs.Load()
	if m1 == 0 || m2 == 0 || m1+m2 < 100 {
		t.Errorf("writers consumed %d and %d messages, want both some and at least 100 in all", m1, m2)
	}
}

// failingStore fails its first n inserts.
type failingStore struct {
	analytics.Store
	left atomic.Int64
}

var errStoreDown = errors.New("store down")

func (s *failingStore) InsertBeacons(ctx context.Context, bs []analytics.Ingested) ([]analytics.Ingested, error) {
	if s.left.Add(-1) >= 0 {
		return nil, errStoreDown
	}
	return s.Store.InsertBeacons(ctx, bs)
}

// TestStoreFailureNaksThenSucceeds: inserts fail three times; the writer
// naks, the batches come back after the delay and are stored once.
func TestStoreFailureNaksThenSucceeds(t *testing.T) {
	js := mustJetStream(t)
	o := testOptions(t, js)
	var c counters
	o.Metrics = c.metrics()
	now, from, to := window()
	real := mustStore(t, sqlite(t))
	store := &failingStore{Store: real}
	store.left.Store(3)
	pub, err := NewPublisher(t.Context(), js, o)
	if err != nil {
		t.Fatalf("new publisher: %v", err)
	}
	want := 0
	for i := range 4 {
		bs := accepted(t, now, "org_b", uint64(i), 25)
		want += len(bs)
		if err := pub.Publish(t.Context(), bs); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	runWriters(t, js, store, o, 1)
	waitDrained(t, js, o)
	if got := totalBeacons(t, real, "org_b", from, to); got != int64(want) {
		t.Errorf("stored %d beacons, want %d", got, want)
	}
	if got := c.failures("store"); got == 0 {
		t.Error("no store failure counted")
	}
	if c.redelivered.Load() == 0 {
		t.Error("no redelivery counted after the naks")
	}
	if got := c.stored.Load(); got != int64(want) {
		t.Errorf("writer counted %d stored, want %d", got, want)
	}
}

// accepted returns n distinct beacons of org as the Service would hand
// them over.
func accepted(tb testing.TB, now time.Time, org string, seed uint64, n int) []analytics.Ingested {
	tb.Helper()
	type key struct {
		s string
		q int64
	}
	seen := map[key]bool{}
	var out []analytics.Ingested
	for _, req := range traffic(seed, now, []string{org}, n/5+10) {
		in, _ := resolver{}.Resolve(context.Background(), req.DeliveryKey)
		for _, b := range req.Beacons {
			b.SessionID += "_" + strconv.FormatUint(seed, 10)
			k := key{b.SessionID, b.Sequence}
			if seen[k] {
				continue
			}
			seen[k] = true
			b.Country, b.ISP = req.Country, req.ISP
			out = append(out, analytics.Ingested{Beacon: b, OrgID: in.OrgID, IntegrationID: in.ID, ReceivedAt: now})
			if len(out) == n {
				return out
			}
		}
	}
	tb.Fatalf("accepted: %d beacons, want %d", len(out), n)
	return nil
}

func jsStreamTB(tb testing.TB, js jetstream.JetStream, o Options) jetstream.Stream {
	tb.Helper()
	s, err := js.Stream(tb.Context(), o.Stream)
	if err != nil {
		tb.Fatalf("stream: %v", err)
	}
	return s
}
