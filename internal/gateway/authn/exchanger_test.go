package authn_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/authn/authntest"
	"github.com/portico-gw/portico/internal/platform/identity"
)

func TestExchangeCachesAfterMiss(t *testing.T) {
	fa := mustFakeAuth(t)
	key := fa.grantKey("key_1", apiKey)
	x := fakeExchanger(t, fa, authn.Options{})

	for _, tc := range []struct {
		name     string
		c        authn.Credential
		wantKind identity.PrincipalKind
	}{
		{"session", fakeSession, "user"},
		{"api key", key, "api_key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := fa.Calls()
			first := mustExchange(t, x, tc.c)
			if first.Token == "" || first.Subject == "" || first.Kind != tc.wantKind || !first.ExpiresAt.After(fa.clock.Now()) {
				t.Fatalf("got %+v (token %d bytes), want a token of a %s", first, len(first.Token), tc.wantKind)
			}
			fa.clock.Advance(authn.DefaultCacheTTL - time.Millisecond)
			second := mustExchange(t, x, tc.c)
			if second.Token != first.Token {
				t.Errorf("second exchange: got a new token, want the cached one")
			}
			fa.wantExchanges(t, "miss then hit", before+1)
		})
	}
}

func TestExchangeExpiresAfterTTL(t *testing.T) {
	fa := mustFakeAuth(t)
	x := fakeExchanger(t, fa, authn.Options{CacheTTL: 4 * time.Second})

	first := mustExchange(t, x, fakeSession)
	fa.clock.Advance(4*time.Second - time.Nanosecond)
	mustExchange(t, x, fakeSession)
	fa.wantExchanges(t, "within the ttl", 1)
	fa.clock.Advance(time.Nanosecond)
	second := mustExchange(t, x, fakeSession)
	fa.wantExchanges(t, "at the ttl", 2)
	if second.Token == first.Token {
		t.Error("after the ttl: got the cached token, want a new one")
	}
}

func TestExchangeTTLBoundedByAuth(t *testing.T) {
	// auth grants 3 seconds of caching, less than the exchanger's 10.
	fa := mustFakeAuthWith(t, authntest.Options{CacheTTL: 3 * time.Second})
	x := fakeExchanger(t, fa, authn.Options{})

	mustExchange(t, x, fakeSession)
	fa.clock.Advance(3*time.Second - time.Nanosecond)
	mustExchange(t, x, fakeSession)
	fa.wantExchanges(t, "within auth's ttl", 1)
	fa.clock.Advance(time.Nanosecond)
	mustExchange(t, x, fakeSession)
	fa.wantExchanges(t, "at auth's ttl", 2)
}

// TestRevocationTakesEffectAfterTTL: the fake refuses a revoked credential
// as auth does after a logout (401 without a challenge); that the real
// auth does is TestExchangeRefusesRevokedAndUnknown in internal/e2e.
func TestRevocationTakesEffectAfterTTL(t *testing.T) {
	fa := mustFakeAuth(t)
	x := fakeExchanger(t, fa, authn.Options{})

	cached := mustExchange(t, x, fakeSession)
	fa.Revoke(fakeSession.Value)

	// Until the ttl ends, the revoked session still gets its cached token:
	// this is the delay the design accepts.
	fa.clock.Advance(authn.DefaultCacheTTL - time.Millisecond)
	if got := mustExchange(t, x, fakeSession); got.Token != cached.Token {
		t.Error("revoked within the ttl: got a new token, want the cached one")
	}
	fa.wantExchanges(t, "within the ttl", 1)

	fa.clock.Advance(time.Millisecond)
	_, err := x.Exchange(t.Context(), fakeSession)
	wantErr(t, "revoked after the ttl", err, authn.ErrUnauthenticated, http.StatusUnauthorized)
	fa.wantExchanges(t, "after the ttl", 2)
}

