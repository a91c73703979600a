package upstream

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runBreakerScript drives a breaker through a space-separated script:
//
//	5S 3F 2T 4C  finish that many attempts with Success, Failure, Timeout, Canceled
//	h2           admit 2 attempts and hold them
//	dS dF dC     finish the oldest held attempt
//	+15s         advance the clock
//	=open        assert the state (closed, open, half_open)
//	!            assert that Acquire returns ErrCircuitOpen
func runBreakerScript(t *testing.T, s *Service, clk *fakeClock, script string) {
	t.Helper()
	outcomes := map[byte]Outcome{'S': Success, 'F': Failure, 'T': Timeout, 'C': Canceled}
	var held []Attempt
	for _, op := range strings.Fields(script) {
		switch {
		case op == "!":
			if _, err := s.Acquire(nil); !errors.Is(err, ErrCircuitOpen) {
				t.Fatalf("%s: Acquire got %v, want ErrCircuitOpen", op, err)
			}
		case op[0] == '=':
			if got := s.Snapshot().Breaker.String(); got != op[1:] {
				t.Fatalf("%s: got state %s, want %s", op, got, op[1:])
			}
		case op[0] == '+':
			d, err := time.ParseDuration(op[1:])
			if err != nil {
				t.Fatalf("bad step %q: %v", op, err)
			}
			clk.Advance(d)
		case op[0] == 'h':
			n, err := strconv.Atoi(op[1:])
			if err != nil {
				t.Fatalf("bad step %q: %v", op, err)
			}
			for range n {
				held = append(held, mustAcquire(t, s, nil))
			}
		case op[0] == 'd':
			if len(held) == 0 {
				t.Fatalf("%s: nothing held", op)
			}
			held[0].Done(outcomes[op[1]])
			held = held[1:]
		default:
			n, err := strconv.Atoi(op[:len(op)-1])
			o, ok := outcomes[op[len(op)-1]]
			if err != nil || !ok {
				t.Fatalf("bad step %q", op)
			}
			for range n {
				pickOnce(t, s, o)
			}
		}
	}
}

func TestBreakerTransitions(t *testing.T) {
	// Ratio 0.5, at least 10 requests in a 10s window, open for 1s at
	// first and at most 15s, 2 trials at once.
	cases := []struct {
		name   string
		script string
	}{
		{"below min requests stays closed", "9F =closed 1F =open !"},
		{"below ratio stays closed", "10S 9F =closed 1F =open"},
		{"timeouts count as failures", "10T =open"},
		{"canceled counts for nothing", "9F 20C =closed 1F =open"},
		{"successes alone never open", "100S =closed"},
		{"open until min_open_for has passed", "10F =open +999ms ! =open +1ms 1S =closed"},
		{"the first trial success closes", "10F +1s h1 =half_open dS =closed 1S =closed"},
		{"half-open failure opens again for twice as long", "10F +1s 1F =open +1999ms ! +1ms 1S =closed"},
		{"the open time doubles up to open_for", "10F +1s 1F +2s 1F +4s 1F +8s 1F =open +14999ms ! +1ms 1F =open +14999ms ! +1ms 1S =closed"},
		{"half-open admits only the trials", "10F +1s h2 ! =half_open dS =closed dS =closed 1S"},
		{"half-open trial failure opens", "10F +1s h2 dF =open dS =open ! +2s 1S =closed"},
		{"canceled trial frees its slot", "10F +1s h2 dC h1 ! dS =closed dS =closed"},
		{"closing forgets old failures", "10F +1s 1S =closed 9F =closed 1F =open"},
		{"old failures leave the window", "9F +10s 1F =closed 8F =closed 1F =open"},
		{"outcomes from before a transition are ignored", "h1 10F +1s 1S =closed dF 9F =closed 1F =open"},
		{"opening again soon after closing doubles", "10F +1s 1S =closed 10F =open +1999ms ! +1ms 1S =closed"},
		{"closed for less than a window keeps the backoff", "10F +1s 1F +2s 1S +9999ms 10F =open +3999ms ! +1ms 1S =closed"},
		{"closed for a whole window resets the backoff", "10F +1s 1F +2s 1S +10s 10F =open +999ms ! +1ms 1S =closed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := newFakeClock()
			s := mustNew(t, Options{
				Name:    "a",
				Targets: mustURLs(t, "http://10.0.0.1:80", "http://10.0.0.2:80"),
				Breaker: BreakerOptions{FailureRatio: 0.5, MinRequests: 10, Window: 10 * time.Second, MinOpenFor: time.Second, OpenFor: 15 * time.Second, HalfOpenRequests: 2},
				Now:     clk.Now,
			})
			runBreakerScript(t, s, clk, c.script)
		})
	}
}

