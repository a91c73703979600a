package analyticsnats

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"
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
