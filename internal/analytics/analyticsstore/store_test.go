package analyticsstore_test

import (
	"testing"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/analytics/analyticsstore"
	"github.com/portico-gw/portico/internal/analytics/analyticstest"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

func openStore(t *testing.T, b sqldbtest.Backend) analytics.Store {
	t.Helper()
	s, err := analyticsOpen(t, b)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return s
}

func analyticsOpen(tb testing.TB, b sqldbtest.Backend) (*analyticsstore.Store, error) {
	return analyticsstore.Open(tb.Context(), b.Open(tb))
}

func TestStoreConformance(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			b.Require(t)
			analyticstest.RunStoreSuite(t, func(t *testing.T) analytics.Store { return openStore(t, b) })
		})
	}
}

// TestGroupCommitConformance runs the suite through analytics.GroupCommit
// over each store: the suite's concurrent batches are grouped.
func TestGroupCommitConformance(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			b.Require(t)
			analyticstest.RunStoreSuite(t, func(t *testing.T) analytics.Store {
				return analytics.NewGroupCommit(openStore(t, b), analytics.GroupOptions{})
			})
		})
	}
}

// TestAccuracy is the accuracy property test on every backend: see
// analyticstest.RunAccuracy. Its seed is analyticstest.DefaultSeed, or
// PORTICO_ANALYTICS_SEED's value.
func TestAccuracy(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			b.Require(t)
			analyticstest.RunAccuracyWith(t, func(t *testing.T) analytics.Store { return openStore(t, b) },
				analyticstest.AccuracyOptions{ZonesPerScenario: analyticsstore.AccuracyZones})
		})
	}
}
