package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/analytics/analyticsstore"
	"github.com/portico-gw/portico/internal/analytics/simulate"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

func noEnv(string) (string, bool) { return "", false }

func TestSimulateCommand(t *testing.T) {
	sent := map[string][]time.Time{} // each order's batches' last event times, as posted
	for _, order := range []string{"send", "session"} {
		var beacons atomic.Int64
		gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v1/beacons" || r.Header.Get("Origin") != "https://www.acme.example" {
				http.Error(w, `{"status":404}`, http.StatusNotFound)
				return
			}
			body, _ := io.ReadAll(r.Body)
			bs, refused, err := analytics.DecodeBatch(body, analytics.BatchLimits{})
			if err != nil || len(refused) > 0 || len(bs) == 0 {
				t.Errorf("batch: %v %v", err, refused)
				return
			}
			beacons.Add(int64(len(bs)))
			sent[order] = append(sent[order], bs[len(bs)-1].Time) // one request at a time
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"accepted":`+itoa(len(bs))+`,"duplicates":0,"refused":[]}`)
		}))
		var stdout, stderr bytes.Buffer
		code := runSimulate(t.Context(), []string{"--gateway", gw.URL, "--key", "pk_one,pk_two", "--key", "pk_three",
			"--origin", "https://www.acme.example", "--days", "0.25", "--peak-viewers", "40", "--max-beacons", "3000", "--seed", "3",
			"--concurrency", "1", "--order", order},
			noEnv, &stdout, &stderr)
		gw.Close()
		if code != 0 {
			t.Fatalf("--order %s: exit %d: %s %s", order, code, stdout.String(), stderr.String())
		}
		if beacons.Load() == 0 || beacons.Load() > 3000 || !strings.Contains(stdout.String(), itoa(int(beacons.Load()))+" accepted") {
			t.Fatalf("--order %s: gateway got %d beacons; stdout %s", order, beacons.Load(), stdout.String())
		}
	}
	if len(sent["send"]) != len(sent["session"]) {
		t.Fatalf("%d batches in send order, %d in session order", len(sent["send"]), len(sent["session"]))
	}
	sorted := func(ts []time.Time) bool {
		return slices.IsSortedFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	}
	if !sorted(sent["send"]) || sorted(sent["session"]) {
		t.Fatalf("batches by the time of their last beacon: in send order %v, in session order %v (want true, false)",
			sorted(sent["send"]), sorted(sent["session"]))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestSimulateCommandRefusesBadRanges(t *testing.T) {
	for name, args := range map[string][]string{
		"no key":             {"--origin", "https://a.example"},
		"no origin":          {"--key", "k"},
		"too old":            {"--key", "k", "--origin", "https://a.example", "--days", "3"},
		"from and days":      {"--key", "k", "--origin", "https://a.example", "--days", "1", "--from", "2026-01-01T00:00:00Z"},
		"future":             {"--key", "k", "--origin", "https://a.example", "--to", time.Now().Add(time.Hour).Format(time.RFC3339)},
		"bad event":          {"--key", "k", "--origin", "https://a.example", "--event-start", "tonight"},
		"stray argument":     {"--key", "k", "--origin", "https://a.example", "now"},
		"negative rate":      {"--key", "k", "--origin", "https://a.example", "--rate", "-5"},
		"rate not a number":  {"--key", "k", "--origin", "https://a.example", "--rate", "NaN"},
		"unknown order":      {"--key", "k", "--origin", "https://a.example", "--order", "random"},
		"no batch":           {"--key", "k", "--origin", "https://a.example", "--batch-size", "0"},
		"batch too large":    {"--key", "k", "--origin", "https://a.example", "--batch-size", "100000"},
		"heartbeat too fast": {"--key", "k", "--origin", "https://a.example", "--heartbeat", "100ms"},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := runSimulate(t.Context(), args, noEnv, &stdout, &stderr); code != 2 {
				t.Fatalf("got exit %d, want 2 (%s)", code, stderr.String())
			}
		})
	}
}

// demoResolver is the configs service's stand-in: the demo integrations.
type demoResolver map[string]analytics.Integration

func (r demoResolver) Resolve(_ context.Context, key string) (analytics.Integration, error) {
	if in, ok := r[key]; ok {
		return in, nil
	}
	return analytics.Integration{}, analytics.NewError(analytics.ErrNotFound, "no such delivery key")
}

// demoTraffic into a real analytics Service on SQLite: everything is
// stored, with countries and ISPs.
func TestSimulateDemoTraffic(t *testing.T) {
	ctx := t.Context()
	db, err := sqldb.Open(ctx, filepath.Join(t.TempDir(), "analytics.db"), sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store, err := analyticsstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Minute)
	svc := analytics.NewService(store, demoResolver{
		"pk_web": {ID: "int_web", OrgID: "org_acme", Status: analytics.StatusActive, Domains: []string{"acme.example"}},
		"pk_tv":  {ID: "int_tv", OrgID: "org_acme", Status: analytics.StatusActive, Domains: []string{"tv.acme.example"}, BundleIDs: []string{"com.acme.tv"}},
	}, analytics.WithClock(func() time.Time { return now }))
	var withCountry atomic.Int64
	ingest := func(ctx context.Context, req analytics.IngestRequest) (analytics.IngestResult, error) {
		if req.Country != "" && req.ISP != "" {
			withCountry.Add(int64(len(req.Beacons)))
		}
		return svc.Ingest(ctx, req)
	}
	integrations := []demoIntegration{
		{Key: "pk_web", Origin: "https://www.acme.example", Weight: 3},
		{Key: "pk_tv", Origin: "https://tv.acme.example", BundleID: "com.acme.tv", Weight: 1},
	}
	// The demo's own options, fewer beacons: the test checks the path,
	// not the volume (which demoTraffic's options bound).
	o := demoOptions(integrations, 1, now)
	if sim, err := simulate.New(o); err != nil || sim.Expected() > demoMaxBeacons {
		t.Fatalf("demo options: %v", err)
	}
	o.MaxBeacons = 5000
	totals := newTrafficTotals()
	sum, err := seedTraffic(ctx, totals.counting(ingest), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Beacons == 0 || sum.Accepted != sum.Beacons || int(withCountry.Load()) != sum.Beacons {
		t.Fatalf("got %s (%d with a country): want every beacon stored with its country", sum, withCountry.Load())
	}
	t.Logf("demo traffic: %s", sum)

	// What analytics answers over the whole window equals what was sent.
	if len(totals.seen) != sum.Accepted {
		t.Fatalf("totals count %d beacons, analytics accepted %d", len(totals.seen), sum.Accepted)
	}
	owner := analytics.Principal{Kind: identity.KindUser, ID: "usr_owner", Orgs: map[string]string{"org_acme": "owner"}}
	for metric, want := range map[string]float64{
		"cdn_bytes": float64(totals.cdn), "p2p_bytes": float64(totals.p2p), "viewers": float64(len(totals.sessions)),
	} {
		q, err := analytics.ParseQuery("org_acme", url.Values{"metric": {metric}, "timeframe[]": {
			o.Start.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339)}}, now)
		if err != nil {
			t.Fatal(err)
		}
		v, err := svc.Overall(ctx, owner, q)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Valid || v.Number != want || v.Approximate {
			t.Errorf("%s over the demo's window = %+v, want exactly %v, the sum of the beacons sent", metric, v, want)
		}
	}
}
