package analyticsnats

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/analytics/analyticsstore"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

// EnvNATSURL names the environment variable holding the NATS server (with
// JetStream) the tests use. Without it they skip, except when CI is
// "true": there a missing URL fails, so CI cannot pass without having run
// against NATS.
const EnvNATSURL = "PORTICO_TEST_NATS_URL"

// mustJetStream connects to the test server, closed when the test ends.
func mustJetStream(tb testing.TB) jetstream.JetStream {
	tb.Helper()
	url := os.Getenv(EnvNATSURL)
	if url == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("CI=true but %s is not set; the NATS tests must run in CI", EnvNATSURL)
		}
		tb.Skip("NATS tests skipped: set " + EnvNATSURL)
	}
	nc, err := nats.Connect(url, nats.Name(tb.Name()))
	if err != nil {
		tb.Fatalf("connect to %s: %v", EnvNATSURL, err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatalf("jetstream: %v", err)
	}
	return js
}

// testOptions names a stream, subjects and durable of the test's own,
// deletes the stream when the test ends, and keeps delays short.
func testOptions(tb testing.TB, js jetstream.JetStream) Options {
	tb.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	id := hex.EncodeToString(b)
	o := Options{
		Stream:        "PORTICO_TEST_" + strings.ToUpper(id),
		SubjectPrefix: "portico.test." + id + ".beacons",
		Durable:       "writer",
		MaxAge:        time.Hour,
		MaxBytes:      256 << 20,
		AckWait:       2 * time.Second,
		FetchWait:     200 * time.Millisecond,
		NakDelay:      100 * time.Millisecond,
		MaxNakDelay:   200 * time.Millisecond,
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := js.DeleteStream(ctx, o.Stream); err != nil {
			tb.Errorf("delete stream %s: %v", o.Stream, err)
		}
	})
	return o
}

// mustStore opens an analytics store on b.
func mustStore(tb testing.TB, b sqldbtest.Backend) *analyticsstore.Store {
	tb.Helper()
	s, err := analyticsstore.Open(tb.Context(), b.Open(tb))
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	return s
}

func sqlite(tb testing.TB) sqldbtest.Backend { return sqldbtest.Backends(tb)[0] }

// runWriters runs n writers over store until the test ends.
func runWriters(t testing.TB, js jetstream.JetStream, store analytics.Store, o Options, n int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, n)
	for range n {
		w, err := NewWriter(t.Context(), js, store, o)
		if err != nil {
			t.Fatalf("new writer: %v", err)
		}
		go func() { done <- w.Run(ctx) }()
	}
	t.Cleanup(func() {
		cancel()
		for range n {
			if err := <-done; err != nil {
				t.Errorf("writer: %v", err)
			}
		}
	})
}

// waitDrained waits until the durable has nothing pending or unacked.
func waitDrained(t testing.TB, js jetstream.JetStream, o Options) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := js.Consumer(t.Context(), o.Stream, o.Durable)
		if err != nil {
			t.Fatalf("consumer: %v", err)
		}
		info, err := c.Info(t.Context())
		if err != nil {
			t.Fatalf("consumer info: %v", err)
		}
		if info.NumPending == 0 && info.NumAckPending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream not drained: %d pending, %d unacked", info.NumPending, info.NumAckPending)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// resolver resolves "key-<org>-<n>" to integration n of org.
type resolver struct{}

func (resolver) Resolve(_ context.Context, key string) (analytics.Integration, error) {
	var org string
	var n int
	if _, err := fmt.Sscanf(strings.ReplaceAll(key, "-", " "), "key %s %d", &org, &n); err != nil {
		return analytics.Integration{}, &analytics.Error{Code: analytics.ErrNotFound, Message: "no such key"}
	}
	return analytics.Integration{ID: fmt.Sprintf("int_%s_%d", org, n), OrgID: org, Status: analytics.StatusActive,
		Domains: []string{"example.com"}}, nil
}

// traffic returns batches of random beacons of orgs over the hour before
// now, with retried batches and beacons sent twice across batches.
func traffic(seed uint64, now time.Time, orgs []string, batches int) []analytics.IngestRequest {
	rng := mrand.New(mrand.NewPCG(seed, 1))
	seqs := map[string]int64{}
	sent := map[string][]analytics.Beacon{}
	var out []analytics.IngestRequest
	for len(out) < batches {
		if len(out) > 0 && rng.IntN(8) == 0 {
			out = append(out, out[rng.IntN(len(out))]) // a retried batch
			continue
		}
		org := orgs[rng.IntN(len(orgs))]
		req := analytics.IngestRequest{DeliveryKey: fmt.Sprintf("key-%s-%d", org, rng.IntN(2)),
			Origin: "https://example.com", Country: []string{"FR", "US", "BR"}[rng.IntN(3)],
			ISP: []string{"Orange", "Comcast"}[rng.IntN(2)], ReceivedAt: now}
		for range 1 + rng.IntN(40) {
			sid := fmt.Sprintf("s%03d", rng.IntN(60))
			// The same player sends a beacon again in a later batch: same
			// key, same edge headers, so the same Ingested.
			from := req.DeliveryKey + "/" + req.Country + "/" + req.ISP + "/" + sid
			if prev := sent[from]; len(prev) > 0 && rng.IntN(10) == 0 {
				req.Beacons = append(req.Beacons, prev[rng.IntN(len(prev))])
				continue
			}
			seq := seqs[org+sid]
			seqs[org+sid] = seq + 1
			b := analytics.Beacon{SessionID: sid, Sequence: seq,
				Time:      now.Add(-time.Duration(rng.IntN(3600)) * time.Second).Add(time.Duration(rng.IntN(1e6)) * time.Microsecond),
				ContentID: fmt.Sprintf("c%d", rng.IntN(5)), StreamType: []analytics.StreamType{"live", "vod"}[rng.IntN(2)],
				Platform: []analytics.Platform{"web", "ios", "android"}[rng.IntN(3)], Player: "hls.js/1.5.7",
				SDKVersion: "2.1.0", Network: "wifi", CDNBytes: rng.Int64N(1 << 20), P2PBytes: rng.Int64N(1 << 20),
				UploadBytes: rng.Int64N(1 << 18), PlayedMS: rng.Int64N(10000), BufferedMS: rng.Int64N(500), StartupMS: -1}
			if seq == 0 {
				b.StartupMS = rng.Int64N(3000)
			}
			if rng.IntN(20) == 0 {
				b.ErrorCode = "E42"
			}
			req.Beacons = append(req.Beacons, b)
			sent[from] = append(sent[from], b)
		}
		out = append(out, req)
	}
	return out
}

