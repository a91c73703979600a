package authn_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/gateway/authn"
)

func TestExchangeCachesAfterMiss(t *testing.T) {
	a := newAuthServer(t, auth.Options{})
	session := a.mustSession(t, "ada@example.com")
	key := a.mustAPIKey(t, session)
	x := a.mustExchanger(t, authn.Options{})

	for _, tc := range []struct {
		name     string
		c        authn.Credential
		wantKind string
	}{
		{"session", session, "user"},
		{"api key", key, "api_key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := a.exchanges.Load()
			first := mustExchange(t, x, tc.c)
			if first.Token == "" || first.Subject == "" || first.Kind != tc.wantKind || !first.ExpiresAt.After(a.clock.Now()) {
				t.Fatalf("got %+v (token %d bytes), want a token of a %s", first, len(first.Token), tc.wantKind)
			}
			a.clock.Advance(authn.DefaultCacheTTL - time.Millisecond)
			second := mustExchange(t, x, tc.c)
			if second.Token != first.Token {
				t.Errorf("second exchange: got a new token, want the cached one")
			}
			a.wantExchanges(t, "miss then hit", before+1)
		})
	}
}

func TestExchangeExpiresAfterTTL(t *testing.T) {
	a := newAuthServer(t, auth.Options{})
	session := a.mustSession(t, "ada@example.com")
	x := a.mustExchanger(t, authn.Options{CacheTTL: 4 * time.Second})

	first := mustExchange(t, x, session)
	a.clock.Advance(4*time.Second - time.Nanosecond)
	mustExchange(t, x, session)
	a.wantExchanges(t, "within the ttl", 1)
	a.clock.Advance(time.Nanosecond)
	second := mustExchange(t, x, session)
	a.wantExchanges(t, "at the ttl", 2)
	if second.Token == first.Token {
		t.Error("after the ttl: got the cached token, want a new one")
	}
}

func TestExchangeTTLBoundedByAuth(t *testing.T) {
	// auth grants 3 seconds of caching, less than the exchanger's 10.
	a := newAuthServer(t, auth.Options{ExchangeCacheTTL: 3 * time.Second})
	session := a.mustSession(t, "ada@example.com")
	x := a.mustExchanger(t, authn.Options{})

	mustExchange(t, x, session)
	a.clock.Advance(3*time.Second - time.Nanosecond)
	mustExchange(t, x, session)
	a.wantExchanges(t, "within auth's ttl", 1)
	a.clock.Advance(time.Nanosecond)
	mustExchange(t, x, session)
	a.wantExchanges(t, "at auth's ttl", 2)
}

func TestRevocationTakesEffectAfterTTL(t *testing.T) {
	a := newAuthServer(t, auth.Options{})
	session := a.mustSession(t, "ada@example.com")
	x := a.mustExchanger(t, authn.Options{})

	cached := mustExchange(t, x, session)
	a.mustLogout(t, session)

	// Until the ttl ends, the revoked session still gets its cached token:
	// this is the delay the design accepts.
	a.clock.Advance(authn.DefaultCacheTTL - time.Millisecond)
	if got := mustExchange(t, x, session); got.Token != cached.Token {
		t.Error("revoked within the ttl: got a new token, want the cached one")
	}
	a.wantExchanges(t, "within the ttl", 1)

	a.clock.Advance(time.Millisecond)
	_, err := x.Exchange(t.Context(), session)
	wantErr(t, "revoked after the ttl", err, authn.ErrUnauthenticated, http.StatusUnauthorized)
	a.wantExchanges(t, "after the ttl", 2)
}

func TestNegativeCache(t *testing.T) {
	a := newAuthServer(t, auth.Options{})
	session := a.mustSession(t, "ada@example.com")
	key := a.mustAPIKey(t, session)
	wrongKey := authn.Credential{Kind: authn.KindAPIKey, Value: key.Value[:len(key.Value)-1] + "x"}
	c := newCounter()
	x := a.mustExchanger(t, authn.Options{Observe: c.observe})

	for i := range 5 {
		_, err := x.Exchange(t.Context(), wrongKey)
		wantErr(t, fmt.Sprintf("wrong key, try %d", i), err, authn.ErrUnauthenticated, http.StatusUnauthorized)
	}
	a.wantExchanges(t, "five tries within the negative ttl", 1)
	if got := c.get(authn.OutcomeNegativeHit); got != 4 {
		t.Errorf("got %d negative hits, want 4", got)
	}

	a.clock.Advance(authn.DefaultNegativeTTL)
	_, err := x.Exchange(t.Context(), wrongKey)
	wantErr(t, "after the negative ttl", err, authn.ErrUnauthenticated, http.StatusUnauthorized)
	a.wantExchanges(t, "after the negative ttl", 2)

	// A refusal is remembered for that credential only.
	mustExchange(t, x, key)
	a.wantExchanges(t, "the right key", 3)
}

func TestNegativeCacheDisabled(t *testing.T) {
	a := newAuthServer(t, auth.Options{})
	x := a.mustExchanger(t, authn.Options{NegativeTTL: -1})
	wrong := authn.Credential{Kind: authn.KindSession, Value: sessionToken}
	for range 3 {
		_, err := x.Exchange(t.Context(), wrong)
		wantErr(t, "unknown session", err, authn.ErrUnauthenticated, http.StatusUnauthorized)
	}
	a.wantExchanges(t, "without a negative cache", 3)
}

