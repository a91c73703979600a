package signing_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth/signing"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

func TestIssueAndVerify(t *testing.T) {
	for _, alg := range identity.SupportedAlgorithms() {
		t.Run(alg, func(t *testing.T) {
			clk := newClock()
			o := testOptions(clk)
			o.Algorithm = alg
			m := mustManager(t, mustSQLiteStore(t), mustKEK(t), o)
			srv := newCountingServer(t, m.JWKSHandler())

			t.Run("internal token", func(t *testing.T) {
				tok := mustIssueInternal(t, m)
				h := tokenHeader(t, tok)
				if h["alg"] != alg || h["typ"] != identity.InternalTokenType || h["kid"] != m.Keys()[0].KID || len(h) != 3 {
					t.Errorf("got header %v, want alg %s, typ %s and the key's kid only", h, alg, identity.InternalTokenType)
				}
				v := mustVerifier(t, srv.URL, clk, identity.InternalAudience, identity.InternalTokenType)
				c, err := v.Verify(t.Context(), tok)
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				iat := clk.Now().Truncate(time.Second)
				want := &identity.Claims{
					Type: identity.InternalTokenType, Issuer: testIssuer, Subject: internalClaims().Subject,
					Audience: []string{identity.InternalAudience}, ID: c.ID,
					IssuedAt: iat, Expiry: iat.Add(signing.DefaultInternalTokenLifetime),
					Scopes: []string{"configs:read"}, Kind: identity.KindUser, Orgs: internalClaims().Orgs,
					CredentialID: internalClaims().CredentialID,
				}
				if !reflect.DeepEqual(c, want) {
					t.Errorf("claims:\n got %+v\nwant %+v", c, want)
				}
				if len(c.ID) < 20 {
					t.Errorf("got jti %q, want a random ID", c.ID)
				}
			})

			t.Run("access token", func(t *testing.T) {
				tok, err := m.IssueAccessToken(t.Context(), signing.AccessClaims{
					Subject: "cli_1", ClientID: "cli_1", Audience: []string{"https://api.portico.test"},
					Scopes: []string{"analytics:read", "configs:write"}, Lifetime: 10 * time.Minute,
					NotBefore: clk.Now().Truncate(time.Second), OrgID: "org_acme", ID: "at_1",
				})
				if err != nil {
					t.Fatalf("issue: %v", err)
				}
				if typ := tokenHeader(t, tok)["typ"]; typ != identity.AccessTokenType {
					t.Errorf("got typ %v, want %s", typ, identity.AccessTokenType)
				}
				v := mustVerifier(t, srv.URL, clk, "https://api.portico.test", identity.AccessTokenType)
				c, err := v.Verify(t.Context(), tok)
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				iat := clk.Now().Truncate(time.Second)
				if c.ClientID != "cli_1" || c.ID != "at_1" || c.OrgID != "org_acme" || !c.Expiry.Equal(iat.Add(10*time.Minute)) ||
					!slices.Equal(c.Scopes, []string{"analytics:read", "configs:write"}) || !c.NotBefore.Equal(iat) {
					t.Errorf("got claims %+v", c)
				}
				// Typed tokens are not interchangeable.
				internalV := mustVerifier(t, srv.URL, clk, "https://api.portico.test", identity.InternalTokenType)
				_, err = internalV.Verify(t.Context(), tok)
				wantErrIs(t, "access token as internal token", err, identity.ErrType)
				accessV := mustVerifier(t, srv.URL, clk, identity.InternalAudience, identity.AccessTokenType)
				_, err = accessV.Verify(t.Context(), mustIssueInternal(t, m))
				wantErrIs(t, "internal token as access token", err, identity.ErrType)
			})

			t.Run("in-process keys", func(t *testing.T) {
				v, err := identity.NewVerifier(identity.VerifierOptions{
					Keys: m, Issuer: testIssuer, Audience: identity.InternalAudience, Now: clk.Now,
				})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := v.Verify(t.Context(), mustIssueInternal(t, m)); err != nil {
					t.Errorf("verify with the manager as key source: %v", err)
				}
			})
		})
	}
}

