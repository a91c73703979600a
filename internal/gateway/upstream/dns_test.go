package upstream

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"testing"
	"time"
)

func newDNSService(t *testing.T, r Resolver, clk *fakeClock) *Service {
	t.Helper()
	opts := Options{
		Name:    "a",
		DNS:     &DNSOptions{Name: "svc.local", Port: 8080, Refresh: time.Hour, Resolver: r},
		Outlier: OutlierOptions{ConsecutiveFailures: 2, BaseEjection: time.Minute, MaxEjectedPercent: 50},
	}
	if clk != nil {
		opts.Now = clk.Now
	}
	return mustNew(t, opts)
}

func mustResolve(t *testing.T, s *Service) {
	t.Helper()
	if err := s.Resolve(t.Context()); err != nil {
		t.Fatalf("Resolve: %v", err)
	}
}

func TestDNSBuildsTargets(t *testing.T) {
	cases := []struct {
		name  string
		addrs []string
		want  []string
	}{
		{"ipv4", []string{"10.0.0.2", "10.0.0.1"}, []string{"http://10.0.0.1:8080", "http://10.0.0.2:8080"}},
		{"ipv6 bracketed", []string{"2001:db8::1"}, []string{"http://[2001:db8::1]:8080"}},
		{"duplicates once", []string{"10.0.0.1", "10.0.0.1"}, []string{"http://10.0.0.1:8080"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newFakeResolver(c.addrs...)
			s := newDNSService(t, r, nil)
			mustResolve(t, s)
			if got := targetURLs(s); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestDNSHasNoTargetBeforeResolving(t *testing.T) {
	r := newFakeResolver("10.0.0.1")
	s := newDNSService(t, r, nil)
	if _, err := s.Acquire(nil); !errors.Is(err, ErrNoTarget) {
		t.Fatalf("Acquire before resolving: got %v, want ErrNoTarget", err)
	}
	s.Start(t.Context())
	if got := pickOnce(t, s, Success); got != "http://10.0.0.1:8080" {
		t.Errorf("after Start: got %s, want http://10.0.0.1:8080", got)
	}
}

func TestDNSKeepsStateOfAddressesThatStay(t *testing.T) {
	clk := newFakeClock()
	r := newFakeResolver("10.0.0.1", "10.0.0.2", "10.0.0.3")
	s := newDNSService(t, r, clk)
	mustResolve(t, s)
	const stays, ejected, goes = "http://10.0.0.1:8080", "http://10.0.0.2:8080", "http://10.0.0.3:8080"

	failTarget(t, s, ejected, 2)
	var held Attempt
	for {
		held = mustAcquire(t, s, nil)
		if held.Target().String() == stays {
			break
		}
		held.Done(Success)
	}
	kept := held.Target()

	r.set([]string{"10.0.0.4", "10.0.0.2", "10.0.0.1"}, nil)
	mustResolve(t, s)
	if got, want := targetURLs(s), []string{stays, ejected, "http://10.0.0.4:8080"}; !slices.Equal(got, want) {
		t.Fatalf("targets: got %v, want %v", got, want)
	}
	if got := targetState(t, s, stays).Outstanding; got != 1 {
		t.Errorf("kept target outstanding: got %d, want 1", got)
	}
	if got := targetState(t, s, ejected); !got.Ejected {
		t.Errorf("kept ejected target: got %+v, want still ejected", got)
	}
	for range 30 {
		a := mustAcquire(t, s, nil)
		if got := a.Target().String(); got == goes || got == ejected {
			t.Fatalf("got %s picked, want only eligible current targets", got)
		}
		if a.Target().String() == stays && a.Target() != kept {
			t.Fatalf("got a new Target for %s, want the same one kept", stays)
		}
		a.Done(Success)
	}
	held.Done(Success)
	if got := targetState(t, s, stays).Outstanding; got != 0 {
		t.Errorf("after Done: got %d outstanding, want 0", got)
	}
}

func TestDNSKeepsPreviousTargetsOnTrouble(t *testing.T) {
	cases := []struct {
		name  string
		addrs []string
		err   error
	}{
		{"lookup error", nil, errLookup},
		{"no addresses", nil, nil},
		{"only unusable addresses", []string{"bad host%"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newFakeResolver("10.0.0.1")
			s := newDNSService(t, r, nil)
			mustResolve(t, s)
			r.set(c.addrs, c.err)
			err := s.Resolve(t.Context())
			if c.err != nil && !errors.Is(err, c.err) {
				t.Errorf("Resolve: got %v, want %v", err, c.err)
			}
			if got, want := targetURLs(s), []string{"http://10.0.0.1:8080"}; !slices.Equal(got, want) {
				t.Errorf("targets: got %v, want %v", got, want)
			}
		})
	}
}

func TestDNSRefreshLoop(t *testing.T) {
	r := newFakeResolver("10.0.0.1")
	s := mustNew(t, Options{
		Name: "a",
		DNS:  &DNSOptions{Name: "svc.local", Port: 80, Scheme: "https", Refresh: 5 * time.Millisecond, Resolver: r},
	})
	s.Start(t.Context())
	if got, want := targetURLs(s), []string{"https://10.0.0.1:80"}; !slices.Equal(got, want) {
		t.Fatalf("after Start: got %v, want %v", got, want)
	}
	n := r.set([]string{"10.0.0.2"}, nil)
	// Lookup n+1 sees the new address; lookup n+2 starts after it was applied.
	r.waitLookups(t, n+2)
	if got, want := targetURLs(s), []string{"https://10.0.0.2:80"}; !slices.Equal(got, want) {
		t.Errorf("after a refresh: got %v, want %v", got, want)
	}
	s.Close()
	n = r.set([]string{"10.0.0.3"}, nil)
	if err := s.Resolve(t.Context()); err != nil {
		t.Fatalf("Resolve after Close: %v", err)
	}
	if got := r.set(nil, nil); got != n+1 {
		t.Errorf("lookups after Close and one Resolve: got %d, want %d", got, n+1)
	}
}

func TestDNSResolvesLocalhost(t *testing.T) {
	s := mustNew(t, Options{Name: "a", DNS: &DNSOptions{Name: "localhost", Port: 8080, Refresh: 5 * time.Second}})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := s.Resolve(ctx); err != nil {
		t.Fatalf("Resolve localhost: %v", err)
	}
	got := targetURLs(s)
	if len(got) == 0 {
		t.Fatalf("got no targets for localhost")
	}
	for _, raw := range got {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("target %q: %v", raw, err)
		}
		if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() || u.Port() != "8080" {
			t.Errorf("target %s: want a loopback address on port 8080", raw)
		}
	}
}

func TestDNSTellsObserverOfRemovedTargets(t *testing.T) {
	r := newFakeResolver("10.0.0.1", "10.0.0.2", "10.0.0.3")
	rec := newRecorder()
	s := mustNew(t, Options{
		Name:     "a",
		DNS:      &DNSOptions{Name: "svc.local", Port: 8080, Refresh: time.Hour, Resolver: r},
		Observer: rec,
	})
	mustResolve(t, s)
	if got := rec.removedTargets(); len(got) != 0 {
		t.Fatalf("after the first resolution: got removed %v, want none", got)
	}
	r.set([]string{"10.0.0.2"}, nil)
	mustResolve(t, s)
	want := []string{"http://10.0.0.1:8080", "http://10.0.0.3:8080"}
	if got := rec.removedTargets(); !slices.Equal(got, want) {
		t.Errorf("got removed %v, want %v", got, want)
	}
	r.set(nil, errors.New("servfail"))
	s.Resolve(t.Context())
	if got := rec.removedTargets(); !slices.Equal(got, want) {
		t.Errorf("after a failed lookup: got removed %v, want still %v (the targets stay)", got, want)
	}
}
