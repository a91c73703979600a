package upstream

import (
	"fmt"
	"testing"
)

func TestRoundRobinIsExact(t *testing.T) {
	urls := []string{"http://10.0.0.1:80", "http://10.0.0.2:80", "http://10.0.0.3:80"}
	s := mustNew(t, Options{Name: "a", Targets: mustURLs(t, urls...)})
	counts := map[string]int{}
	for i := range 300 {
		got := pickOnce(t, s, Success)
		if want := urls[i%3]; got != want {
			t.Fatalf("pick %d: got %s, want %s", i, got, want)
		}
		counts[got]++
	}
	for _, u := range urls {
		if counts[u] != 100 {
			t.Errorf("%s: got %d picks, want 100", u, counts[u])
		}
	}
}

func TestAcquireAvoidsPreviousTarget(t *testing.T) {
	for _, policy := range []string{RoundRobin, LeastOutstanding} {
		for _, n := range []int{2, 3, 5} {
			t.Run(fmt.Sprintf("%s/%d targets", policy, n), func(t *testing.T) {
				var urls []string
				for i := range n {
					urls = append(urls, fmt.Sprintf("http://10.0.0.%d:80", i+1))
				}
				s := mustNew(t, Options{Name: "a", Targets: mustURLs(t, urls...), Balance: policy})
				// Round robin hands out each target once in the first n
				// picks; afterwards pick k would be targets[k%n], which
				// is exactly the one avoided, so the skip must happen.
				targets := make([]*Target, n)
				for i := range n {
					a := mustAcquire(t, s, nil)
					targets[i] = a.Target()
					a.Done(Success)
				}
				for k := n; k < n+200; k++ {
					avoid := targets[k%n]
					a := mustAcquire(t, s, avoid)
					if a.Target() == avoid {
						t.Fatalf("pick %d: got %s, want any target but the avoided one", k, a.Target())
					}
					a.Done(Success)
				}
			})
		}
	}
}

func TestAcquireAvoidWithOneTarget(t *testing.T) {
	for _, policy := range []string{RoundRobin, LeastOutstanding} {
		t.Run(policy, func(t *testing.T) {
			s := mustNew(t, Options{Name: "a", Targets: mustURLs(t, "http://10.0.0.1:80"), Balance: policy})
			first := mustAcquire(t, s, nil)
			first.Done(Failure)
			second := mustAcquire(t, s, first.Target())
			defer second.Done(Success)
			if second.Target() != first.Target() {
				t.Fatalf("got %s, want the only target %s", second.Target(), first.Target())
			}
		})
	}
}

func TestLeastOutstandingPicksIdleOfTwo(t *testing.T) {
	s := mustNew(t, Options{Name: "a", Targets: mustURLs(t, "http://10.0.0.1:80", "http://10.0.0.2:80"), Balance: LeastOutstanding})
	busy := mustAcquire(t, s, nil)
	defer busy.Done(Success)
	for range 200 {
		if got := pickOnce(t, s, Success); got == busy.Target().String() {
			t.Fatalf("got busy target %s, want the idle one", got)
		}
	}
}

func TestLeastOutstandingPrefersIdleTargets(t *testing.T) {
	urls := []string{"http://10.0.0.1:80", "http://10.0.0.2:80", "http://10.0.0.3:80", "http://10.0.0.4:80"}
	s := mustNew(t, Options{Name: "a", Targets: mustURLs(t, urls...), Balance: LeastOutstanding})
	// Keep three targets busy; the idle one wins every pair it is drawn
	// into, which is half of all pairs of four.
	var held []Attempt
	for len(held) < 30 {
		a := mustAcquire(t, s, nil)
		if a.Target().String() == urls[3] {
			a.Done(Success)
			continue
		}
		held = append(held, a)
	}
	const picks = 4000
	idle := 0
	for range picks {
		if pickOnce(t, s, Success) == urls[3] {
			idle++
		}
	}
	for i := range held {
		held[i].Done(Success)
	}
	// Expected 2000 (one in two); anything near uniform (1000) means the
	// policy ignores load. 1800 is more than six standard deviations below.
	if idle < 1800 {
		t.Errorf("idle target: got %d of %d picks, want about half", idle, picks)
	}
}

func TestLeastOutstandingSpreadsHeldRequests(t *testing.T) {
	urls := []string{"http://10.0.0.1:80", "http://10.0.0.2:80", "http://10.0.0.3:80"}
	s := mustNew(t, Options{Name: "a", Targets: mustURLs(t, urls...), Balance: LeastOutstanding})
	var held []Attempt
	for range 300 {
		held = append(held, mustAcquire(t, s, nil))
	}
	lo, hi := int64(1<<62), int64(0)
	for _, ts := range s.Snapshot().Targets {
		lo, hi = min(lo, ts.Outstanding), max(hi, ts.Outstanding)
	}
	for i := range held {
		held[i].Done(Success)
	}
	if hi-lo > 5 {
		t.Errorf("outstanding per target ranges %d..%d, want within 5", lo, hi)
	}
	for _, ts := range s.Snapshot().Targets {
		if ts.Outstanding != 0 {
			t.Errorf("%s: got %d outstanding after all Done, want 0", ts.URL, ts.Outstanding)
		}
	}
}

func TestDoneTwiceCountsOnce(t *testing.T) {
	s := mustNew(t, Options{Name: "a", Targets: mustURLs(t, "http://10.0.0.1:80")})
	held := mustAcquire(t, s, nil)
	a := mustAcquire(t, s, nil)
	a.Done(Success)
	a.Done(Success)
	if got := held.Target().Outstanding(); got != 1 {
		t.Errorf("outstanding: got %d, want 1", got)
	}
	held.Done(Success)
	if a.Target() == nil {
		t.Errorf("Target after Done: got nil, want the target")
	}
}
