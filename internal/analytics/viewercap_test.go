package analytics_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/analytics/analyticsstore"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

const capKey = "dk_0123456789abcdefghjk"

type oneIntegration struct{}

func (oneIntegration) Resolve(_ context.Context, key string) (analytics.Integration, error) {
	if key != capKey {
		return analytics.Integration{}, analytics.ErrNotFound
	}
	return analytics.Integration{ID: "int_cap", OrgID: "org_cap", Status: analytics.StatusActive}, nil
}

// plans is a PlanSource whose caps the test changes.
type plans struct {
	mu    sync.Mutex
	caps  map[string]int64
	err   error
	calls int
}

func (p *plans) ViewerCap(_ context.Context, org string) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	return p.caps[org], p.err
}

func (p *plans) set(cap int64, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.caps["org_cap"], p.err = cap, err
}

// TestViewerCap: at the plan's cap, beacons that start sessions are
// refused with over-cap and the others stored; below it, or when the cap
// cannot be learnt, everything is stored.
func TestViewerCap(t *testing.T) {
	for _, be := range sqldbtest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			be.Require(t)
			store, err := analyticsstore.Open(t.Context(), be.Open(t))
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC().Truncate(time.Minute).Add(10 * time.Second)
			clock := func() time.Time { return now }
			pl := &plans{caps: map[string]int64{}}
			pl.set(3, nil)
			svc := analytics.NewService(store, oneIntegration{}, analytics.WithClock(clock),
				analytics.WithViewerCaps(pl, 15*time.Second))
			ingest := func(bs ...analytics.Beacon) analytics.IngestResult {
				t.Helper()
				res, err := svc.Ingest(t.Context(), analytics.IngestRequest{DeliveryKey: capKey, Origin: "http://localhost",
					Beacons: bs, ReceivedAt: now})
				if err != nil {
					t.Fatalf("ingest: %v", err)
				}
				return res
			}
			beacon := func(session string, seq int64, at time.Time) analytics.Beacon {
				return analytics.Beacon{SessionID: session, Sequence: seq, Time: at, ContentID: "c",
					StreamType: analytics.StreamVOD, Platform: analytics.PlatformWeb, Network: analytics.NetworkWiFi,
					PlayedMS: 1000, StartupMS: -1}
			}
			// Three sessions watch during the previous minute.
			prev := now.Truncate(time.Minute).Add(-30 * time.Second)
			if res := ingest(beacon("s1", 0, prev), beacon("s2", 0, prev), beacon("s3", 0, prev)); res.Accepted != 3 {
				t.Fatalf("under the cap: %+v", res)
			}
			// The cap learnt at the first batch (0 watching) holds until
			// the refresh.
			if res := ingest(beacon("s4", 0, now)); res.Accepted != 1 {
				t.Fatalf("before the refresh: %+v", res)
			}
			now = now.Add(15 * time.Second)
			res := ingest(beacon("s5", 0, now), beacon("s1", 1, now), beacon("s6", 3, now))
			if res.Accepted != 2 || len(res.Refused) != 1 || res.Refused[0].Reason != analytics.ReasonOverCap ||
				res.Refused[0].Index != 0 || res.Refused[0].Pointer != "/beacons/0/seq" {
				t.Fatalf("at the cap: %+v, want the new session refused over-cap and the others stored", res)
			}
			calls := pl.calls
			ingest(beacon("s7", 0, now))
			if pl.calls != calls {
				t.Errorf("the plan was asked again within the refresh: %d calls, want %d", pl.calls, calls)
			}
			pl.set(10, nil)
			now = now.Add(15 * time.Second)
			if res := ingest(beacon("s8", 0, now)); res.Accepted != 1 {
				t.Fatalf("after the cap was raised: %+v", res)
			}
			pl.set(1, errors.New("accounts is down"))
			now = now.Add(15 * time.Second)
			if res := ingest(beacon("s9", 0, now)); res.Accepted != 1 {
				t.Fatalf("with the plan unknown: %+v, want stored", res)
			}
			pl.set(0, nil)
			now = now.Add(15 * time.Second)
			if res := ingest(beacon("s10", 0, now)); res.Accepted != 1 {
				t.Fatalf("with no cap: %+v", res)
			}
		})
	}
}

func TestHTTPPlanSource(t *testing.T) {
	answers := map[string]string{
		"org_good":  `{"id":"org_good","status":"active","staff":false,"viewer_cap":250}`,
		"org_other": `{"id":"org_else","status":"active","staff":false,"viewer_cap":250}`,
		"org_nocap": `{"id":"org_nocap","status":"active","staff":false}`,
		"org_neg":   `{"id":"org_neg","status":"active","staff":false,"viewer_cap":-1}`,
		"org_bad":   `{"id":`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/internal/v1/orgs/org_moved" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		a, ok := answers[r.URL.Path[len("/internal/v1/orgs/"):]]
		if !ok {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"status":404}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, a)
	}))
	t.Cleanup(srv.Close)
	src, err := analytics.NewHTTPPlanSource(srv.URL+"/", srv.Client(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := src.ViewerCap(t.Context(), "org_good"); err != nil || c != 250 {
		t.Errorf("org_good: %d, %v; want 250", c, err)
	}
	for _, org := range []string{"org_other", "org_nocap", "org_neg", "org_bad", "org_missing", "org_moved", "../x"} {
		if c, err := src.ViewerCap(t.Context(), org); err == nil {
			t.Errorf("%s: got cap %d and no error", org, c)
		}
	}
	if _, err := analytics.NewHTTPPlanSource("accounts:8082", nil, 0); err == nil {
		t.Error("a URL without scheme was accepted")
	}
}