func TestNegativeCache(t *testing.T) {
	fa := mustFakeAuth(t)
	key := fa.grantKey("key_1", apiKey)
	wrongKey := authn.Credential{Kind: authn.KindAPIKey, Value: key.Value[:len(key.Value)-1] + "x"}
	c := newCounter()
	x := fakeExchanger(t, fa, authn.Options{Observe: c.observe})

	for i := range 5 {
		_, err := x.Exchange(t.Context(), wrongKey)
		wantErr(t, fmt.Sprintf("wrong key, try %d", i), err, authn.ErrUnauthenticated, http.StatusUnauthorized)
	}
	fa.wantExchanges(t, "five tries within the negative ttl", 1)
	if got := c.get(authn.OutcomeNegativeHit); got != 4 {
		t.Errorf("got %d negative hits, want 4", got)
	}

	fa.clock.Advance(authn.DefaultNegativeTTL)
	_, err := x.Exchange(t.Context(), wrongKey)
	wantErr(t, "after the negative ttl", err, authn.ErrUnauthenticated, http.StatusUnauthorized)
	fa.wantExchanges(t, "after the negative ttl", 2)

	// A refusal is remembered for that credential only.
	mustExchange(t, x, key)
	fa.wantExchanges(t, "the right key", 3)
}

func TestNegativeCacheDisabled(t *testing.T) {
	fa := mustFakeAuth(t)
	x := fakeExchanger(t, fa, authn.Options{NegativeTTL: -1})
	unknown := authn.Credential{Kind: authn.KindSession, Value: strings.Repeat("u", len(sessionToken))}
	for range 3 {
		_, err := x.Exchange(t.Context(), unknown)
		wantErr(t, "unknown session", err, authn.ErrUnauthenticated, http.StatusUnauthorized)
	}
	fa.wantExchanges(t, "without a negative cache", 3)
}

func TestConcurrentMissesMakeOneCall(t *testing.T) {
	fa := mustFakeAuth(t)
	c := newCounter()
	x := fakeExchanger(t, fa, authn.Options{Observe: c.observe})

	const n = 50
	release := fa.Hold(t)
	var wg sync.WaitGroup
	results := make([]authn.Result, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { results[i], errs[i] = x.Exchange(t.Context(), fakeSession) })
	}
	// Every caller has missed and waits on the one call auth holds.
	c.waitFor(t, func() bool { return c.get(authn.OutcomeMiss)+c.get(authn.OutcomeShared) == n })
	release()
	wg.Wait()

	fa.wantExchanges(t, "concurrent misses", 1)
	if got := c.get(authn.OutcomeMiss); got != 1 {
		t.Errorf("got %d callers calling auth, want 1", got)
	}
	for i := range n {
		if errs[i] != nil || results[i].Token != results[0].Token {
			t.Fatalf("caller %d: got (%v, same token %t), want the shared token", i, errs[i], results[i].Token == results[0].Token)
		}
	}
}

func TestCallerGoneLeavesCallRunning(t *testing.T) {
	fa := mustFakeAuth(t)
	c := newCounter()
	x := fakeExchanger(t, fa, authn.Options{Observe: c.observe})

	release := fa.Hold(t)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := x.Exchange(ctx, fakeSession)
		errc <- err
	}()
	c.waitFor(t, func() bool { return c.get(authn.OutcomeMiss) == 1 })
	cancel()
	err := <-errc
	if !errors.Is(err, context.Canceled) || authn.Status(err) != authn.StatusClientClosedRequest {
		t.Errorf("caller gone: got (%v, status %d), want context.Canceled and 499", err, authn.Status(err))
	}
	release()
	// The call went on: the next caller joins it or finds its result.
	mustExchange(t, x, fakeSession)
	fa.wantExchanges(t, "after the first caller left", 1)
}

func TestInvalidate(t *testing.T) {
	fa := mustFakeAuth(t)
	c := newCounter()
	x := fakeExchanger(t, fa, authn.Options{Observe: c.observe})

	mustExchange(t, x, fakeSession)
	x.Invalidate(fakeSession)
	mustExchange(t, x, fakeSession)
	fa.wantExchanges(t, "after invalidate", 2)

	// A call in flight when its credential is invalidated is answered but
	// not cached.
	x.Invalidate(fakeSession)
	release := fa.Hold(t)
	errc := make(chan error, 1)
	go func() {
		_, err := x.Exchange(t.Context(), fakeSession)
		errc <- err
	}()
	c.waitFor(t, func() bool { return c.get(authn.OutcomeMiss) == 3 })
	x.Invalidate(fakeSession)
	release()
	mustNoErr(t, "exchange invalidated in flight", <-errc)
	mustExchange(t, x, fakeSession)
	fa.wantExchanges(t, "after invalidate in flight", 4)
}

