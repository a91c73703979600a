package authn_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/authn/authntest"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/identity/oidctest"
)

// The outside issuer's audience and the organizations it is bound to.
const (
	idpAudience = "api://portico"
	idpOrg      = "org_acme"
	idpOrg2     = "org_beta"
	// idpRefetch is the least time between two fetches of the issuer's
	// keys in these tests.
	idpRefetch = 30 * time.Second
)

// outside is a fake auth and an OpenID provider on one clock, and an
// exchanger toward the fake that admits the provider's tokens.
type outside struct {
	*fakeAuth
	idp *oidctest.Provider
	x   *authn.Exchanger
}

// mustOutside starts a fake auth and a provider whose key set may be
// cached maxAge seconds, and an exchanger that finds the provider's keys
// by discovery and admits its callers into idpOrg and idpOrg2 by their
// "tenant" claim, with the scopes of "scp" capped to allowed.
func mustOutside(tb testing.TB, maxAge int, allowed []string) *outside {
	tb.Helper()
	fa := mustFakeAuth(tb)
	idp := oidctest.New(tb, oidctest.Options{Now: fa.clock.Now, MaxAge: maxAge})
	keys, err := identity.NewDiscoveredJWKS(identity.DiscoveryOptions{
		Issuer: idp.Issuer(),
		JWKS:   identity.JWKSOptions{Now: fa.clock.Now, RefetchInterval: idpRefetch, Algorithms: []string{"RS256"}, KeysWithoutAlg: true},
	})
	mustNoErr(tb, "discovered jwks", err)
	v, err := identity.NewExternalVerifier(identity.ExternalVerifierOptions{
		Keys: keys, Issuer: idp.Issuer(), Audiences: []string{idpAudience}, Now: fa.clock.Now,
	})
	mustNoErr(tb, "external verifier", err)
	x := fakeExchanger(tb, fa, authn.Options{CacheTTL: time.Minute, External: []authn.ExternalIssuer{{
		Name: "acme-idp", Verifier: v, OrganizationClaim: "tenant", Organizations: []string{idpOrg, idpOrg2},
		ScopesClaim: "scp", AllowedScopes: allowed,
	}}})
	return &outside{fakeAuth: fa, idp: idp, x: x}
}

// token returns a token of the provider for subject in org with scopes,
// with extra claims replacing any.
func (o *outside) token(tb testing.TB, subject, org string, scopes []string, extra map[string]any) authn.Credential {
	tb.Helper()
	c := map[string]any{"tenant": org, "scp": scopes}
	for k, v := range extra {
		c[k] = v
	}
	return bearer(o.idp.Sign(tb, o.idp.Claims(subject, idpAudience, c)))
}

func bearer(tok string) authn.Credential { return authn.Credential{Kind: authn.KindBearer, Value: tok} }

func TestExternalTokenExchanged(t *testing.T) {
	o := mustOutside(t, 300, []string{"analytics:read", "configs:read"})
	c := o.token(t, "svc-reporting", idpOrg, []string{"analytics:read", "admin:all", "configs:read"}, nil)
	res := mustExchange(t, o.x, c)

	want := authntest.ExternalSubject(o.idp.Issuer(), "svc-reporting")
	cl := res.Claims
	if res.Subject != want || res.Kind != identity.KindClient || cl.Staff ||
		!slices.Equal(cl.Orgs, []identity.OrgRole{{ID: idpOrg, Role: "scoped"}}) ||
		!slices.Equal(cl.Scopes, []string{"analytics:read", "configs:read"}) {
		t.Errorf("got %s %s, orgs %v, scopes %v, staff %v; want a client %s scoped in %s with the allowed scopes",
			res.Kind, res.Subject, cl.Orgs, cl.Scopes, cl.Staff, want, idpOrg)
	}
	ex := o.ExternalExchanges()
	if len(ex) != 1 {
		t.Fatalf("got %d external exchanges at auth, want 1", len(ex))
	}
	if a := ex[0]; a.Issuer != o.idp.Issuer() || a.Subject != "svc-reporting" || a.Organization != idpOrg ||
		!slices.Equal(a.Scopes, []string{"analytics:read", "configs:read"}) || !a.ExpiresAt.Equal(t0.Add(oidctest.DefaultLifetime)) {
		t.Errorf("auth got assertion %+v", a)
	}
	// The exchange is cached like any other.
	o.clock.Advance(30 * time.Second)
	if again := mustExchange(t, o.x, c); again.Token != res.Token {
		t.Error("second exchange: got a new token, want the cached one")
	}
	o.wantExchanges(t, "exchanged once", 1)
	if got := o.idp.DiscoveryFetches() + o.idp.KeyFetches(); got != 2 {
		t.Errorf("got %d requests to the provider, want 2 (discovery and keys)", got)
	}
}

