package upstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// flipServer answers its health path with a status tests can change.
type flipServer struct {
	*httptest.Server
	status atomic.Int32
	probes atomic.Int32
	paths  chan string
}

func newFlipServer(t *testing.T) *flipServer {
	t.Helper()
	f := &flipServer{paths: make(chan string, 100)}
	f.status.Store(http.StatusOK)
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.probes.Add(1)
		select {
		case f.paths <- r.URL.RequestURI():
		default:
		}
		status := int(f.status.Load())
		if status >= 300 && status < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(f.Close)
	return f
}

func newHealthService(t *testing.T, obs Observer, h *HealthCheckOptions, urls ...string) *Service {
	t.Helper()
	return mustNew(t, Options{Name: "a", Targets: mustURLs(t, urls...), HealthCheck: h, Observer: obs})
}

func TestHealthCheckMarksDownAndUp(t *testing.T) {
	ctx := t.Context()
	flaky, steady := newFlipServer(t), newFlipServer(t)
	rec := newRecorder()
	s := newHealthService(t, rec, &HealthCheckOptions{HealthyThreshold: 2, UnhealthyThreshold: 3}, flaky.URL, steady.URL)

	step := func(status int, wantHealthy bool) {
		t.Helper()
		flaky.status.Store(int32(status))
		s.CheckHealth(ctx)
		if got := targetState(t, s, flaky.URL).Healthy; got != wantHealthy {
			t.Fatalf("after a %d probe: got healthy %v, want %v", status, got, wantHealthy)
		}
	}
	step(200, true)
	step(500, true)
	step(500, true)
	step(500, false)
	for range 20 {
		if got := pickOnce(t, s, Success); got != steady.URL {
			t.Fatalf("got unhealthy target %s picked", got)
		}
	}
	step(200, false)
	step(500, false) // a failure breaks the run of successes
	step(200, false)
	step(200, true)

	want := []string{flaky.URL + " unhealthy", flaky.URL + " healthy"}
	if got := rec.healthEvents(); !slices.Equal(got, want) {
		t.Errorf("health events: got %v, want %v", got, want)
	}
	if got := targetState(t, s, steady.URL); !got.Healthy {
		t.Errorf("steady target: got %+v, want healthy", got)
	}
}

func TestHealthCheckStatuses(t *testing.T) {
	cases := []struct {
		status int
		want   bool
	}{
		{200, true}, {204, true}, {302, true}, {399, true},
		{404, false}, {429, false}, {500, false}, {503, false},
	}
	for _, c := range cases {
		t.Run(http.StatusText(c.status), func(t *testing.T) {
			srv := newFlipServer(t)
			srv.status.Store(int32(c.status))
			s := newHealthService(t, nil, &HealthCheckOptions{UnhealthyThreshold: 1}, srv.URL)
			s.CheckHealth(t.Context())
			if got := targetState(t, s, srv.URL).Healthy; got != c.want {
				t.Errorf("status %d: got healthy %v, want %v", c.status, got, c.want)
			}
		})
	}
}

func TestHealthCheckPathIgnoresBasePath(t *testing.T) {
	srv := newFlipServer(t)
	s := newHealthService(t, nil, &HealthCheckOptions{Path: "/ready?deep=1"}, srv.URL+"/api/v1")
	s.CheckHealth(t.Context())
	if got := <-srv.paths; got != "/ready?deep=1" {
		t.Errorf("probe path: got %q, want %q", got, "/ready?deep=1")
	}
}

func TestHealthCheckTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	s := newHealthService(t, nil, &HealthCheckOptions{Timeout: 50 * time.Millisecond, UnhealthyThreshold: 1}, srv.URL)
	s.CheckHealth(t.Context())
	if got := targetState(t, s, srv.URL).Healthy; got {
		t.Errorf("got healthy after a probe that never answered, want unhealthy")
	}
}

func TestHealthCheckUnreachable(t *testing.T) {
	srv := newFlipServer(t)
	url := srv.URL
	srv.Close()
	s := newHealthService(t, nil, &HealthCheckOptions{UnhealthyThreshold: 1}, url)
	s.CheckHealth(t.Context())
	if got := targetState(t, s, url).Healthy; got {
		t.Errorf("got healthy with nothing listening, want unhealthy")
	}
}

func TestAllUnhealthyRoutesToAll(t *testing.T) {
	a, b := newFlipServer(t), newFlipServer(t)
	rec := newRecorder()
	s := newHealthService(t, rec, &HealthCheckOptions{UnhealthyThreshold: 1, HealthyThreshold: 1}, a.URL, b.URL)
	a.status.Store(500)
	b.status.Store(503)
	s.CheckHealth(t.Context())
	if st := s.Snapshot(); !st.PanicRouting || st.Targets[0].Eligible || st.Targets[1].Eligible {
		t.Fatalf("every target unhealthy: got %+v, want panic routing and no eligible target", st)
	}
	// Panic routing: requests go to every target rather than to none.
	picked := map[string]int{}
	for range 10 {
		picked[pickOnce(t, s, Success)]++
	}
	if picked[a.URL] != 5 || picked[b.URL] != 5 {
		t.Errorf("during panic routing: got picks %v, want 5 each", picked)
	}
	b.status.Store(200)
	s.CheckHealth(t.Context())
	if got := pickOnce(t, s, Success); got != b.URL {
		t.Errorf("got %s, want the recovered %s", got, b.URL)
	}
	if s.Snapshot().PanicRouting {
		t.Errorf("with a healthy target: got panic routing, want it ended")
	}
	if got, want := rec.panicEvents(), []bool{true, false}; !slices.Equal(got, want) {
		t.Errorf("panic events: got %v, want %v", got, want)
	}
}