// ingestAll ingests reqs through svc and returns the beacons accepted.
func ingestAll(t testing.TB, svc *analytics.Service, reqs []analytics.IngestRequest) int {
	t.Helper()
	accepted := 0
	for i, req := range reqs {
		res, err := svc.Ingest(t.Context(), req)
		if err != nil {
			t.Fatalf("ingest batch %d: %v", i, err)
		}
		if len(res.Refused) > 0 {
			t.Fatalf("ingest batch %d: refused %+v", i, res.Refused)
		}
		accepted += res.Accepted
	}
	return accepted
}

// assertSameRollups compares every level's sums, sketches and exact
// session counts of got and want for orgs over [from, to), by bucket and
// by each dimension.
func assertSameRollups(t *testing.T, got, want analytics.Store, orgs []string, from, to time.Time) {
	t.Helper()
	ctx := t.Context()
	for _, org := range orgs {
		for _, l := range analytics.Levels {
			for _, g := range append([]analytics.Dimension{""}, analytics.Dimensions...) {
				q := analytics.RollupQuery{OrgID: org, Level: l, Ranges: []analytics.Range{{From: from, To: to}},
					GroupBy: g, ByBucket: g == "", Histogram: true}
				what := fmt.Sprintf("org %s level %v group %q", org, l, g)
				gs, err1 := got.Sums(ctx, q)
				ws, err2 := want.Sums(ctx, q)
				if err1 != nil || err2 != nil {
					t.Fatalf("%s: sums: %v, %v", what, err1, err2)
				}
				if len(ws) == 0 {
					t.Fatalf("%s: no rollups to compare", what)
				}
				if !reflect.DeepEqual(gs, ws) {
					t.Errorf("%s: sums got %+v, want %+v", what, gs, ws)
				}
				gk, err1 := got.Sketches(ctx, q)
				wk, err2 := want.Sketches(ctx, q)
				if err1 != nil || err2 != nil {
					t.Fatalf("%s: sketches: %v, %v", what, err1, err2)
				}
				if len(gk) != len(wk) {
					t.Fatalf("%s: sketch rows got %d, want %d", what, len(gk), len(wk))
				}
				for i := range gk {
					if gk[i].Key != wk[i].Key || !gk[i].Bucket.Equal(wk[i].Bucket) || gk[i].Sketch.Estimate() != wk[i].Sketch.Estimate() {
						t.Errorf("%s: sketch row %d got %v %q %d, want %v %q %d", what, i, gk[i].Bucket, gk[i].Key,
							gk[i].Sketch.Estimate(), wk[i].Bucket, wk[i].Key, wk[i].Sketch.Estimate())
					}
				}
			}
		}
		sq := analytics.SessionsQuery{OrgID: org, Width: 10 * time.Minute, From: from, To: to, GroupBy: analytics.DimPlatform}
		gc, err1 := got.CountSessions(ctx, sq)
		wc, err2 := want.CountSessions(ctx, sq)
		if err1 != nil || err2 != nil {
			t.Fatalf("org %s: count sessions: %v, %v", org, err1, err2)
		}
		if !reflect.DeepEqual(gc, wc) {
			t.Errorf("org %s: sessions got %+v, want %+v", org, gc, wc)
		}
	}
}

// totalBeacons is the org's beacons in its day rollups over [from, to).
func totalBeacons(t *testing.T, s analytics.Store, org string, from, to time.Time) int64 {
	t.Helper()
	rows, err := s.Sums(t.Context(), analytics.RollupQuery{OrgID: org, Level: analytics.LevelDay,
		Ranges: []analytics.Range{{From: from, To: to}}})
	if err != nil {
		t.Fatalf("sums: %v", err)
	}
	var n int64
	for _, r := range rows {
		n += r.Sums.Beacons
	}
	return n
}

// window returns a fixed clock and day-aligned bounds around it.
func window() (now, from, to time.Time) {
	now = time.Now().UTC().Truncate(time.Second)
	day := now.Truncate(24 * time.Hour)
	return now, day.Add(-24 * time.Hour), day.Add(48 * time.Hour)
}