// TestExternalCacheBoundedByOutsideExpiry: an outside token about to
// expire is not served from the cache past its expiry, and once expired
// is refused without asking auth.
func TestExternalCacheBoundedByOutsideExpiry(t *testing.T) {
	o := mustOutside(t, 3600, nil)
	c := o.token(t, "svc", idpOrg, nil, map[string]any{"exp": t0.Add(45 * time.Second).Unix()})
	res := mustExchange(t, o.x, c)
	if !res.ExpiresAt.Equal(t0.Add(45 * time.Second)) {
		t.Errorf("internal token expires at %v, want the outside token's expiry %v", res.ExpiresAt, t0.Add(45*time.Second))
	}
	// Cached until ExpiryMargin (30s) before the expiry.
	o.clock.Advance(15*time.Second - time.Nanosecond)
	mustExchange(t, o.x, c)
	o.wantExchanges(t, "before the margin", 1)
	o.clock.Advance(time.Nanosecond)
	mustExchange(t, o.x, c)
	o.wantExchanges(t, "within the margin", 2)
	// Past the expiry and its leeway, the gateway refuses it alone.
	o.clock.Advance(30*time.Second + identity.DefaultExternalClockSkew)
	_, err := o.x.Exchange(t.Context(), c)
	wantErr(t, "expired outside token", err, authn.ErrUnauthenticated, http.StatusUnauthorized)
	o.wantExchanges(t, "after the expiry", 2)
}

// TestExternalForgeriesNeverReachAuth: every token an attacker can make
// is refused at the gateway, and none costs a call to auth.
func TestExternalForgeriesNeverReachAuth(t *testing.T) {
	o := mustOutside(t, 300, []string{"analytics:read"})
	stranger := oidctest.New(t, oidctest.Options{Now: o.clock.Now})
	idp := o.idp
	claims := func(extra map[string]any) map[string]any {
		c := idp.Claims("svc", idpAudience, map[string]any{"tenant": idpOrg, "scp": "analytics:read"})
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	priv := idp.Key(idp.Kid())
	cases := map[string]string{
		"alg none":                       oidctest.Unsigned(t, idp.Kid(), claims(nil)),
		"hmac keyed with the public key": oidctest.SignJOSE(t, jose.HS256, idp.PublicKeyPEM(t), idp.Kid(), claims(nil)),
		"foreign issuer":                 stranger.Sign(t, stranger.Claims("svc", idpAudience, map[string]any{"tenant": idpOrg})),
		"foreign key, this issuer":       stranger.SignWithKid(t, stranger.Kid(), claims(nil)),
		"wrong audience":                 idp.Sign(t, claims(map[string]any{"aud": "api://elsewhere"})),
		"expired":                        idp.Sign(t, claims(map[string]any{"iat": t0.Add(-2 * time.Hour).Unix(), "exp": t0.Add(-time.Hour).Unix()})),
		"not yet valid":                  idp.Sign(t, claims(map[string]any{"nbf": t0.Add(10 * time.Minute).Unix()})),
		"unknown kid":                    oidctest.SignJOSE(t, jose.RS256, priv, "k-invented", claims(nil)),
		"organization outside the bound": idp.Sign(t, claims(map[string]any{"tenant": "org_victim"})),
		"no organization":                idp.Sign(t, claims(map[string]any{"tenant": nil})),
		"organization not a string":      idp.Sign(t, claims(map[string]any{"tenant": []string{idpOrg}})),
		"no subject":                     idp.Sign(t, claims(map[string]any{"sub": nil})),
		"scopes of the wrong type":       idp.Sign(t, claims(map[string]any{"scp": 7})),
		"not a JWT":                      "opaque-token-of-nobody",
		"unconfigured issuer, unsigned":  oidctest.Unsigned(t, "k1", map[string]any{"iss": "https://nobody.example"}),
		"payload not JSON":               "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := o.x.Exchange(t.Context(), bearer(tok))
			wantErr(t, name, err, authn.ErrUnauthenticated, http.StatusUnauthorized)
		})
	}
	o.wantExchanges(t, "after every forgery", 0)
	// The genuine article still passes.
	mustExchange(t, o.x, o.token(t, "svc", idpOrg2, []string{"analytics:read"}, nil))
	o.wantExchanges(t, "a genuine token", 1)
}