func TestExpiringTokenMargin(t *testing.T) {
	t.Run("cached until the margin", func(t *testing.T) {
		// Internal tokens of 35 s leave 5 s before the 30 s margin.
		fa := mustFakeAuthWith(t, authntest.Options{Lifetime: 35 * time.Second})
		x := fakeExchanger(t, fa, authn.Options{})
		mustExchange(t, x, fakeSession)
		fa.clock.Advance(5*time.Second - time.Nanosecond)
		mustExchange(t, x, fakeSession)
		fa.wantExchanges(t, "before the margin", 1)
		fa.clock.Advance(time.Nanosecond)
		mustExchange(t, x, fakeSession)
		fa.wantExchanges(t, "at the margin", 2)
	})
	t.Run("not cached within the margin", func(t *testing.T) {
		fa := mustFakeAuthWith(t, authntest.Options{Lifetime: 20 * time.Second})
		x := fakeExchanger(t, fa, authn.Options{})
		for range 3 {
			res := mustExchange(t, x, fakeSession)
			if got, want := res.ExpiresAt.Sub(fa.clock.Now()), 20*time.Second; got != want {
				t.Errorf("got a token for %v, want %v", got, want)
			}
		}
		fa.wantExchanges(t, "tokens shorter than the margin", 3)
	})
}

func TestMaxEntriesEviction(t *testing.T) {
	fa := mustFakeAuth(t)
	keys := make([]authn.Credential, 4)
	for i := range keys {
		keys[i] = fa.grantKey(fmt.Sprintf("key_%d", i), fmt.Sprintf("%s%d", apiKey[:len(apiKey)-1], i))
	}
	x := fakeExchanger(t, fa, authn.Options{MaxEntries: 3})

	for _, k := range keys[:3] {
		mustExchange(t, x, k)
	}
	mustExchange(t, x, keys[0]) // a hit: keys[0] gets a second chance
	fa.wantExchanges(t, "three keys, one used again", 3)
	mustExchange(t, x, keys[3]) // evicts keys[1], the oldest unused
	if got := x.Len(); got != 3 {
		t.Errorf("got %d entries, want 3", got)
	}
	for i, want := range []int64{4, 4, 4, 5} {
		mustExchange(t, x, keys[[]int{0, 2, 3, 1}[i]])
		fa.wantExchanges(t, fmt.Sprintf("exchange %d after eviction", i), want)
	}
}

func TestExchangeMalformed(t *testing.T) {
	fa := mustFakeAuth(t)
	x := fakeExchanger(t, fa, authn.Options{})
	for name, c := range map[string]authn.Credential{
		"no credential": {},
		"unknown kind":  {Kind: "cookie", Value: sessionToken},
		"empty value":   {Kind: authn.KindBearer},
		"too long":      {Kind: authn.KindBearer, Value: string(make([]byte, authn.MaxCredentialLen+1))},
	} {
		_, err := x.Exchange(t.Context(), c)
		wantErr(t, name, err, authn.ErrMalformed, http.StatusUnauthorized)
	}
	fa.wantExchanges(t, "malformed credentials", 0)
}

func TestNewRejects(t *testing.T) {
	good := verifying(t, authn.Options{AuthURL: "http://auth"})
	if _, err := authn.New(good); err != nil {
		t.Fatalf("good options: got %v, want no error", err)
	}
	for name, change := range map[string]func(*authn.Options){
		"no url":            func(o *authn.Options) { o.AuthURL = "" },
		"relative url":      func(o *authn.Options) { o.AuthURL = "auth:8081" },
		"url with query":    func(o *authn.Options) { o.AuthURL = "http://auth?x=1" },
		"no issuer":         func(o *authn.Options) { o.Issuer = "" },
		"no keys":           func(o *authn.Options) { o.Keys = nil },
		"no workload token": func(o *authn.Options) { o.WorkloadToken = nil },
		"negative timeout":  func(o *authn.Options) { o.Timeout = -time.Second },
		"negative margin":   func(o *authn.Options) { o.ExpiryMargin = -time.Second },
		"negative entries":  func(o *authn.Options) { o.MaxEntries = -1 },
		"negative response": func(o *authn.Options) { o.MaxResponseBytes = -1 },
	} {
		o := good
		change(&o)
		if _, err := authn.New(o); err == nil {
			t.Errorf("%s: got no error, want one", name)
		}
	}
}