func TestEjectedAndUnhealthyRoutesToAll(t *testing.T) {
	clk := newFakeClock()
	a, b := newFlipServer(t), newFlipServer(t)
	rec := newRecorder()
	s := mustNew(t, Options{
		Name:        "a",
		Targets:     mustURLs(t, a.URL, b.URL),
		HealthCheck: &HealthCheckOptions{UnhealthyThreshold: 1, HealthyThreshold: 1},
		Outlier:     OutlierOptions{ConsecutiveFailures: 3, BaseEjection: 10 * time.Second, MaxEjectedPercent: 50},
		Observer:    rec,
		Now:         clk.Now,
	})
	failTarget(t, s, a.URL, 3)
	if st := targetState(t, s, a.URL); !st.Ejected {
		t.Fatalf("after 3 failures: got %+v, want ejected", st)
	}
	b.status.Store(500)
	s.CheckHealth(t.Context()) // a's probe passes, but a is ejected
	if !s.Snapshot().PanicRouting {
		t.Fatalf("a ejected, b unhealthy: got no panic routing, want it")
	}
	picked := map[string]bool{}
	for range 4 {
		picked[pickOnce(t, s, Success)] = true
	}
	if !picked[a.URL] || !picked[b.URL] {
		t.Errorf("during panic routing: got picks %v, want both targets", picked)
	}
	clk.Advance(10 * time.Second) // a's ejection ends
	for range 4 {
		if got := pickOnce(t, s, Success); got != a.URL {
			t.Fatalf("after a returned: got %s, want only %s", got, a.URL)
		}
	}
	if got, want := rec.panicEvents(), []bool{true, false}; !slices.Equal(got, want) {
		t.Errorf("panic events: got %v, want %v", got, want)
	}
}

func TestPassingProbeEndsOpenTime(t *testing.T) {
	clk := newFakeClock()
	srv := newFlipServer(t)
	rec := newRecorder()
	s := mustNew(t, Options{
		Name:        "a",
		Targets:     mustURLs(t, srv.URL),
		HealthCheck: &HealthCheckOptions{UnhealthyThreshold: 1, HealthyThreshold: 2},
		Breaker:     BreakerOptions{FailureRatio: 0.5, MinRequests: 4, MinOpenFor: time.Minute, OpenFor: time.Hour, HalfOpenRequests: 1},
		Observer:    rec,
		Now:         clk.Now,
	})
	s.CheckHealth(t.Context()) // a passing probe while closed changes nothing
	runBreakerScript(t, s, clk, "4F =open")

	srv.status.Store(503)
	s.CheckHealth(t.Context())
	runBreakerScript(t, s, clk, "=open !")

	// One passing probe is enough, though the target is not marked
	// healthy before two: the next request is a trial, not a verdict.
	srv.status.Store(200)
	s.CheckHealth(t.Context())
	if targetState(t, s, srv.URL).Healthy {
		t.Fatalf("after one passing probe: got healthy, want unhealthy until the threshold")
	}
	runBreakerScript(t, s, clk, "=half_open 1S =closed")

	// Opening again at once backs off (1m, then 2m); a failed trial after
	// a probe opens it for the next time of the backoff (4m).
	runBreakerScript(t, s, clk, "4F =open")
	s.CheckHealth(t.Context())
	runBreakerScript(t, s, clk, "=half_open 1F =open +3m59s ! +1s 1S =closed")

	want := []BreakerState{Open, HalfOpen, Closed, Open, HalfOpen, Open, HalfOpen, Closed}
	if got := rec.breakerEvents(); !slices.Equal(got, want) {
		t.Errorf("breaker events: got %v, want %v", got, want)
	}
}

func TestHealthCheckLoopRunsUntilClose(t *testing.T) {
	srv := newFlipServer(t)
	rec := newRecorder()
	s := newHealthService(t, rec, &HealthCheckOptions{Interval: 5 * time.Millisecond, UnhealthyThreshold: 1, HealthyThreshold: 1}, srv.URL)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s.Start(ctx)
	s.Start(ctx) // a second Start does nothing

	srv.status.Store(500)
	waitFor(t, rec, func() bool { return len(rec.healthEvents()) >= 1 })
	srv.status.Store(200)
	waitFor(t, rec, func() bool { return len(rec.healthEvents()) >= 2 })

	s.Close()
	s.Close()
	before := srv.probes.Load()
	s.CheckHealth(t.Context()) // still usable by hand, one probe
	if got := srv.probes.Load(); got != before+1 {
		t.Errorf("probes after Close and one CheckHealth: got %d, want %d", got, before+1)
	}
}

// waitFor blocks until cond holds, re-checking whenever rec is notified.
// The deadline only keeps a broken build from hanging.
func waitFor(t *testing.T, rec *recorder, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-rec.notify:
		case <-deadline:
			t.Fatalf("condition never held")
		}
	}
}
