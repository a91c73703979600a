package analyticsstore_test

import (
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

// TestDropRawForgetsKeys checks that a beacon of a dropped day is stored
// again, on every backend: its key went with its raw row (on PostgreSQL,
// from beacon_keys).
func TestDropRawForgetsKeys(t *testing.T) {
	for _, be := range sqldbtest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			s := openStore(t, be)
			ctx := t.Context()
			today := time.Now().UTC().Truncate(24 * time.Hour)
			old := today.Add(-3*24*time.Hour + time.Hour)
			b := analytics.Ingested{OrgID: "org_1", IntegrationID: "int_1", ReceivedAt: old,
				Beacon: analytics.Beacon{SessionID: "s1", Sequence: 1, Time: old, StreamType: analytics.StreamVOD,
					Platform: analytics.PlatformWeb, Network: analytics.NetworkWiFi, StartupMS: -1}}
			if err := s.PrepareRaw(ctx, old, today); err != nil {
				t.Fatalf("prepare: %v", err)
			}
			for i, want := range []int{1, 0} {
				if got, err := s.InsertBeacons(ctx, []analytics.Ingested{b}); err != nil || len(got) != want {
					t.Fatalf("insert %d: stored %d, %v; want %d", i, len(got), err, want)
				}
			}
			if err := s.DropRawBefore(ctx, today); err != nil {
				t.Fatalf("drop: %v", err)
			}
			if got, err := s.InsertBeacons(ctx, []analytics.Ingested{b}); err != nil || len(got) != 1 {
				t.Fatalf("insert after drop: stored %d, %v; want 1", len(got), err)
			}
		})
	}
}
