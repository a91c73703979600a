package upstream

import (
	"testing"
	"time"
)

func TestCoarseClockRunsBetweenStartAndClose(t *testing.T) {
	s := mustNew(t, Options{
		Name:    "a",
		Targets: mustURLs(t, "http://10.0.0.1:80"),
		Breaker: BreakerOptions{FailureRatio: 0.5, Window: 100 * time.Millisecond},
	})
	if s.clock.ticking.Load() {
		t.Fatalf("before Start: got a ticking clock, want the precise one")
	}
	s.Start(t.Context())
	if !s.clock.ticking.Load() {
		t.Fatalf("after Start: got the precise clock, want the ticking one")
	}
	first := s.clock.nanos()
	deadline := time.Now().Add(10 * time.Second)
	for s.clock.nanos() == first {
		if time.Now().After(deadline) {
			t.Fatalf("the coarse clock never moved")
		}
		time.Sleep(time.Millisecond)
	}
	s.Close()
	if s.clock.ticking.Load() {
		t.Errorf("after Close: got a ticking clock, want the precise one")
	}
	if got := s.clock.nanos(); got < first {
		t.Errorf("after Close: clock went back from %d to %d", first, got)
	}
}

func TestClockTickBounds(t *testing.T) {
	cases := map[time.Duration]time.Duration{
		time.Second:            100 * time.Millisecond,
		time.Minute:            maxClockTick,
		100 * time.Millisecond: 10 * time.Millisecond,
		time.Microsecond:       minClockTick,
	}
	for bucket, want := range cases {
		if got := clockTick(bucket); got != want {
			t.Errorf("bucket %v: got %v, want %v", bucket, got, want)
		}
	}
}
