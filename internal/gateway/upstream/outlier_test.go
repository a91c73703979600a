package upstream

import (
	"slices"
	"testing"
	"time"
)

func newOutlierService(t *testing.T, clk *fakeClock, obs Observer, pct int, urls ...string) *Service {
	t.Helper()
	return mustNew(t, Options{
		Name:     "a",
		Targets:  mustURLs(t, urls...),
		Outlier:  OutlierOptions{ConsecutiveFailures: 3, BaseEjection: 10 * time.Second, MaxEjectedPercent: pct},
		Observer: obs,
		Now:      clk.Now,
	})
}

func assertNeverPicked(t *testing.T, s *Service, target string) {
	t.Helper()
	for range 30 {
		if got := pickOnce(t, s, Success); got == target {
			t.Fatalf("got ejected target %s picked", got)
		}
	}
}

func assertPicked(t *testing.T, s *Service, target string) {
	t.Helper()
	for range 30 {
		if pickOnce(t, s, Success) == target {
			return
		}
	}
	t.Fatalf("target %s never picked in 30 tries, want it back", target)
}

func TestOutlierEjectsAndReturns(t *testing.T) {
	clk := newFakeClock()
	rec := newRecorder()
	urls := []string{"http://10.0.0.1:80", "http://10.0.0.2:80", "http://10.0.0.3:80"}
	s := newOutlierService(t, clk, rec, 50, urls...)
	bad := urls[1]

	failTarget(t, s, bad, 3)
	st := targetState(t, s, bad)
	if !st.Ejected || st.Eligible || st.Ejections != 1 {
		t.Fatalf("after 3 failures: got %+v, want ejected once", st)
	}
	if want := clk.Now().Add(10 * time.Second); !st.EjectedUntil.Equal(want) {
		t.Errorf("ejected until: got %v, want %v", st.EjectedUntil, want)
	}
	assertNeverPicked(t, s, bad)

	clk.Advance(10*time.Second - time.Nanosecond)
	assertNeverPicked(t, s, bad)
	clk.Advance(time.Nanosecond)
	assertPicked(t, s, bad)

	// Failing again right after returning doubles the ejection.
	failTarget(t, s, bad, 3)
	if st := targetState(t, s, bad); !st.Ejected || st.Ejections != 2 {
		t.Fatalf("second ejection: got %+v, want ejected twice", st)
	}
	clk.Advance(20*time.Second - time.Nanosecond)
	assertNeverPicked(t, s, bad)
	clk.Advance(time.Nanosecond)
	assertPicked(t, s, bad)

	// Staying well as long as the last ejection lasted resets the count.
	clk.Advance(20 * time.Second)
	failTarget(t, s, bad, 3)
	if st := targetState(t, s, bad); !st.Ejected || st.Ejections != 1 {
		t.Fatalf("after a good spell: got %+v, want the count started anew", st)
	}

	want := []string{bad + " ejected", bad + " returned", bad + " ejected", bad + " returned", bad + " ejected"}
	if got := rec.ejectionEvents(); !slices.Equal(got, want) {
		t.Errorf("ejection events: got %v, want %v", got, want)
	}
}

func TestOutlierSuccessResetsCount(t *testing.T) {
	clk := newFakeClock()
	urls := []string{"http://10.0.0.1:80", "http://10.0.0.2:80"}
	s := newOutlierService(t, clk, nil, 50, urls...)
	failTarget(t, s, urls[0], 2)
	for pickOnce(t, s, Success) != urls[0] {
	}
	failTarget(t, s, urls[0], 2)
	if st := targetState(t, s, urls[0]); st.Ejected || st.ConsecutiveFailures != 2 {
		t.Fatalf("got %+v, want not ejected with 2 consecutive failures", st)
	}
}

func TestOutlierIgnoresCanceled(t *testing.T) {
	clk := newFakeClock()
	urls := []string{"http://10.0.0.1:80", "http://10.0.0.2:80"}
	s := newOutlierService(t, clk, nil, 50, urls...)
	failTarget(t, s, urls[0], 2)
	for range 10 {
		pickOnce(t, s, Canceled)
	}
	failTarget(t, s, urls[0], 1)
	if st := targetState(t, s, urls[0]); !st.Ejected {
		t.Fatalf("got %+v, want ejected: canceled attempts must not break the run", st)
	}
}

func TestOutlierTimeoutCountsAsFailure(t *testing.T) {
	clk := newFakeClock()
	s := newOutlierService(t, clk, nil, 50, "http://10.0.0.1:80", "http://10.0.0.2:80")
	target := "http://10.0.0.1:80"
	finishTarget(t, s, target, 3, Timeout)
	if st := targetState(t, s, target); !st.Ejected {
		t.Fatalf("got %+v, want ejected after 3 timeouts", st)
	}
}

func TestOutlierRespectsMaxEjectedPercent(t *testing.T) {
	cases := []struct {
		name        string
		pct         int
		targets     int
		wantEjected int
	}{
		{"half of four", 50, 4, 2},
		{"half of three rounds down", 50, 3, 1},
		{"half of one", 50, 1, 0},
		{"all but the last of two", 100, 2, 1},
		{"all but the last of one", 100, 1, 0},
		{"a quarter of four", 25, 4, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := newFakeClock()
			var urls []string
			for i := range c.targets {
				urls = append(urls, "http://10.0.0."+string(rune('1'+i))+":80")
			}
			s := newOutlierService(t, clk, nil, c.pct, urls...)
			// Every attempt fails, so every target reaches the threshold.
			for range 20 * c.targets {
				a, err := s.Acquire(nil)
				if err != nil {
					t.Fatalf("Acquire: got %v, want a target: the last one is never ejected", err)
				}
				a.Done(Failure)
			}
			ejected := 0
			for _, ts := range s.Snapshot().Targets {
				if ts.Ejected {
					ejected++
				}
			}
			if ejected != c.wantEjected {
				t.Errorf("ejected: got %d, want %d", ejected, c.wantEjected)
			}
		})
	}
}

func TestOutlierDisabled(t *testing.T) {
	clk := newFakeClock()
	s := mustNew(t, Options{Name: "a", Targets: mustURLs(t, "http://10.0.0.1:80", "http://10.0.0.2:80"), Now: clk.Now})
	for range 50 {
		pickOnce(t, s, Failure)
	}
	for _, ts := range s.Snapshot().Targets {
		if ts.Ejected {
			t.Errorf("%s: got ejected, want ejection off", ts.URL)
		}
	}
}
