package simulate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// smallTraffic is a few dozen batches.
func smallTraffic(tb testing.TB) *Simulator {
	tb.Helper()
	o := testOptions()
	o.Start, o.PeakViewers, o.LiveEvent, o.MaxBeacons = testEnd.Add(-30*time.Minute), 20, nil, 400
	return mustNew(tb, o)
}

var fastRetries = SendOptions{Concurrency: 3, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}

// gatewayStandIn answers like POST /v1/beacons after fail(n) for the
// n-th request (from 1), when it returns a status other than 0.
func gatewayStandIn(t *testing.T, fail func(n int64) (int, string)) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != BeaconsPath || r.Header.Get("Content-Type") != "application/json" ||
			r.Header.Get("Portico-Delivery-Key") == "" || (r.Header.Get("Origin") == "" && r.Header.Get("Portico-Bundle-Id") == "") ||
			r.Header.Get("X-Client-Country") == "" || r.Header.Get("X-Client-ISP") == "" {
			t.Errorf("request %s %s with headers %v", r.Method, r.URL.Path, r.Header)
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return // the client went away
		}
		beacons, refused, err := analytics.DecodeBatch(body, analytics.BatchLimits{})
		if err != nil || len(refused) > 0 {
			t.Errorf("batch: %v %v", err, refused)
		}
		if status, answer := fail(n); status != 0 {
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(status)
			io.WriteString(w, answer)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"accepted":`+itoa(len(beacons))+`,"duplicates":0,"refused":[]}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func TestSimulateSendRetriesUnavailable(t *testing.T) {
	// Every batch fails twice: unavailable, then overloaded.
	var mu sync.Mutex
	attempts := map[string]int{}
	srv, requests := gatewayStandIn(t, func(int64) (int, string) { return 0, "" })
	inner := srv.Config.Handler
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		attempts[string(body)]++
		n := attempts[string(body)]
		mu.Unlock()
		switch n {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		case 2:
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		inner.ServeHTTP(w, r)
	})
	sim := smallTraffic(t)
	sum, err := Send(t.Context(), sim.Batches, HTTPDestination{URL: srv.URL + "/"}, fastRetries)
	if err != nil {
		t.Fatalf("Send: %v (%s)", err, sum)
	}
	if sum.Beacons == 0 || sum.Accepted != sum.Beacons || sum.Failed != 0 || sum.RefusedTotal() != 0 {
		t.Fatalf("got %s, want every beacon accepted", sum)
	}
	if got := requests.Load(); got != int64(sum.Batches) || sum.Retries != 2*sum.Batches {
		t.Fatalf("got %d requests through and %d retries of %d batches: want two retries each", got, sum.Retries, sum.Batches)
	}
}

func TestSimulateSendNoRetryOn4xx(t *testing.T) {
	srv, requests := gatewayStandIn(t, func(int64) (int, string) {
		return http.StatusForbidden, `{"status":403,"reason":"origin-not-allowed"}`
	})
	sum, err := Send(t.Context(), smallTraffic(t).Batches, HTTPDestination{URL: srv.URL}, fastRetries)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := requests.Load(); got != int64(sum.Batches) || sum.Retries != 0 {
		t.Fatalf("got %d requests, %d retries for %d batches: want one each", got, sum.Retries, sum.Batches)
	}
	if sum.Refused["origin-not-allowed"] != sum.Beacons || sum.Accepted != 0 {
		t.Fatalf("got %s, want every beacon refused for its origin", sum)
	}
}

func TestSimulateSendPerBeaconRefusals(t *testing.T) {
	srv, _ := gatewayStandIn(t, func(int64) (int, string) {
		return http.StatusUnprocessableEntity, `{"status":422,"refused":[{"index":0,"reason":"too-late"},{"index":1,"reason":"too-late"}]}`
	})
	sum, err := Send(t.Context(), smallTraffic(t).Batches, HTTPDestination{URL: srv.URL}, fastRetries)
	if err != nil || sum.Refused["too-late"] != 2*sum.Batches {
		t.Fatalf("got %s, %v: want two too-late refusals a batch", sum, err)
	}
}

func TestSimulateSendGivesUp(t *testing.T) {
	srv, requests := gatewayStandIn(t, func(int64) (int, string) { return http.StatusBadGateway, `{}` })
	o := fastRetries
	o.Retries, o.MaxFailedBatches = 2, 4
	sum, err := Send(t.Context(), smallTraffic(t).Batches, HTTPDestination{URL: srv.URL}, o)
	if !errors.Is(err, ErrGaveUp) {
		t.Fatalf("got %v, want ErrGaveUp", err)
	}
	if sum.FailedBatches < 4 || sum.Accepted != 0 {
		t.Fatalf("got %s", sum)
	}
	if max := int64((o.MaxFailedBatches + o.Concurrency) * (o.Retries + 1)); requests.Load() > max {
		t.Fatalf("got %d requests, want at most %d", requests.Load(), max)
	}
}

