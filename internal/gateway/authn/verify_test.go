package authn_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/authn/authntest"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

func TestExchangeVerifiesToken(t *testing.T) {
	fa := mustFakeAuth(t)
	x := fakeExchanger(t, fa, authn.Options{})
	res := mustExchange(t, x, fakeSession)
	if res.Token != fa.LastToken() {
		t.Errorf("got another token than auth answered")
	}
	c := res.Claims
	if c == nil || c.Subject != "idn_ada" || c.Issuer != authntest.Issuer || c.Kind != identity.KindUser || c.Type != identity.InternalTokenType {
		t.Fatalf("got claims %+v, want ada's verified internal claims", c)
	}
	if res.Subject != c.Subject || res.Kind != c.Kind || !res.ExpiresAt.Equal(c.Expiry) || !res.ExpiresAt.Equal(t0.Add(authntest.DefaultLifetime)) {
		t.Errorf("got result %v, want subject, kind and expiry from the token", res)
	}
	if role, ok := c.Role("org_two"); !ok || role != "viewer" {
		t.Errorf("role in org_two = %q, %v; want viewer", role, ok)
	}
	wantWorkloadAdmitted(t, fa)
}

func TestExchangeClaimValues(t *testing.T) {
	fa := mustFakeAuth(t)
	key := authn.Credential{Kind: authn.KindAPIKey, Value: apiKey}
	fa.Grant(key.Value, identity.Claims{Subject: "key_1", Kind: identity.KindAPIKey,
		Orgs: []identity.OrgRole{{ID: testOrg, Role: "scoped"}}, Scopes: []string{"configs:read", "analytics:read"}})
	x := fakeExchanger(t, fa, authn.Options{})

	user := mustExchange(t, x, fakeSession)
	v := user.ClaimValues
	orgs, _ := v["orgs"].([]any)
	first, _ := orgs[0].(map[string]any)
	if v["sub"] != "idn_ada" || v["kind"] != "user" || v["iss"] != authntest.Issuer || v["sid"] != "ses_1" ||
		len(orgs) != 2 || first["id"] != testOrg || first["role"] != "admin" {
		t.Errorf("got claim values %v, want ada's claims by their JSON names", v)
	}
	if exp, ok := v["exp"].(json.Number); !ok || exp.String() != "1777626300" {
		t.Errorf("exp = %#v, want the exact json.Number 1777626300", v["exp"])
	}
	machine := mustExchange(t, x, key)
	if got := machine.ClaimValues["scope"]; got != "configs:read analytics:read" || machine.ClaimValues["kind"] != "api_key" {
		t.Errorf("got scope %v kind %v, want the space-separated scopes of an api_key", got, machine.ClaimValues["kind"])
	}
	if !machine.Claims.HasScope("analytics:read") || machine.Kind != identity.KindAPIKey {
		t.Errorf("got %+v, want a verified api key with its scopes", machine.Claims)
	}
}

// TestExchangeRefusesForgedTokens: whatever answers in auth's place, a
// token that does not verify is ErrUnavailable (503), never a pass, never
// a verdict on the credential, and never cached.
func TestExchangeRefusesForgedTokens(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(*authntest.Token)
		reason error
	}{
		{"signed by a key not in the JWKS", func(tk *authntest.Token) { tk.Key = authntest.NewKey(t) }, identity.ErrSignature},
		{"unknown kid", func(tk *authntest.Token) {
			tk.Key, tk.Header["kid"] = authntest.NewKey(t), "rogue-key"
		}, identity.ErrUnknownKey},
		{"wrong issuer", func(tk *authntest.Token) { tk.Claims["iss"] = "https://evil.example" }, identity.ErrIssuer},
		{"wrong audience", func(tk *authntest.Token) { tk.Claims["aud"] = "portico-api" }, identity.ErrAudience},
		{"access token type", func(tk *authntest.Token) { tk.Header["typ"] = identity.AccessTokenType }, identity.ErrType},
		{"expired", func(tk *authntest.Token) {
			tk.Claims["iat"], tk.Claims["exp"] = t0.Add(-10*time.Minute).Unix(), t0.Add(-2*time.Minute).Unix()
		}, identity.ErrExpired},
		{"alg none", func(tk *authntest.Token) { tk.Header["alg"], tk.Key = "none", nil }, identity.ErrAlgorithm},
		{"HS256", func(tk *authntest.Token) { tk.Header["alg"] = "HS256" }, identity.ErrAlgorithm},
		{"a key in the header", func(tk *authntest.Token) { tk.Header["jku"] = "https://evil.example/jwks" }, identity.ErrMalformed},
		{"unknown principal kind", func(tk *authntest.Token) { tk.Claims["kind"] = "robot" }, identity.ErrMalformed},
		{"not a JWT", func(tk *authntest.Token) { tk.Raw = "not-a-jwt" }, identity.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fa := mustFakeAuth(t)
			fa.Tamper(tc.tamper)
			c := newCounter()
			x := fakeExchanger(t, fa, authn.Options{Observe: c.observe})
			for range 2 {
				res, err := x.Exchange(t.Context(), fakeSession)
				wantErr(t, tc.name, err, authn.ErrUnavailable, http.StatusServiceUnavailable)
				if !errors.Is(err, authn.ErrInvalidToken) || !errors.Is(err, tc.reason) {
					t.Errorf("got error %v, want ErrInvalidToken for %v", err, tc.reason)
				}
				if res.Token != "" || res.Claims != nil {
					t.Errorf("got a result %v with the error, want none", res)
				}
			}
			if got := fa.Exchanges(); got != 2 {
				t.Errorf("got %d exchanges, want 2: a refused token is not cached", got)
			}
			if x.Len() != 0 || c.get(authn.OutcomeNegativeHit) != 0 {
				t.Errorf("got %d entries and %d negative hits, want none", x.Len(), c.get(authn.OutcomeNegativeHit))
			}
			// Once auth answers honestly again, the credential passes.
			fa.Tamper(nil)
			mustExchange(t, x, fakeSession)
		})
	}
}

