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
	// Ratio 0.5, at least 10 requests in a 10s window, open for 15s, 2 trials.
	cases := []struct {
		name   string
		script string
	}{
		{"below min requests stays closed", "9F =closed 1F =open !"},
		{"below ratio stays closed", "10S 9F =closed 1F =open"},
		{"timeouts count as failures", "10T =open"},
		{"canceled counts for nothing", "9F 20C =closed 1F =open"},
		{"successes alone never open", "100S =closed"},
		{"open until open_for has passed", "10F =open +14s ! =open +1s 1S =half_open 1S =closed"},
		{"half-open failure opens again", "10F +15s 1S =half_open 1F =open ! +15s 2S =closed"},
		{"half-open admits only the trials", "10F +15s h2 ! =half_open dS ! dS =closed 1S"},
		{"half-open any trial failure opens", "10F +15s h2 dF =open dS =open ! +15s 2S =closed"},
		{"canceled trial frees its slot", "10F +15s h2 dC h1 ! dS dS =closed"},
		{"closing forgets old failures", "10F +15s 2S =closed 9F =closed 1F =open"},
		{"old failures leave the window", "9F +10s 1F =closed 8F =closed 1F =open"},
		{"outcomes from before a transition are ignored", "h1 10F +15s 2S =closed dF 9F =closed 1F =open"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := newFakeClock()
			s := mustNew(t, Options{
				Name:    "a",
				Targets: mustURLs(t, "http://10.0.0.1:80", "http://10.0.0.2:80"),
				Breaker: BreakerOptions{FailureRatio: 0.5, MinRequests: 10, Window: 10 * time.Second, OpenFor: 15 * time.Second, HalfOpenRequests: 2},
				Now:     clk.Now,
			})
			runBreakerScript(t, s, clk, c.script)
		})
	}
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