func TestBreakerRetryAfter(t *testing.T) {
	clk := newFakeClock()
	s := mustNew(t, Options{
		Name:    "a",
		Targets: mustURLs(t, "http://10.0.0.1:80"),
		Breaker: BreakerOptions{FailureRatio: 0.5, MinRequests: 4, MinOpenFor: time.Second, OpenFor: 3 * time.Second, HalfOpenRequests: 1},
		Now:     clk.Now,
	})
	check := func(step string, want time.Duration) {
		t.Helper()
		if got := s.RetryAfter(); got != want {
			t.Errorf("%s: got RetryAfter %v, want %v", step, got, want)
		}
	}
	check("closed", 0)
	runBreakerScript(t, s, clk, "4F =open")
	check("just opened", time.Second)
	runBreakerScript(t, s, clk, "+400ms")
	check("opened 400ms ago", 600*time.Millisecond)
	runBreakerScript(t, s, clk, "+600ms")
	trial := mustAcquire(t, s, nil)
	check("half-open", 0)
	trial.Done(Failure)
	check("after a failed trial", 2*time.Second)
	runBreakerScript(t, s, clk, "+2s 1F")
	check("capped at open_for", 3*time.Second)
	runBreakerScript(t, s, clk, "+3s 1S =closed")
	check("closed again", 0)
}

func TestBreakerTellsObserver(t *testing.T) {
	clk := newFakeClock()
	rec := newRecorder()
	s := mustNew(t, Options{
		Name:     "a",
		Targets:  mustURLs(t, "http://10.0.0.1:80"),
		Breaker:  BreakerOptions{FailureRatio: 0.5, MinRequests: 4, OpenFor: time.Second, HalfOpenRequests: 1},
		Observer: rec,
		Now:      clk.Now,
	})
	runBreakerScript(t, s, clk, "4F +1s 1F +1s 1S")
	want := []BreakerState{Open, HalfOpen, Open, HalfOpen, Closed}
	if got := rec.breakerEvents(); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestBreakerStateString(t *testing.T) {
	for st, want := range map[BreakerState]string{Closed: "closed", Open: "open", HalfOpen: "half_open", 7: "unknown"} {
		if got := st.String(); got != want {
			t.Errorf("%d: got %q, want %q", int(st), got, want)
		}
	}
}

func TestProbeFromBeforeOpeningIsIgnored(t *testing.T) {
	clk := newFakeClock()
	s := mustNew(t, Options{
		Name:    "a",
		Targets: mustURLs(t, "http://10.0.0.1:80"),
		Breaker: BreakerOptions{FailureRatio: 0.5, MinRequests: 4, MinOpenFor: time.Minute, OpenFor: time.Hour},
		Now:     clk.Now,
	})
	probeStarted := s.clock.nanos()
	runBreakerScript(t, s, clk, "+1s 4F =open")
	if s.breaker.probePassed(probeStarted) {
		t.Errorf("a probe started before the breaker opened: got half-open, want it ignored")
	}
	runBreakerScript(t, s, clk, "=open !")
	if !s.breaker.probePassed(s.clock.nanos()) {
		t.Errorf("a probe started after the breaker opened: got it ignored, want half-open")
	}
	runBreakerScript(t, s, clk, "=half_open 1S =closed")
	if s.breaker.probePassed(s.clock.nanos()) {
		t.Errorf("a probe while closed: got a transition, want none")
	}
}