func TestExchangeKeysUnavailable(t *testing.T) {
	fa := mustFakeAuth(t)
	fa.SetKeysDown(true)
	x := fakeExchanger(t, fa, authn.Options{})
	_, err := x.Exchange(t.Context(), fakeSession)
	wantErr(t, "keys down", err, authn.ErrUnavailable, http.StatusServiceUnavailable)
	if !errors.Is(err, identity.ErrKeysUnavailable) || !errors.Is(err, authn.ErrInvalidToken) {
		t.Errorf("got %v, want ErrKeysUnavailable", err)
	}
	if x.Len() != 0 {
		t.Errorf("got %d cached entries, want none", x.Len())
	}
}

// TestExchangeWorkloadToken: every exchange request carries the gateway's
// workload token, and auth refusing it is ErrUnavailable, never a verdict
// on the caller's credential.
func TestExchangeWorkloadToken(t *testing.T) {
	foreign, err := workload.NewIssuer(workload.IssuerOptions{URL: "http://elsewhere.test"})
	mustNoErr(t, "foreign issuer", err)
	for _, tc := range []struct {
		name      string
		src       func(*fakeAuth) workload.TokenSource
		wantCalls int64
	}{
		{"from an issuer auth does not trust", func(*fakeAuth) workload.TokenSource {
			return foreign.Source(workload.Gateway, workload.Auth)
		}, 2},
		{"naming a caller the exchange does not admit", func(fa *fakeAuth) workload.TokenSource {
			return fa.Workload.Source(workload.Accounts, workload.Auth)
		}, 2},
		{"for another audience", func(fa *fakeAuth) workload.TokenSource {
			return fa.Workload.Source(workload.Gateway, workload.Accounts)
		}, 2},
		{"that cannot be had, so nothing is sent", func(*fakeAuth) workload.TokenSource {
			return workload.NewFileSource("/nonexistent/portico/auth/token", 0)
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fa := mustFakeAuth(t)
			x := fakeExchanger(t, fa, authn.Options{WorkloadToken: tc.src(fa)})
			for range 2 {
				_, err := x.Exchange(t.Context(), fakeSession)
				wantErr(t, tc.name, err, authn.ErrUnavailable, http.StatusServiceUnavailable)
			}
			if got := fa.Calls(); got != tc.wantCalls {
				t.Errorf("got %d requests at auth, want %d (refusals of the gateway are not cached)", got, tc.wantCalls)
			}
			if got := fa.Exchanges(); got != 0 {
				t.Errorf("got %d exchanges past the guard, want 0", got)
			}
		})
	}
}

// wantWorkloadAdmitted checks that the exchanges reached auth's handler,
// past its workload guard, which admits only the gateway.
func wantWorkloadAdmitted(tb testing.TB, fa *fakeAuth) {
	tb.Helper()
	if fa.Exchanges() == 0 || fa.Calls() != fa.Exchanges() {
		tb.Errorf("got %d requests and %d admitted, want every request admitted", fa.Calls(), fa.Exchanges())
	}
}