func TestSimulateSendIngestDestination(t *testing.T) {
	var calls, withPlace atomic.Int64
	ingest := IngestFunc(func(_ context.Context, req analytics.IngestRequest) (analytics.IngestResult, error) {
		n := calls.Add(1)
		if req.Country != "" && req.ISP != "" {
			withPlace.Add(1)
		}
		switch {
		case n == 1:
			return analytics.IngestResult{}, errors.New("database is locked")
		case req.DeliveryKey == "key-apps":
			return analytics.IngestResult{}, &analytics.Error{Code: analytics.ErrRefused, Reason: analytics.ReasonDisabled}
		}
		return analytics.IngestResult{Accepted: len(req.Beacons)}, nil
	})
	sum, err := Send(t.Context(), smallTraffic(t).Batches, IngestDestination{Ingester: ingest}, fastRetries)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Retries != 1 || sum.Accepted == 0 || sum.Refused[analytics.ReasonDisabled] == 0 ||
		sum.Accepted+sum.Refused[analytics.ReasonDisabled] != sum.Beacons {
		t.Fatalf("got %s: want one retry, the web integration accepted and the apps one disabled", sum)
	}
	if withPlace.Load() != calls.Load() {
		t.Fatalf("got %d of %d requests with country and ISP", withPlace.Load(), calls.Load())
	}
}

func TestSimulateSendStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	block := make(chan struct{})
	var calls atomic.Int64
	ingest := IngestFunc(func(ctx context.Context, req analytics.IngestRequest) (analytics.IngestResult, error) {
		if calls.Add(1) == 2 {
			cancel()
		}
		select {
		case <-ctx.Done():
			return analytics.IngestResult{}, ctx.Err()
		case <-block:
		}
		return analytics.IngestResult{}, nil
	})
	sum, err := Send(ctx, smallTraffic(t).Batches, IngestDestination{Ingester: ingest}, fastRetries)
	if !errors.Is(err, context.Canceled) || sum.Failed != 0 {
		t.Fatalf("got %s, %v: want context.Canceled and nothing failed", sum, err)
	}
}

// Send keeps its connections: a second run of as many batches in flight
// dials (almost) none, where too small an idle pool closed and dialled
// again a connection for many of them.
func TestSimulateSendReusesConnections(t *testing.T) {
	var dials atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"accepted":0,"duplicates":0,"refused":[]}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	batches := benchBatches(t)
	tr := defaultClient.Transport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	dst := HTTPDestination{URL: srv.URL, Client: &http.Client{Transport: tr}}
	o := SendOptions{Concurrency: 128}
	for run := range 2 {
		dials.Store(0)
		if sum, err := Send(t.Context(), slices.Values(batches), dst, o); err != nil || sum.Failed > 0 {
			t.Fatalf("got %s, %v", sum, err)
		}
		t.Logf("run %d: %d connections for %d batches", run, dials.Load(), len(batches))
	}
	if got, most := dials.Load(), int64(o.Concurrency/8); got > most {
		t.Fatalf("the second run dialled %d connections, want at most %d", got, most)
	}
}

// TestSimulateSendPaced checks the Rate: no batch is handed over before
// its time (the beacons before it over the rate), and a destination that
// cannot keep up shows as Behind.
func TestSimulateSendPaced(t *testing.T) {
	const rate = 4000.0 // beacons per second: smallTraffic's 400 in about 0.1s
	var (
		mu     sync.Mutex
		before int // beacons of the batches that arrived so far
		early  []string
	)
	begin := time.Now()
	ingest := IngestFunc(func(_ context.Context, req analytics.IngestRequest) (analytics.IngestResult, error) {
		mu.Lock()
		defer mu.Unlock()
		// With 3 in flight, batches arrive out of the order they were
		// handed over in by up to two: the bound leaves three batches'
		// beacons aside.
		if due := time.Duration(float64(before-3*DefaultBatchSize) / rate * float64(time.Second)); time.Since(begin) < due {
			early = append(early, fmt.Sprintf("after %d beacons at %s, due %s", before, time.Since(begin), due))
		}
		before += len(req.Beacons)
		return analytics.IngestResult{Accepted: len(req.Beacons)}, nil
	})
	o := fastRetries
	o.Rate = rate
	begin = time.Now()
	sum, err := Send(t.Context(), smallTraffic(t).Batches, IngestDestination{Ingester: ingest}, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(early) > 0 {
		t.Errorf("batches handed over before their time: %v", early)
	}
	if least := time.Duration(float64(sum.Beacons-DefaultBatchSize) / rate * float64(time.Second)); sum.Elapsed < least {
		t.Errorf("%d beacons at %g/s took %s, under %s", sum.Beacons, rate, sum.Elapsed, least)
	}
	if sum.P50 <= 0 || sum.P99 < sum.P50 {
		t.Errorf("delivery p50 %s p99 %s", sum.P50, sum.P99)
	}

	// One batch in flight, each taking 20ms, against a rate no destination
	// keeps: the k-th batch waits for the k-2 before it.
	slow := IngestFunc(func(_ context.Context, req analytics.IngestRequest) (analytics.IngestResult, error) {
		time.Sleep(20 * time.Millisecond)
		return analytics.IngestResult{Accepted: len(req.Beacons)}, nil
	})
	sum, err = Send(t.Context(), smallTraffic(t).Batches, IngestDestination{Ingester: slow}, SendOptions{Concurrency: 1, Rate: 1e9})
	if err != nil {
		t.Fatal(err)
	}
	if least := time.Duration(sum.Batches-3) * 20 * time.Millisecond; sum.Behind < least {
		t.Errorf("%d batches of 20ms one at a time: %s behind, want %s at least", sum.Batches, sum.Behind, least)
	}
}
