package analyticsnats

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/analytics/simulate"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

// BenchmarkPublish publishes batches of distinct beacons from 16
// goroutines per CPU (HTTP requests arrive concurrently), each call
// returning once the stream acknowledged its message. The stream is
// purged every 500 batches so DiscardNew never refuses one.
func BenchmarkPublish(b *testing.B) {
	for _, size := range []int{100, 1000} {
		b.Run("batch="+strconv.Itoa(size), func(b *testing.B) {
			js := mustJetStream(b)
			o := testOptions(b, js)
			o.MaxBytes = 1 << 30
			pub, err := NewPublisher(b.Context(), js, o)
			if err != nil {
				b.Fatalf("new publisher: %v", err)
			}
			stream := jsStreamTB(b, js, o)
			template := accepted(b, time.Now().UTC(), "org_bench", 1, size)
			if len(template) != size {
				b.Fatalf("got %d beacons, want %d", len(template), size)
			}
			var n atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				batch := append(template[:0:0], template...)
				for pb.Next() {
					i := n.Add(1)
					suffix := "_" + strconv.FormatInt(i, 36)
					for j := range batch {
						batch[j].SessionID = template[j].SessionID + suffix
					}
					if err := pub.Publish(b.Context(), batch); err != nil {
						b.Errorf("publish: %v", err)
						return
					}
					if i%500 == 0 {
						if err := stream.Purge(b.Context()); err != nil {
							b.Errorf("purge: %v", err)
							return
						}
					}
				}
			})
			b.ReportMetric(float64(n.Load())*float64(size)/b.Elapsed().Seconds(), "beacons/s")
		})
	}
}

// BenchmarkWriters drains players' traffic from the stream into
// PostgreSQL with two writers, for several Options.FetchBatch: how many
// messages one transaction takes decides how many beacons share its
// rollup rows. Each round publishes the same hour of simulated traffic
// (about 40,000 beacons in players' batches, in the order players send
// them) under new session ids, then times the drain.
func BenchmarkWriters(b *testing.B) {
	js := mustJetStream(b)
	pg := sqldbtest.Backends(b)[1]
	now := time.Now().UTC().Truncate(time.Minute)
	sim, err := simulate.New(simulate.Options{Seed: 1, Start: now.Add(-time.Hour), End: now,
		Integrations: []simulate.Target{{Key: "pk_bench", Origin: "https://bench.example"}},
		PeakViewers:  20_000, MaxBeacons: 40_000})
	if err != nil {
		b.Fatal(err)
	}
	var msgs [][]analytics.Ingested
	beacons := 0
	for batch := range sim.BatchesInSendOrder {
		in := make([]analytics.Ingested, len(batch.Beacons))
		for i, x := range batch.Beacons {
			x.Country, x.ISP = batch.Country, batch.ISP
			in[i] = analytics.Ingested{Beacon: x, OrgID: "org_bench", IntegrationID: "int_bench", ReceivedAt: now}
		}
		msgs = append(msgs, in)
		beacons += len(in)
	}
	for _, fetch := range []int{50, 250, 500} {
		b.Run("fetch="+strconv.Itoa(fetch), func(b *testing.B) {
			o := testOptions(b, js)
			o.FetchBatch, o.MaxBytes, o.AckWait = fetch, 1<<30, 30*time.Second
			pub, err := NewPublisher(b.Context(), js, o)
			if err != nil {
				b.Fatalf("new publisher: %v", err)
			}
			store := mustStore(b, pg)
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				suffix := "_" + strconv.Itoa(i)
				for _, m := range msgs {
					m = append(m[:0:0], m...)
					for j := range m {
						m[j].SessionID += suffix
					}
					if err := pub.Publish(b.Context(), m); err != nil {
						b.Fatalf("publish: %v", err)
					}
				}
				b.StartTimer()
				ctx, cancel := context.WithCancel(b.Context())
				done := make(chan error, 2)
				for range 2 {
					w, err := NewWriter(b.Context(), js, store, o)
					if err != nil {
						b.Fatalf("new writer: %v", err)
					}
					go func() { done <- w.Run(ctx) }()
				}
				waitDrained(b, js, o)
				cancel()
				for range 2 {
					if err := <-done; err != nil {
						b.Fatalf("writer: %v", err)
					}
				}
			}
			b.ReportMetric(float64(beacons*b.N)/b.Elapsed().Seconds(), "beacons/s")
		})
	}
}
