package upstream

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// outageTarget is a real HTTP server on a fixed loopback address that a
// test can stop and start again on the same address.
type outageTarget struct {
	addr string
	srv  *http.Server
}

func startOutageTarget(tb testing.TB, addr string) *outageTarget {
	tb.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatalf("listen on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})}
	go func() { _ = srv.Serve(ln) }()
	o := &outageTarget{addr: ln.Addr().String(), srv: srv}
	tb.Cleanup(o.stop)
	return o
}

// stop closes the listener and every connection: the target is gone.
func (o *outageTarget) stop() { _ = o.srv.Close() }

// loadDriver sends requests through a Service to its targets from several
// goroutines until stopped, and counts what happened, dials included.
type loadDriver struct {
	s       *Service
	dials   atomic.Int64
	ok      atomic.Int64 // 2xx answers
	failed  atomic.Int64 // attempts that failed
	refused atomic.Int64 // requests Acquire refused with ErrCircuitOpen
	notify  chan struct{}
	errs    chan error
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	// gate is held shared by each request from Acquire to Done, so that
	// holding it exclusively finds no request half done.
	gate sync.RWMutex
}

func startLoad(tb testing.TB, s *Service, workers int) *loadDriver {
	tb.Helper()
	d := &loadDriver{s: s, notify: make(chan struct{}, 1), errs: make(chan error, workers)}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	dialer := &net.Dialer{}
	for range workers {
		// A client per worker with one connection at most: a request
		// either reuses it or dials for itself, and no dial started for
		// one request can run late, during another.
		tr := &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				d.dials.Add(1)
				return dialer.DialContext(ctx, network, addr)
			},
			MaxConnsPerHost: 1,
		}
		tb.Cleanup(tr.CloseIdleConnections)
		client := &http.Client{Transport: tr}
		d.wg.Go(func() { d.run(ctx, client) })
	}
	tb.Cleanup(d.stop)
	return d
}

func (d *loadDriver) run(ctx context.Context, client *http.Client) {
	for ctx.Err() == nil {
		d.gate.RLock()
		refused := d.once(ctx, client)
		d.gate.RUnlock()
		select {
		case d.notify <- struct{}{}:
		default:
		}
		if refused {
			// Paces the refused requests; nothing is measured in time.
			time.Sleep(time.Millisecond)
		}
	}
}

// paused runs f while no request is between Acquire and Done.
func (d *loadDriver) paused(f func()) {
	d.gate.Lock()
	defer d.gate.Unlock()
	f()
}

// once sends one request, as the gateway's transport would, and reports
// whether the breaker refused it.
func (d *loadDriver) once(ctx context.Context, client *http.Client) (refused bool) {
	a, err := d.s.Acquire(nil)
	if errors.Is(err, ErrCircuitOpen) {
		d.refused.Add(1)
		return true
	}
	if err != nil {
		select {
		case d.errs <- err:
		default:
		}
		return false
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.Target().String()+"/", nil)
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			a.Done(Canceled)
			return false
		}
		d.failed.Add(1)
		a.Done(Failure)
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode >= 500 {
		d.failed.Add(1)
		a.Done(Failure)
		return false
	}
	d.ok.Add(1)
	a.Done(Success)
	return false
}

func (d *loadDriver) stop() {
	d.cancel()
	d.wg.Wait()
}

// waitUntil blocks until cond holds, re-checking after every request and
// every breaker event. The deadline only keeps a broken build from hanging.
func (d *loadDriver) waitUntil(tb testing.TB, rec *recorder, what string, cond func() bool) {
	tb.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case err := <-d.errs:
			tb.Fatalf("while waiting for %s: Acquire: %v", what, err)
		case <-d.notify:
		case <-rec.notify:
		case <-deadline:
			tb.Fatalf("never saw %s (ok %d, failed %d, refused %d, dials %d, breaker %v)",
				what, d.ok.Load(), d.failed.Load(), d.refused.Load(), d.dials.Load(), rec.breakerEvents())
		}
	}
}

// dialsWhile returns the dials so far, checked while no request is half
// done and the breaker is in state want.
func (d *loadDriver) dialsWhile(t *testing.T, want BreakerState) (dials int64) {
	t.Helper()
	d.paused(func() {
		if got := d.s.Snapshot().Breaker; got != want {
			t.Fatalf("got breaker %v, want %v", got, want)
		}
		dials = d.dials.Load()
	})
	return dials
}

// newOutageService is a single-target service with the gateway's default
// breaker and ejection, on clk.
func newOutageService(t *testing.T, clk *fakeClock, rec *recorder, target string) *Service {
	t.Helper()
	return mustNew(t, Options{
		Name:     "a",
		Targets:  mustURLs(t, "http://"+target),
		Outlier:  OutlierOptions{ConsecutiveFailures: 5},
		Breaker:  BreakerOptions{FailureRatio: 0.5},
		Observer: rec,
		Now:      clk.Now,
	})
}

