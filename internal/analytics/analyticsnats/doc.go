// Package analyticsnats is the optional ingest path of the analytics
// service through NATS JetStream: the public endpoint answers once a
// batch is durable in a stream, and rollup writers, as many as the store
// takes, insert it.
//
// # Publishing
//
// The Service still resolves the delivery key, checks the origin and
// validates every beacon, so refusals are answered at once. Over a
// PublishingStore, its Store.InsertBeacons publishes the accepted beacons
// instead of writing them: one message per batch (per organization and
// receive time, which a batch of the Service has one of) on subject
// SubjectPrefix.<org>, whose Nats-Msg-Id is the SHA-256 of the body. The
// receive time travels in a header, outside the body, so the same beacons
// sent again within the stream's duplicate window are stored once,
// whether the Publisher retried after a lost acknowledgement or the
// player retried the request. Publish returns once the stream has
// acknowledged the message.
//
// What the answer means changes: IngestResult.Accepted counts the
// beacons durably queued, and IngestResult.Duplicates only the ones
// repeated within the batch. Beacons stored already are found by the
// writer (Metrics.Consumed's duplicates). Queries read the store, so a
// batch shows in them once written: milliseconds when the writers keep
// up, longer when they are behind.
//
// # Writing
//
// Writers bind to one durable pull consumer with explicit acks. A Writer
// fetches up to FetchBatch messages, inserts all their beacons with one
// Store.InsertBeacons (one transaction), and acks them after the commit;
// while the insert runs it tells the stream the messages are in progress,
// so a batch waiting for the store's lock is not delivered to another
// writer. On a store error it naks them with a delay that doubles per
// delivery (NakDelay up to MaxNakDelay); an unreadable message is
// terminated. InsertBeacons is idempotent per (organization, session,
// sequence), so a redelivery after a crash between commit and ack stores
// nothing, and the rollups count every beacon once
// (TestRedeliveryAfterCrashBeforeAck).
//
// One difference from direct ingestion remains: two different beacons
// with the same (session, sequence) in different batches, which no
// correct player sends, are both "the first" somewhere. Directly, the one
// whose request committed first wins; through the stream, the one a
// writer inserted first, which with several writers or after a nak need
// not be the one published first. Retries and duplicates, which carry the
// same beacon, are not affected: TestThroughStreamEqualsDirect checks
// that every rollup equals direct ingestion's.
//
// # The stream
//
// Provision creates or updates the stream with explicit limits (Options):
// work-queue retention, so acked batches are deleted and the stream holds
// only the backlog; MaxAge, which must outlast the longest writer outage
// the deployment accepts; MaxBytes with DiscardNew, so a full stream
// refuses batches (the endpoint fails) rather than dropping unwritten
// ones; the duplicate window; replicas.
//
// BenchmarkPublish measures the publishing side; BenchmarkWriters the
// writers draining players' traffic into PostgreSQL, FetchBatch messages
// per transaction.
package analyticsnats