// TestExternalScopesCapped: scopes beyond allowed_scopes are dropped
// before auth sees them; a token of only such scopes maps to none.
func TestExternalScopesCapped(t *testing.T) {
	o := mustOutside(t, 300, []string{"analytics:read"})
	for name, tc := range map[string]struct {
		scp  any
		want []string
	}{
		"array beyond the cap":  {[]string{"analytics:read", "configs:write", "analytics:read"}, []string{"analytics:read"}},
		"string beyond the cap": {"configs:write analytics:read", []string{"analytics:read"}},
		"only beyond the cap":   {[]string{"configs:write"}, []string{}},
		"none":                  {nil, []string{}},
	} {
		t.Run(name, func(t *testing.T) {
			res := mustExchange(t, o.x, o.token(t, "svc-"+name, idpOrg, nil, map[string]any{"scp": tc.scp}))
			if got := res.Claims.Scopes; !slices.Equal(got, tc.want) {
				t.Errorf("got scopes %q, want %q", got, tc.want)
			}
			ex := o.ExternalExchanges()
			if got := ex[len(ex)-1].Scopes; !slices.Equal(got, tc.want) {
				t.Errorf("auth was asserted scopes %q, want %q", got, tc.want)
			}
		})
	}
}

// TestExternalKeyRotation: the provider signs with a new key, which the
// gateway fetches once the refetch interval allows; a key it retires is
// refused once the cached set is refreshed.
func TestExternalKeyRotation(t *testing.T) {
	o := mustOutside(t, 120, nil)
	oldKid := o.idp.Kid()
	oldTok := o.token(t, "svc-old", idpOrg, nil, nil)
	mustExchange(t, o.x, oldTok)
	if got := o.idp.KeyFetches(); got != 1 {
		t.Fatalf("got %d key fetches, want 1", got)
	}

	newKid := o.idp.Rotate(t)
	o.clock.Advance(idpRefetch)
	newTok := o.token(t, "svc-new", idpOrg, nil, nil)
	if newKid == oldKid {
		t.Fatal("rotation kept the kid")
	}
	mustExchange(t, o.x, newTok)
	if got := o.idp.KeyFetches(); got != 2 {
		t.Errorf("after the new kid: got %d key fetches, want 2", got)
	}

	// Retired: still in the cached set until its max-age (120s) passes,
	// then gone.
	o.idp.Retire(oldKid)
	oldAgain := bearer(o.idp.SignWithKid(t, oldKid, o.idp.Claims("svc-old-2", idpAudience, map[string]any{"tenant": idpOrg})))
	mustExchange(t, o.x, oldAgain)
	o.clock.Advance(120 * time.Second)
	oldLate := bearer(o.idp.SignWithKid(t, oldKid, o.idp.Claims("svc-old-3", idpAudience, map[string]any{"tenant": idpOrg})))
	_, err := o.x.Exchange(t.Context(), oldLate)
	wantErr(t, "a retired key after the refresh", err, authn.ErrUnauthenticated, http.StatusUnauthorized)
	if got := o.idp.KeyFetches(); got != 3 {
		t.Errorf("after the refresh: got %d key fetches, want 3", got)
	}
	o.wantExchanges(t, "three accepted, one refused", 3)
}