// beginOutage stops the target under load and waits for the breaker to
// open. The clock first moves a window on, so that most successes before
// the outage no longer count, and stays put until the breaker has opened.
func beginOutage(t *testing.T, d *loadDriver, rec *recorder, clk *fakeClock, target *outageTarget) {
	t.Helper()
	d.waitUntil(t, rec, "50 answers before the outage", func() bool { return d.ok.Load() >= 50 })
	clk.Advance(DefaultBreakerWindow)
	target.stop()
	d.waitUntil(t, rec, "the breaker open", func() bool { return len(rec.breakerEvents()) >= 1 })
}

// assertNoDials checks that n more requests are refused by the open
// breaker without a single connection attempt.
func assertNoDials(t *testing.T, d *loadDriver, rec *recorder, n int64, step string) {
	t.Helper()
	dials, refused := d.dialsWhile(t, Open), d.refused.Load()
	d.waitUntil(t, rec, "more refused requests", func() bool { return d.refused.Load() >= refused+n })
	if got := d.dialsWhile(t, Open); got != dials {
		t.Errorf("%s: got %d dials during %d refused requests, want none", step, got-dials, d.refused.Load()-refused)
	}
}

// TestRecoveryAfterShortOutage takes the only target of a service under
// load away for 2s (on the service's clock) and brings it back on the same
// address: the breaker, open for 1s and then 2s, admits a trial 1s after
// the target's return, and the trial's success closes it.
func TestRecoveryAfterShortOutage(t *testing.T) {
	clk := newFakeClock()
	rec := newRecorder()
	target := startOutageTarget(t, "127.0.0.1:0")
	s := newOutageService(t, clk, rec, target.addr)
	d := startLoad(t, s, 4)

	beginOutage(t, d, rec, clk, target) // the breaker opens for 1s
	down := clk.Now()
	assertNoDials(t, d, rec, 200, "open for 1s")

	clk.Advance(time.Second) // trials, which fail: open for 2s
	d.waitUntil(t, rec, "the breaker open again", func() bool { return len(rec.breakerEvents()) >= 3 })
	assertNoDials(t, d, rec, 200, "open for 2s")

	clk.Advance(time.Second)
	back := startOutageTarget(t, target.addr)
	returned := clk.Now()
	if got := returned.Sub(down); got != 2*time.Second {
		t.Fatalf("outage: got %v, want 2s", got)
	}
	assertNoDials(t, d, rec, 100, "back, but the breaker still open")
	if got := s.Snapshot().Breaker; got != Open {
		t.Fatalf("1s into the 2s open time: got %v, want open", got)
	}

	clk.Advance(time.Second) // the open time is over: the next request is a trial
	ok := d.ok.Load()
	d.waitUntil(t, rec, "50 answers after the return", func() bool { return d.ok.Load() >= ok+50 })
	if got := clk.Now().Sub(returned); got > 1500*time.Millisecond {
		t.Errorf("answers again %v after the target returned, want within 1.5s", got)
	}
	want := []BreakerState{Open, HalfOpen, Open, HalfOpen, Closed}
	if got := rec.breakerEvents(); !slices.Equal(got, want) {
		t.Errorf("breaker events: got %v, want %v", got, want)
	}
	d.stop()
	back.stop()
}

// TestTargetThatStaysDownCostsNoDials keeps the only target down through
// the whole backoff: every open time refuses requests without a connection
// attempt, and each trial round costs at most half_open_requests dials.
func TestTargetThatStaysDownCostsNoDials(t *testing.T) {
	clk := newFakeClock()
	rec := newRecorder()
	target := startOutageTarget(t, "127.0.0.1:0")
	s := newOutageService(t, clk, rec, target.addr)
	d := startLoad(t, s, 4)

	beginOutage(t, d, rec, clk, target)
	for i, open := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second, 15 * time.Second} {
		assertNoDials(t, d, rec, 100, "open for "+open.String())
		if got := s.RetryAfter(); got != open {
			t.Fatalf("round %d: got RetryAfter %v, want %v", i, got, open)
		}
		dials := d.dialsWhile(t, Open)
		clk.Advance(open)
		d.waitUntil(t, rec, "the breaker open again after the trials", func() bool { return len(rec.breakerEvents()) >= 3+2*i })
		if got := d.dialsWhile(t, Open) - dials; got < 1 || got > DefaultHalfOpenRequests {
			t.Errorf("trial round %d: got %d dials, want 1 to %d", i, got, DefaultHalfOpenRequests)
		}
	}
	d.stop()
}
