package analyticstest

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/platform/identity"
)

// EnvSeed overrides the accuracy test's fixed seed.
const EnvSeed = "PORTICO_ANALYTICS_SEED"

// DefaultSeed is the accuracy test's seed when EnvSeed is not set.
const DefaultSeed = 20260329

// Scenario is one run of the accuracy test: the service's clock and the
// time zones queried.
type Scenario struct {
	Name  string
	Now   time.Time
	Zones []string
}

// Scenarios are the accuracy test's runs: the last two days before a
// clock change in Paris (2026-03-29) and in New York (2026-03-08), each
// also in a zone whose offset is not whole hours.
var Scenarios = []Scenario{
	{"paris-dst", time.Date(2026, 3, 30, 9, 17, 0, 0, time.UTC), []string{"UTC", "Europe/Paris", "Asia/Kolkata"}},
	{"new-york-dst", time.Date(2026, 3, 9, 3, 2, 0, 0, time.UTC), []string{"America/New_York", "Asia/Kathmandu"}},
}

// Seed returns the seed of the accuracy test: EnvSeed's value, or
// DefaultSeed.
func Seed(t *testing.T) uint64 {
	t.Helper()
	if v := os.Getenv(EnvSeed); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", EnvSeed, err)
		}
		return s
	}
	return DefaultSeed
}

// Querier is what the accuracy test asks its questions of: a
// *analytics.Service, or a client of the HTTP API over one.
type Querier interface {
	Overall(ctx context.Context, p analytics.Principal, q analytics.Query) (analytics.Value, error)
	Timeseries(ctx context.Context, p analytics.Principal, q analytics.Query) ([]analytics.Point, error)
	Breakdown(ctx context.Context, p analytics.Principal, q analytics.Query) (analytics.BreakdownPage, error)
	DimensionValues(ctx context.Context, p analytics.Principal, q analytics.Query, d analytics.Dimension) ([]analytics.DimensionValue, error)
	IntegrationUsage(ctx context.Context, p analytics.Principal, q analytics.Query) ([]analytics.Usage, error)
}

// RunAccuracy generates random traffic, ingests it through
// Service.Ingest into the store open returns (several batches at once,
// as replicas would), checks every batch's outcome, then asks every
// metric in every query shape and compares each figure with a
// recomputation from the accepted beacons (first write wins per session
// and sequence): exactly, and, on a second Service that counts viewers
// from sketches only, within the sketches' documented bound.
func RunAccuracy(t *testing.T, open func(t *testing.T) analytics.Store) {
	RunAccuracyVia(t, open, nil)
}

// RunAccuracyVia is RunAccuracy asking its questions of what via makes
// of each Service (whose clock reads now), such as a client of the HTTP
// API; nil asks the Service itself. The principal the test passes is
// staff; via's querier may speak for any caller who may read every
// organization.
func RunAccuracyVia(t *testing.T, open func(t *testing.T) analytics.Store,
	via func(t *testing.T, svc *analytics.Service, now time.Time) Querier) {
	RunAccuracyWith(t, open, AccuracyOptions{Via: via})
}

// AccuracyOptions change what RunAccuracyWith asks.
type AccuracyOptions struct {
	// Via is as for RunAccuracyVia; nil asks the Service itself.
	Via func(t *testing.T, svc *analytics.Service, now time.Time) Querier
	// ZonesPerScenario, when above 0, asks each scenario's questions in
	// its first time zones only: under the race detector, which makes the
	// whole set take many minutes, the store's code paths are all taken
	// with one zone, and the whole set runs without it.
	ZonesPerScenario int
}

// RunAccuracyWith is RunAccuracy with options.
func RunAccuracyWith(t *testing.T, open func(t *testing.T) analytics.Store, o AccuracyOptions) {
	via := o.Via
	if via == nil {
		via = func(_ *testing.T, svc *analytics.Service, _ time.Time) Querier { return svc }
	}
	seed := Seed(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("accuracy test failed with seed %d; rerun with %s=%d", seed, EnvSeed, seed)
		}
	})
	for i, sc := range Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			store := open(t)
			tr := generate(rng, sc.Now, 160)
			m := ingestAll(t, store, tr)
			exact := analytics.NewService(store, testIntegrations, analytics.WithClock(func() time.Time { return sc.Now }))
			sketch := analytics.NewService(store, testIntegrations, analytics.WithClock(func() time.Time { return sc.Now }),
				analytics.WithRawRetention(time.Nanosecond))
			exactQ, sketchQ := via(t, exact, sc.Now), via(t, sketch, sc.Now)
			zones := sc.Zones
			if o.ZonesPerScenario > 0 && len(zones) > o.ZonesPerScenario {
				zones = zones[:o.ZonesPerScenario]
			}
			for _, zone := range zones {
				loc, err := time.LoadLocation(zone)
				if err != nil {
					t.Fatalf("load %s: %v", zone, err)
				}
				first := zone == sc.Zones[0]
				t.Run(zone, func(t *testing.T) {
					checkQueries(t, exactQ, m, "org_a", sc.Now, loc, false)
					if first { // the other organization, and sketches, in one zone per scenario
						checkQueries(t, exactQ, m, "org_b", sc.Now, loc, false)
						checkQueries(t, sketchQ, m, "org_a", sc.Now, loc, true)
					}
				})
			}
			checkAuthorization(t, exact, sc.Now)
		})
	}
}

