package analyticsstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

// BenchmarkInsertBeacons measures InsertBeacons with batches of 1,000
// beacons from 100 sessions of one organization (the rollup rows of a
// busy minute), and reports beacons/s.
func BenchmarkInsertBeacons(b *testing.B) {
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			be.Require(b)
			s := func() analytics.Store {
				st, err := analyticsOpen(b, be)
				if err != nil {
					b.Fatalf("open store: %v", err)
				}
				return st
			}()
			const batch = 1000
			start := time.Now().UTC().Add(-time.Hour)
			countries := []string{"FR", "DE", "US", "BR", "IN"}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				bs := make([]analytics.Ingested, batch)
				for i := range bs {
					seq := int64(n/100) + 1
					bs[i] = analytics.Ingested{OrgID: "org_bench", IntegrationID: "int_bench", ReceivedAt: start,
						Beacon: analytics.Beacon{SessionID: fmt.Sprintf("session-%03d", n%100), Sequence: seq,
							Time: start.Add(time.Duration(n) * 20 * time.Millisecond), ContentID: fmt.Sprintf("content-%d", n%7),
							StreamType: analytics.StreamVOD, Platform: analytics.PlatformWeb, Network: analytics.NetworkWiFi,
							CDNBytes: 100000, P2PBytes: 300000, PlayedMS: 10000, StartupMS: -1,
							Country: countries[n%5], ISP: "isp"}}
					n++
				}
				got, err := s.InsertBeacons(b.Context(), bs)
				if err != nil || len(got) != batch {
					b.Fatalf("insert: stored %d, %v", len(got), err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "beacons/s")
		})
	}
}