// TestExternalUnknownKidFlood: many tokens with invented kids, at once,
// cost the provider a bounded number of fetches and auth nothing.
func TestExternalUnknownKidFlood(t *testing.T) {
	o := mustOutside(t, 300, nil)
	mustExchange(t, o.x, o.token(t, "svc", idpOrg, nil, nil)) // keys cached
	o.wantExchanges(t, "warm-up", 1)
	priv := o.idp.Key(o.idp.Kid())
	const workers, perWorker = 8, 25
	tokens := make([][]authn.Credential, workers)
	for w := range tokens {
		for i := range perWorker {
			c := o.idp.Claims(fmt.Sprintf("svc-%d-%d", w, i), idpAudience, map[string]any{"tenant": idpOrg})
			tokens[w] = append(tokens[w], bearer(oidctest.SignJOSE(t, jose.RS256, priv, fmt.Sprintf("evil-%d-%d", w, i), c)))
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Go(func() {
			for _, c := range tokens[w] {
				_, err := o.x.Exchange(t.Context(), c)
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, authn.ErrUnauthenticated) {
			t.Fatalf("invented kid: got %v, want ErrUnauthenticated", err)
		}
	}
	// The warm-up fetched once, and the clock stays within one refetch
	// interval of it: the flood fetches nothing more.
	if got := o.idp.KeyFetches(); got != 1 {
		t.Errorf("after %d tokens with invented kids: got %d key fetches, want 1", workers*perWorker, got)
	}
	// One interval later, a flood costs one fetch.
	o.clock.Advance(idpRefetch)
	for i := range 20 {
		c := o.idp.Claims("svc", idpAudience, map[string]any{"tenant": idpOrg})
		_, err := o.x.Exchange(t.Context(), bearer(oidctest.SignJOSE(t, jose.RS256, priv, fmt.Sprintf("late-%d", i), c)))
		wantErr(t, "invented kid after the interval", err, authn.ErrUnauthenticated, http.StatusUnauthorized)
	}
	if got := o.idp.KeyFetches(); got != 2 {
		t.Errorf("after one interval and 20 more: got %d key fetches, want 2", got)
	}
	o.wantExchanges(t, "after the flood", 1)
}

func TestExternalOrganizationRefusedByAuth(t *testing.T) {
	o := mustOutside(t, 300, nil)
	o.Suspend(idpOrg2)
	c := o.token(t, "svc", idpOrg2, nil, nil)
	_, err := o.x.Exchange(t.Context(), c)
	wantErr(t, "suspended organization", err, authn.ErrUnauthenticated, http.StatusUnauthorized)
	_, err = o.x.Exchange(t.Context(), c)
	wantErr(t, "again, from the negative cache", err, authn.ErrUnauthenticated, http.StatusUnauthorized)
	o.wantExchanges(t, "refused once, then cached", 1)
}

// TestExternalAnswerMustMatchAssertion: an auth that answers an outside
// caller with a token for another organization, or with staff, is not
// believed.
func TestExternalAnswerMustMatchAssertion(t *testing.T) {
	for name, tamper := range map[string]func(*authntest.Token){
		"another organization": func(tk *authntest.Token) {
			tk.Claims["orgs"] = []map[string]string{{"id": "org_victim", "role": "scoped"}}
		},
		"staff":          func(tk *authntest.Token) { tk.Claims["staff"] = true },
		"a member role":  func(tk *authntest.Token) { tk.Claims["orgs"] = []map[string]string{{"id": idpOrg, "role": "owner"}} },
		"a person":       func(tk *authntest.Token) { tk.Claims["kind"] = "user" },
		"an extra scope": func(tk *authntest.Token) { tk.Claims["scope"] = "admin:all" },
		"a Portico id":   func(tk *authntest.Token) { tk.Claims["sub"] = "usr_01JDQ0N4Y3T2ZB8VJX6K9M4R7P" },
		"a resource":     func(tk *authntest.Token) { tk.Claims["resource"] = []string{"https://api.example.com/billing"} },
		"outliving it":   func(tk *authntest.Token) { tk.Claims["exp"] = t0.Add(2 * time.Hour).Unix() },
	} {
		t.Run(name, func(t *testing.T) {
			o := mustOutside(t, 300, nil)
			o.Tamper(tamper)
			c := o.token(t, "svc", idpOrg, nil, map[string]any{"exp": t0.Add(3 * time.Minute).Unix()})
			_, err := o.x.Exchange(t.Context(), c)
			wantErr(t, name, err, authn.ErrUnavailable, http.StatusServiceUnavailable)
			if !errors.Is(err, authn.ErrInvalidToken) {
				t.Errorf("got %v, want ErrInvalidToken too", err)
			}
		})
	}
}

// TestExternalKeysUnavailable: when the issuer's keys cannot be had, its
// tokens get 503, not 401, and nothing is cached.
func TestExternalKeysUnavailable(t *testing.T) {
	fa := mustFakeAuth(t)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	keys, err := identity.NewJWKS(identity.JWKSOptions{URL: down.URL + "/keys", Now: fa.clock.Now, Algorithms: []string{"RS256"}})
	mustNoErr(t, "jwks", err)
	idp := oidctest.New(t, oidctest.Options{Now: fa.clock.Now})
	v, err := identity.NewExternalVerifier(identity.ExternalVerifierOptions{Keys: keys, Issuer: idp.Issuer(), Audiences: []string{idpAudience}, Now: fa.clock.Now})
	mustNoErr(t, "verifier", err)
	x := fakeExchanger(t, fa, authn.Options{External: []authn.ExternalIssuer{{Name: "idp", Verifier: v, Organization: idpOrg}}})
	_, err = x.Exchange(t.Context(), bearer(idp.Sign(t, idp.Claims("svc", idpAudience, nil))))
	wantErr(t, "keys down", err, authn.ErrUnavailable, http.StatusServiceUnavailable)
	if x.Len() != 0 {
		t.Errorf("got %d cached entries, want none", x.Len())
	}
	fa.wantExchanges(t, "keys down", 0)
}

// TestExternalLeavesAuthTokensAlone: with outside issuers configured,
// bearer tokens of auth's own issuer and API keys still go to auth.
func TestExternalLeavesAuthTokensAlone(t *testing.T) {
	o := mustOutside(t, 300, nil)
	own := oidctest.Unsigned(t, "k1", map[string]any{"iss": authntest.Issuer, "sub": "cli_1"})
	o.Grant(own, identity.Claims{Subject: "cli_1", Kind: identity.KindClient, Orgs: []identity.OrgRole{{ID: testOrg, Role: "scoped"}}})
	if res := mustExchange(t, o.x, bearer(own)); res.Subject != "cli_1" {
		t.Errorf("auth's own token: got subject %q, want cli_1", res.Subject)
	}
	mustExchange(t, o.x, o.grantKey("key_1", apiKey))
	mustExchange(t, o.x, fakeSession)
	o.wantExchanges(t, "auth's own credentials", 3)
	if len(o.ExternalExchanges()) != 0 {
		t.Error("auth's own credentials were sent as external")
	}
}

func TestExternalIssuerOptions(t *testing.T) {
	fa := mustFakeAuth(t)
	idp := oidctest.New(t, oidctest.Options{Now: fa.clock.Now})
	mk := func(iss string) *identity.ExternalVerifier {
		v, err := identity.NewExternalVerifier(identity.ExternalVerifierOptions{Keys: fa.Keys(), Issuer: iss, Audiences: []string{idpAudience}})
		mustNoErr(t, "verifier", err)
		return v
	}
	v := mk(idp.Issuer())
	for name, ext := range map[string][]authn.ExternalIssuer{
		"no name":               {{Verifier: v, Organization: idpOrg}},
		"no verifier":           {{Name: "a", Organization: idpOrg}},
		"no organization":       {{Name: "a", Verifier: v}},
		"both bindings":         {{Name: "a", Verifier: v, Organization: idpOrg, OrganizationClaim: "t", Organizations: []string{idpOrg}}},
		"claim without orgs":    {{Name: "a", Verifier: v, OrganizationClaim: "t"}},
		"auth's own issuer":     {{Name: "a", Verifier: mk(authntest.Issuer), Organization: idpOrg}},
		"issuer twice":          {{Name: "a", Verifier: v, Organization: idpOrg}, {Name: "b", Verifier: v, Organization: idpOrg}},
		"name twice":            {{Name: "a", Verifier: v, Organization: idpOrg}, {Name: "a", Verifier: mk("https://other.example"), Organization: idpOrg}},
		"fixed with a list too": {{Name: "a", Verifier: v, Organization: idpOrg, Organizations: []string{idpOrg2}}},
	} {
		o := verifying(t, authn.Options{AuthURL: fa.URL, External: ext})
		if _, err := authn.New(o); err == nil {
			t.Errorf("%s: got no error", name)
		}
	}
}