func TestIssueRejects(t *testing.T) {
	clk := newClock()
	m := mustManager(t, mustSQLiteStore(t), mustKEK(t), testOptions(clk))
	for _, tc := range []struct {
		name     string
		mutate   func(*identity.Claims)
		lifetime time.Duration
	}{
		{"no subject", func(c *identity.Claims) { c.Subject = "" }, 0},
		{"unknown kind", func(c *identity.Claims) { c.Kind = "robot" }, 0},
		{"lifetime above the maximum", func(*identity.Claims) {}, signing.DefaultMaxTokenLifetime + time.Second},
		{"negative lifetime", func(*identity.Claims) {}, -time.Second},
		{"scope with a space", func(c *identity.Claims) { c.Scopes = []string{"a b"} }, 0},
		{"empty scope", func(c *identity.Claims) { c.Scopes = []string{""} }, 0},
		{"org without role", func(c *identity.Claims) { c.Orgs = []identity.OrgRole{{ID: "org_acme"}} }, 0},
		{"too many orgs", func(c *identity.Claims) {
			c.Orgs = make([]identity.OrgRole, signing.MaxOrgs+1)
			for i := range c.Orgs {
				c.Orgs[i] = identity.OrgRole{ID: "org_x", Role: "viewer"}
			}
		}, 0},
		{"long subject", func(c *identity.Claims) { c.Subject = strings.Repeat("x", signing.MaxClaimLen+1) }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := internalClaims()
			tc.mutate(&c)
			_, err := m.IssueInternalToken(t.Context(), c, tc.lifetime)
			wantErrIs(t, "issue", err, signing.ErrInvalid)
		})
	}
	for name, c := range map[string]signing.AccessClaims{
		"no audience":  {Subject: "c", ClientID: "c"},
		"no client id": {Subject: "c", Audience: []string{"a"}},
		"no subject":   {ClientID: "c", Audience: []string{"a"}},
	} {
		_, err := m.IssueAccessToken(t.Context(), c)
		wantErrIs(t, name, err, signing.ErrInvalid)
	}

	t.Run("token larger than the limit", func(t *testing.T) {
		o := testOptions(clk)
		o.MaxTokenBytes = 600
		small := mustManager(t, mustSQLiteStore(t), mustKEK(t), o)
		c := internalClaims()
		for range 20 {
			c.Orgs = append(c.Orgs, identity.OrgRole{ID: "org_01JDQ0N4Y3T2ZB8VJX6K9M4R7P", Role: "viewer"})
		}
		_, err := small.IssueInternalToken(t.Context(), c, 0)
		wantErrIs(t, "issue", err, signing.ErrInvalid)
	})
}

// TestConcurrentStart starts two managers on one database at the same
// moment, as two replicas of auth do; they must agree on one active key.
func TestConcurrentStart(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			b.Require(t)
			for round := range 5 {
				db := b.Open(t)
				stores := []signing.KeyStore{mustOpenKeyStore(t, db), mustOpenKeyStore(t, db)}
				kek := mustKEK(t)
				clk := newClock()
				managers := make([]*signing.Manager, len(stores))
				errs := make([]error, len(stores))
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i, s := range stores {
					wg.Go(func() {
						<-start
						managers[i], errs[i] = signing.New(t.Context(), s, kek, testOptions(clk))
					})
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("round %d: manager %d: %v", round, i, err)
					}
				}
				keys, err := stores[0].ListSigningKeys(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if len(keys) != 1 {
					t.Fatalf("round %d: got %d keys, want 1", round, len(keys))
				}
				for i, m := range managers {
					if kid := tokenKID(t, mustIssueInternal(t, m)); kid != keys[0].KID {
						t.Errorf("round %d: manager %d signs with %s, want %s", round, i, kid, keys[0].KID)
					}
				}
			}
		})
	}
}