func TestConcurrentMissesMakeOneCall(t *testing.T) {
	a := newAuthServer(t, auth.Options{})
	session := a.mustSession(t, "ada@example.com")
	c := newCounter()
	x := a.mustExchanger(t, authn.Options{Observe: c.observe})

	const n = 50
	release := a.hold(t)
	var wg sync.WaitGroup
	results := make([]authn.Result, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { results[i], errs[i] = x.Exchange(t.Context(), session) })
	}
	// Every caller has missed and waits on the one call auth holds.
	c.waitFor(t, func() bool { return c.get(authn.OutcomeMiss)+c.get(authn.OutcomeShared) == n })
	release()
	wg.Wait()

	a.wantExchanges(t, "concurrent misses", 1)
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
	a := newAuthServer(t, auth.Options{})
	session := a.mustSession(t, "ada@example.com")
	c := newCounter()
	x := a.mustExchanger(t, authn.Options{Observe: c.observe})

	release := a.hold(t)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := x.Exchange(ctx, session)
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
	mustExchange(t, x, session)
	a.wantExchanges(t, "after the first caller left", 1)
}

func TestInvalidate(t *testing.T) {
	a := newAuthServer(t, auth.Options{})
	session := a.mustSession(t, "ada@example.com")
	c := newCounter()
	x := a.mustExchanger(t, authn.Options{Observe: c.observe})

	mustExchange(t, x, session)
	x.Invalidate(session)
	mustExchange(t, x, session)
	a.wantExchanges(t, "after invalidate", 2)

	// A call in flight when its credential is invalidated is answered but
	// not cached.
	x.Invalidate(session)
	release := a.hold(t)
	errc := make(chan error, 1)
	go func() {
		_, err := x.Exchange(t.Context(), session)
		errc <- err
	}()
	c.waitFor(t, func() bool { return c.get(authn.OutcomeMiss) == 3 })
	x.Invalidate(session)
	release()
	mustNoErr(t, "exchange invalidated in flight", <-errc)
	mustExchange(t, x, session)
	a.wantExchanges(t, "after invalidate in flight", 4)
}

func TestExpiringTokenMargin(t *testing.T) {
	t.Run("cached until the margin", func(t *testing.T) {
		// Internal tokens of 35 s leave 5 s before the 30 s margin.
		a := newAuthServer(t, auth.Options{InternalTokenLifetime: 35 * time.Second})
		session := a.mustSession(t, "ada@example.com")
		x := a.mustExchanger(t, authn.Options{})
		mustExchange(t, x, session)
		a.clock.Advance(5*time.Second - time.Nanosecond)
		mustExchange(t, x, session)
		a.wantExchanges(t, "before the margin", 1)
		a.clock.Advance(time.Nanosecond)
		mustExchange(t, x, session)
		a.wantExchanges(t, "at the margin", 2)
	})
	t.Run("not cached within the margin", func(t *testing.T) {
		a := newAuthServer(t, auth.Options{InternalTokenLifetime: 20 * time.Second})
		session := a.mustSession(t, "ada@example.com")
		x := a.mustExchanger(t, authn.Options{})
		for range 3 {
			res := mustExchange(t, x, session)
			if got, want := res.ExpiresAt.Sub(a.clock.Now()), 20*time.Second; got != want {
				t.Errorf("got a token for %v, want %v", got, want)
			}
		}
		a.wantExchanges(t, "tokens shorter than the margin", 3)
	})
}

func TestMaxEntriesEviction(t *testing.T) {
	a := newAuthServer(t, auth.Options{})
	session := a.mustSession(t, "ada@example.com")
	keys := make([]authn.Credential, 4)
	for i := range keys {
		keys[i] = a.mustAPIKey(t, session)
	}
	x := a.mustExchanger(t, authn.Options{MaxEntries: 3})

	for _, k := range keys[:3] {
		mustExchange(t, x, k)
	}
	mustExchange(t, x, keys[0]) // a hit: keys[0] gets a second chance
	a.wantExchanges(t, "three keys, one used again", 3)
	mustExchange(t, x, keys[3]) // evicts keys[1], the oldest unused
	if got := x.Len(); got != 3 {
		t.Errorf("got %d entries, want 3", got)
	}
	for i, want := range []int64{4, 4, 4, 5} {
		mustExchange(t, x, keys[[]int{0, 2, 3, 1}[i]])
		a.wantExchanges(t, fmt.Sprintf("exchange %d after eviction", i), want)
	}
}

func TestExchangeMalformed(t *testing.T) {
	a := newAuthServer(t, auth.Options{})
	x := a.mustExchanger(t, authn.Options{})
	for name, c := range map[string]authn.Credential{
		"no credential": {},
		"unknown kind":  {Kind: "cookie", Value: sessionToken},
		"empty value":   {Kind: authn.KindBearer},
		"too long":      {Kind: authn.KindBearer, Value: string(make([]byte, authn.MaxCredentialLen+1))},
	} {
		_, err := x.Exchange(t.Context(), c)
		wantErr(t, name, err, authn.ErrMalformed, http.StatusUnauthorized)
	}
	a.wantExchanges(t, "malformed credentials", 0)
}

func TestNewRejects(t *testing.T) {
	for name, o := range map[string]authn.Options{
		"no url":            {},
		"relative url":      {AuthURL: "auth:8081"},
		"url with query":    {AuthURL: "http://auth?x=1"},
		"negative timeout":  {AuthURL: "http://auth", Timeout: -time.Second},
		"negative margin":   {AuthURL: "http://auth", ExpiryMargin: -time.Second},
		"negative entries":  {AuthURL: "http://auth", MaxEntries: -1},
		"negative response": {AuthURL: "http://auth", MaxResponseBytes: -1},
	} {
		if _, err := authn.New(o); err == nil {
			t.Errorf("%s: got no error, want one", name)
		}
	}
}