// ingestAll ingests the traffic, phase by phase, four batches at a time,
// checks each outcome, and returns the beacons the store must hold.
func ingestAll(t *testing.T, s analytics.Store, tr traffic) *model {
	t.Helper()
	svc := analytics.NewService(s, testIntegrations, analytics.WithClock(func() time.Time { return tr.now }))
	m := &model{seen: map[[3]string]bool{}}
	var accepted, duplicates int
	for phase := range 2 {
		var mu sync.Mutex
		var wg sync.WaitGroup
		work := make(chan batch)
		for range 4 {
			wg.Go(func() {
				for bt := range work {
					res, err := svc.Ingest(context.Background(), bt.req)
					mu.Lock()
					checkOutcome(t, bt, res, err)
					accepted += res.Accepted
					duplicates += res.Duplicates
					mu.Unlock()
				}
			})
		}
		for _, bt := range tr.batches {
			if bt.phase == phase {
				work <- bt
			}
		}
		close(work)
		wg.Wait()
		for _, bt := range tr.batches {
			if bt.phase == phase {
				m.add(bt)
			}
		}
	}
	if accepted != len(m.beacons) {
		t.Errorf("accepted: got %d beacons in all, want %d", accepted, len(m.beacons))
	}
	if duplicates != m.duplicates {
		t.Errorf("duplicates: got %d in all, want %d", duplicates, m.duplicates)
	}
	if t.Failed() {
		t.FailNow()
	}
	return m
}

// checkOutcome compares a batch's outcome with what the generator meant.
func checkOutcome(t *testing.T, bt batch, res analytics.IngestResult, err error) {
	t.Helper()
	if bt.whole != "" {
		e, ok := err.(*analytics.Error)
		if !ok || e.Reason != bt.whole {
			t.Errorf("batch refused: got %v, want reason %s", err, bt.whole)
		}
		return
	}
	if err != nil {
		t.Errorf("ingest: %v", err) // not Fatalf: it runs on a worker goroutine
		return
	}
	got := map[int]string{}
	for _, r := range res.Refused {
		got[r.Index] = r.Reason
		if want := analytics.BeaconPointer(r.Index); len(r.Pointer) < len(want) || r.Pointer[:len(want)] != want {
			t.Errorf("refusal pointer %q does not start with %q", r.Pointer, want)
		}
	}
	if !mapsEqual(got, bt.refused) {
		t.Errorf("refused: got %v, want %v (first time %v, received %v)", got, bt.refused, bt.req.Beacons[0].Time, bt.req.ReceivedAt)
	}
}

func mapsEqual(a, b map[int]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// model is the beacons the store must hold: the first accepted copy of
// each (organization, session, sequence).
type model struct {
	seen       map[[3]string]bool
	beacons    []analytics.Ingested
	duplicates int
}

// add records the accepted beacons of a batch ingested in this order.
func (m *model) add(bt batch) {
	if bt.whole != "" {
		return
	}
	in := testIntegrations[bt.req.DeliveryKey]
	for i, b := range bt.req.Beacons {
		if _, refused := bt.refused[i]; refused {
			continue
		}
		k := [3]string{in.OrgID, b.SessionID, strconv.FormatInt(b.Sequence, 10)}
		if m.seen[k] {
			m.duplicates++
			continue
		}
		m.seen[k] = true
		b.Country, b.ISP = analytics.NormalizeCountry(bt.req.Country), analytics.NormalizeISP(bt.req.ISP)
		m.beacons = append(m.beacons, analytics.Ingested{Beacon: b, OrgID: in.OrgID, IntegrationID: in.ID})
	}
}

// checkAuthorization checks that only readers of an organization get
// its figures.
func checkAuthorization(t *testing.T, svc *analytics.Service, now time.Time) {
	q := analytics.Query{OrgID: "org_a", Metric: analytics.MetricViewers, From: now.Truncate(time.Hour).Add(-time.Hour), To: now.Truncate(time.Hour)}
	for _, tc := range []struct {
		name string
		p    analytics.Principal
		want error
	}{
		{"viewer", analytics.Principal{Kind: identity.KindUser, ID: "idn_1", Orgs: map[string]string{"org_a": "viewer"}}, nil},
		{"staff", analytics.Principal{Kind: identity.KindUser, ID: "idn_2", Staff: true}, nil},
		{"other member", analytics.Principal{Kind: identity.KindUser, ID: "idn_3", Orgs: map[string]string{"org_b": "owner"}}, analytics.ErrNotFound},
		{"machine with scope", analytics.Principal{Kind: identity.KindClient, ID: "cli_1", Orgs: map[string]string{"org_a": "scoped"}, Scopes: []string{analytics.ScopeRead}}, nil},
		{"machine without scope", analytics.Principal{Kind: identity.KindAPIKey, ID: "key_1", Orgs: map[string]string{"org_a": "scoped"}}, analytics.ErrForbidden},
		{"machine of another org", analytics.Principal{Kind: identity.KindClient, ID: "cli_2", Orgs: map[string]string{"org_b": "scoped"}, Scopes: []string{analytics.ScopeRead}}, analytics.ErrNotFound},
	} {
		_, err := svc.Overall(context.Background(), tc.p, q)
		if analytics.Code(err) != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

// reader may read every organization.
var reader = analytics.Principal{Kind: identity.KindUser, ID: "idn_test", Staff: true}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
