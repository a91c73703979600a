package identity_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// TestJWKSUnknownKidFlood sends many tokens with invented kids at once;
// the key set is fetched once for all of them, and once more only after
// RefetchInterval.
func TestJWKSUnknownKidFlood(t *testing.T) {
	clk := newClock()
	k := mustKey(t, "ES256", "k1")
	attacker := mustKey(t, "ES256", "")
	srv := newJWKSServer(t, 3600, k.pub)
	keys := mustJWKS(t, identity.JWKSOptions{URL: srv.URL, Now: clk.Now, RefetchInterval: 30 * time.Second})
	v := mustVerifier(t, identity.VerifierOptions{Keys: keys, Issuer: testIssuer, Audience: identity.InternalAudience, Now: clk.Now})

	const workers, perWorker = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		tokens := make([]string, perWorker)
		for i := range tokens {
			h := internalHeader(attacker)
			h["kid"] = fmt.Sprintf("evil-%d-%d", w, i)
			tokens[i] = mustToken(t, attacker.priv, h, internalClaims(t0))
		}
		wg.Go(func() {
			for _, tok := range tokens {
				_, err := v.Verify(t.Context(), tok)
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		wantErrIs(t, "invented kid", err, identity.ErrUnknownKey)
	}
	if got := srv.hits.Load(); got != 1 {
		t.Fatalf("after the flood: got %d fetches, want 1", got)
	}
	// A real token still verifies from the cache.
	if _, err := v.Verify(t.Context(), mustToken(t, k.priv, internalHeader(k), internalClaims(t0))); err != nil {
		t.Fatalf("valid token after the flood: %v", err)
	}
	clk.Advance(30 * time.Second)
	for i := range 20 {
		h := internalHeader(attacker)
		h["kid"] = fmt.Sprintf("late-%d", i)
		_, err := v.Verify(t.Context(), mustToken(t, attacker.priv, h, internalClaims(t0)))
		wantErrIs(t, "invented kid after the interval", err, identity.ErrUnknownKey)
	}
	if got := srv.hits.Load(); got != 2 {
		t.Errorf("after one interval: got %d fetches, want 2", got)
	}
}

// TestJWKSLearnsNewKey checks that a kid published after the first fetch
// is found by the rate-limited refetch.
func TestJWKSLearnsNewKey(t *testing.T) {
	clk := newClock()
	k1, k2 := mustKey(t, "ES256", "k1"), mustKey(t, "EdDSA", "k2")
	srv := newJWKSServer(t, 3600, k1.pub)
	v := mustRemoteVerifier(t, srv, clk) // RefetchInterval 1m
	if _, err := v.Verify(t.Context(), mustToken(t, k1.priv, internalHeader(k1), internalClaims(t0))); err != nil {
		t.Fatalf("k1: %v", err)
	}
	srv.setKeys(k1.pub, k2.pub)
	clk.Advance(time.Minute)
	if _, err := v.Verify(t.Context(), mustToken(t, k2.priv, internalHeader(k2), internalClaims(clk.Now()))); err != nil {
		t.Fatalf("k2 after it was published: %v", err)
	}
	if got := srv.hits.Load(); got != 2 {
		t.Errorf("got %d fetches, want 2", got)
	}
}

func TestJWKSCacheLifetime(t *testing.T) {
	for _, tc := range []struct {
		name    string
		maxAge  int
		minTTL  time.Duration
		maxTTL  time.Duration
		wantTTL time.Duration
	}{
		{"max-age honoured", 120, 30 * time.Second, time.Hour, 120 * time.Second},
		{"raised to the minimum", 5, 30 * time.Second, time.Hour, 30 * time.Second},
		{"cut to the maximum", 86400, 30 * time.Second, 10 * time.Minute, 10 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			k := mustKey(t, "ES256", "k1")
			srv := newJWKSServer(t, tc.maxAge, k.pub)
			keys := mustJWKS(t, identity.JWKSOptions{URL: srv.URL, Now: clk.Now, MinTTL: tc.minTTL, MaxTTL: tc.maxTTL})
			lookup := func(what string, wantHits int64) {
				t.Helper()
				if _, err := keys.Key(t.Context(), "k1"); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if got := srv.hits.Load(); got != wantHits {
					t.Errorf("%s: got %d fetches, want %d", what, got, wantHits)
				}
			}
			lookup("first lookup", 1)
			clk.Advance(tc.wantTTL - time.Second)
			lookup("just before the ttl", 1)
			clk.Advance(time.Second)
			lookup("at the ttl", 2) // answered 304, keys kept
			clk.Advance(tc.wantTTL - time.Second)
			lookup("within the renewed ttl", 2)
		})
	}
}

func TestJWKSStaleIfError(t *testing.T) {
	clk := newClock()
	k := mustKey(t, "ES256", "k1")
	srv := newJWKSServer(t, 60, k.pub)
	keys := mustJWKS(t, identity.JWKSOptions{
		URL: srv.URL, Now: clk.Now, MinTTL: time.Minute, RefetchInterval: 10 * time.Second, StaleIfError: 5 * time.Minute,
	})
	if _, err := keys.Key(t.Context(), "k1"); err != nil {
		t.Fatalf("first lookup: %v", err)
	}
	srv.setFail(true)
	clk.Advance(time.Minute + 5*time.Minute - time.Second)
	if _, err := keys.Key(t.Context(), "k1"); err != nil {
		t.Errorf("stale set within stale-if-error: %v", err)
	}
	clk.Advance(time.Second)
	_, err := keys.Key(t.Context(), "k1")
	wantErrIs(t, "past stale-if-error", err, identity.ErrKeysUnavailable)

	srv.setFail(false)
	clk.Advance(10 * time.Second)
	if _, err := keys.Key(t.Context(), "k1"); err != nil {
		t.Errorf("after recovery: %v", err)
	}
}

func TestJWKSUnavailable(t *testing.T) {
	clk := newClock()
	srv := newJWKSServer(t, 60)
	srv.setFail(true)
	keys := mustJWKS(t, identity.JWKSOptions{URL: srv.URL, Now: clk.Now})
	_, err := keys.Key(t.Context(), "k1")
	wantErrIs(t, "first fetch failing", err, identity.ErrKeysUnavailable)
	_, err = keys.Key(t.Context(), "k1")
	wantErrIs(t, "retry within the interval", err, identity.ErrKeysUnavailable)
	if got := srv.hits.Load(); got != 1 {
		t.Errorf("got %d fetches, want 1", got)
	}
}

func TestNewJWKSRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    identity.JWKSOptions
	}{
		{"no url", identity.JWKSOptions{}},
		{"relative url", identity.JWKSOptions{URL: "/.well-known/jwks.json"}},
		{"file url", identity.JWKSOptions{URL: "file:///etc/passwd"}},
		{"negative ttl", identity.JWKSOptions{URL: "http://auth", MinTTL: -time.Second}},
		{"min above max", identity.JWKSOptions{URL: "http://auth", MinTTL: 2 * time.Hour, MaxTTL: time.Hour}},
		{"negative size", identity.JWKSOptions{URL: "http://auth", MaxBytes: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := identity.NewJWKS(tc.o); err == nil {
				t.Error("got nil error, want one")
			}
		})
	}
}