func TestPrivateKeysSealed(t *testing.T) {
	clk := newClock()
	store := mustSQLiteStore(t)
	kek := mustKEK(t)
	m := mustManager(t, store, kek, testOptions(clk))
	keys, err := store.ListSigningKeys(t.Context())
	if err != nil || len(keys) != 1 {
		t.Fatalf("list: got (%d keys, %v), want (1, nil)", len(keys), err)
	}
	if strings.Contains(string(keys[0].PublicKey), `"d"`) {
		t.Errorf("stored public key holds a private member: %s", keys[0].PublicKey)
	}

	other := mustKEK(t)
	if _, err := signing.New(t.Context(), store, other, testOptions(clk)); err == nil {
		t.Error("a manager with another KEK opened the stored keys")
	}
	// The same KEK restarts fine and signs with the stored key.
	again := mustManager(t, store, kek, testOptions(clk))
	if a, b := tokenKID(t, mustIssueInternal(t, m)), tokenKID(t, mustIssueInternal(t, again)); a != b {
		t.Errorf("restarted manager signs with %s, want %s", b, a)
	}
	for _, bad := range [][]byte{nil, make([]byte, 16)} {
		if _, err := signing.New(t.Context(), store, bad, testOptions(clk)); err == nil {
			t.Errorf("KEK of %d bytes accepted", len(bad))
		}
	}
}

func TestOptionsRejects(t *testing.T) {
	clk := newClock()
	for _, tc := range []struct {
		name   string
		mutate func(*signing.Options)
	}{
		{"no issuer", func(o *signing.Options) { o.Issuer = "" }},
		{"relative issuer", func(o *signing.Options) { o.Issuer = "/auth" }},
		{"issuer with query", func(o *signing.Options) { o.Issuer = "https://auth.test/?x=1" }},
		{"HS256", func(o *signing.Options) { o.Algorithm = "HS256" }},
		{"small RSA", func(o *signing.Options) { o.Algorithm, o.RSABits = "RS256", 1024 }},
		{"publish ahead within the jwks max-age", func(o *signing.Options) { o.PublishAhead, o.JWKSMaxAge = time.Hour, time.Hour }},
		{"rotation shorter than publish ahead", func(o *signing.Options) { o.RotateEvery = 12 * time.Hour }},
		{"margin within the check interval", func(o *signing.Options) { o.CacheMargin = time.Minute }},
		{"default lifetime above the maximum", func(o *signing.Options) { o.InternalTokenLifetime = 2 * time.Hour }},
		{"negative duration", func(o *signing.Options) { o.CheckInterval = -time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions(clk)
			tc.mutate(&o)
			if _, err := signing.New(t.Context(), mustSQLiteStore(t), mustKEK(t), o); err == nil {
				t.Error("got nil error, want one")
			}
		})
	}
}

func wantErrIs(tb testing.TB, what string, err, want error) {
	tb.Helper()
	if !errors.Is(err, want) {
		tb.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

// TestConcurrentIssueAndRotate signs from many goroutines while the keys
// rotate underneath; every token must verify against the published keys.
// Run with -race, it also checks the lock-free signing path.
func TestConcurrentIssueAndRotate(t *testing.T) {
	clk := newClock()
	m := mustManager(t, mustSQLiteStore(t), mustKEK(t), testOptions(clk))
	v, err := identity.NewVerifier(identity.VerifierOptions{Keys: m, Issuer: testIssuer, Audience: identity.InternalAudience, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	const signers, each, rotations = 4, 25, 5
	tokens := make(chan string, signers*each)
	var wg sync.WaitGroup
	for range signers {
		wg.Go(func() {
			for range each {
				tok, err := m.IssueInternalToken(t.Context(), internalClaims(), 0)
				if err != nil {
					t.Errorf("issue: %v", err)
					return
				}
				tokens <- tok
			}
		})
	}
	wg.Go(func() {
		for range rotations {
			if _, err := m.Rotate(t.Context()); err != nil {
				t.Errorf("rotate: %v", err)
			}
			if err := m.Maintain(t.Context()); err != nil {
				t.Errorf("maintain: %v", err)
			}
		}
	})
	wg.Wait()
	close(tokens)
	for tok := range tokens {
		if _, err := v.Verify(t.Context(), tok); err != nil {
			t.Errorf("verify: %v", err)
		}
	}
	if n := len(m.Keys()); n != rotations+1 {
		t.Errorf("got %d keys after %d rotations, want %d (retired ones stay published)", n, rotations, rotations+1)
	}
}
