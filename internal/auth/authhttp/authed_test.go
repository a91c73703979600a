package authhttp

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// TestUserRoutesNeedAValidInternalToken checks what /v1/me, and with it
// every route behind authed, accepts: only an internal token of the
// service's own issuer and keys, for the internal audience, of the internal
// type, unexpired, for a person whose session is still active.
func TestUserRoutesNeedAValidInternalToken(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	b, id := s.signedIn(t, "ada@example.com", "org_acme")
	other := s.mustIdentity(t, "bob@example.com")
	s.bearer(t, b)
	valid := b.token
	claims, err := s.Issuer.VerifyInternalToken(valid)
	if err != nil {
		t.Fatal(err)
	}
	forge := func(typ string, mutate func(c *identity.Claims)) string {
		c := *claims
		c.Audience = []string{identity.InternalAudience}
		mutate(&c)
		tok, err := s.Issuer.Sign(c, typ)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	stranger, err := authtest.NewIssuer(s.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	strangerToken, err := stranger.IssueInternalToken(t.Context(), *claims)
	if err != nil {
		t.Fatal(err)
	}
	cid, secret := s.mustCreateClient(t, b, "org_acme", false, "analytics:read")
	access := s.mustToken(t, cid, secret, url.Values{"grant_type": {"client_credentials"}})
	clientToken := mustExchange(t, s, access.AccessToken)
	r := s.do(t, b, "POST", "/v1/orgs/org_acme/api-keys", map[string]any{"name": "ci"})
	var k apiKeyJSON
	r.json(t, &k)
	keyToken := mustExchange(t, s, k.Key)
	now := s.Clock.Now()

	for name, tc := range map[string]struct {
		authorization string
		status        int
		typ           string
	}{
		"no token":           {"", http.StatusUnauthorized, "unauthenticated"},
		"not a bearer token": {"Basic YTpi", http.StatusUnauthorized, "unauthenticated"},
		"garbage":            {"Bearer abc", http.StatusUnauthorized, "invalid-token"},
		"another issuer":     {"Bearer " + forge(identity.InternalTokenType, func(c *identity.Claims) { c.Issuer = "https://evil.example" }), http.StatusUnauthorized, "invalid-token"},
		"another audience":   {"Bearer " + forge(identity.InternalTokenType, func(c *identity.Claims) { c.Audience = []string{"portico-api"} }), http.StatusUnauthorized, "invalid-token"},
		"another type":       {"Bearer " + forge(identity.AccessTokenType, func(*identity.Claims) {}), http.StatusUnauthorized, "invalid-token"},
		"expired":            {"Bearer " + forge(identity.InternalTokenType, func(c *identity.Claims) { c.IssuedAt, c.Expiry = now.Add(-3*time.Minute), now.Add(-time.Minute) }), http.StatusUnauthorized, "invalid-token"},
		"another key":        {"Bearer " + strangerToken, http.StatusUnauthorized, "invalid-token"},
		"a workload token":   {s.as(t, workload.Gateway)[1], http.StatusUnauthorized, "invalid-token"},
		"an oauth token":     {"Bearer " + access.AccessToken, http.StatusUnauthorized, "invalid-token"},
		"another's session":  {"Bearer " + forge(identity.InternalTokenType, func(c *identity.Claims) { c.Subject = other.ID }), http.StatusUnauthorized, "unauthenticated"},
		"a machine client":   {"Bearer " + clientToken, http.StatusForbidden, "forbidden"},
		"an api key":         {"Bearer " + keyToken, http.StatusForbidden, "forbidden"},
	} {
		t.Run(name, func(t *testing.T) {
			r := s.do(t, nil, "GET", "/v1/me", nil, "Authorization", tc.authorization)
			wantProblem(t, name, r, tc.status, tc.typ)
			if tc.status == http.StatusUnauthorized && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("got WWW-Authenticate %q, want a Bearer challenge", r.header.Get("WWW-Authenticate"))
			}
		})
	}

	r = s.do(t, nil, "GET", "/v1/me", nil, "Authorization", "Bearer "+valid)
	wantStatus(t, "a valid token", r, http.StatusOK)
	var me meResponse
	r.json(t, &me)
	if me.IdentityID != id.ID || me.SessionID != claims.CredentialID || len(me.Orgs) != 1 || me.Orgs[0].ID != "org_acme" {
		t.Errorf("got %+v, want the token's identity, session and organization", me)
	}

	// The token lives two minutes; the session ends now.
	if err := s.Store.RevokeSession(t.Context(), claims.CredentialID, s.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	r = s.do(t, nil, "GET", "/v1/me", nil, "Authorization", "Bearer "+valid)
	wantProblem(t, "a valid token of a revoked session", r, http.StatusUnauthorized, "unauthenticated")
	if got := r.header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
		t.Errorf("got WWW-Authenticate %q, want invalid_token", got)
	}
}

func mustExchange(tb testing.TB, s *testServer, credential string) string {
	tb.Helper()
	ex, err := s.Service.Exchange(tb.Context(), credential, "")
	if err != nil {
		tb.Fatalf("exchange: %v", err)
	}
	return ex.Token
}

// TestEveryRouteChecksItsCaller walks the route table: every /v1 route but
// sign-in and password reset refuses a request without an internal token
// (401) and one of a machine client (403); every /internal/ route refuses
// one without a workload token (401); the documents are served to anyone.
func TestEveryRouteChecksItsCaller(t *testing.T) {
	// Each document names the path it was served for, in a member
	// api/auth.yaml allows.
	jwks := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		fmt.Fprintf(w, `{"keys":[],"served":%q}`, r.URL.Path)
	})
	discovery := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"issuer":"https://auth.portico.test","jwks_uri":"https://auth.portico.test/.well-known/jwks.json","token_endpoint":"https://auth.portico.test/oauth2/token","served":%q}`, r.URL.Path)
	})
	s := newTestServer(t, auth.Options{}, Options{JWKS: jwks, Discovery: discovery})
	b, _ := s.signedIn(t, "adm@example.com", "org_acme")
	cid, secret := s.mustCreateClient(t, b, "org_acme", false, "analytics:read")
	clientToken := mustExchange(t, s, s.mustToken(t, cid, secret, url.Values{"grant_type": {"client_credentials"}}).AccessToken)
	public := map[string]bool{
		"POST /v1/login": true, "POST /v1/login/second-factor": true,
		"POST /v1/password/reset-request": true, "POST /v1/password/reset": true,
	}
	authed := 0
	for _, rt := range NewHandler(s.Service, Options{}).routes() {
		method, pattern, _ := strings.Cut(rt.pattern, " ")
		path := strings.NewReplacer("{org}", "org_acme", "{id}", "x").Replace(pattern)
		t.Run(rt.pattern, func(t *testing.T) {
			switch {
			case public[rt.pattern] || strings.HasPrefix(path, "/oauth2/"):
				// Tested by their own tests: no caller, or client authentication.
			case strings.HasPrefix(path, "/v1/"):
				authed++
				wantProblem(t, "no token", s.do(t, nil, method, path, nil), http.StatusUnauthorized, "unauthenticated")
				wantProblem(t, "a machine client", s.do(t, nil, method, path, nil, "Authorization", "Bearer "+clientToken),
					http.StatusForbidden, "forbidden")
			case strings.HasPrefix(path, "/internal/"):
				wantProblem(t, "no token", s.do(t, nil, method, path, nil), http.StatusUnauthorized, "unauthenticated")
				wantProblem(t, "an internal token", s.do(t, nil, method, path, nil, "Authorization", "Bearer "+clientToken),
					http.StatusUnauthorized, "invalid-token")
			case strings.HasPrefix(path, "/.well-known/"):
				r := s.do(t, nil, method, path, nil)
				wantStatus(t, "document", r, http.StatusOK)
				if !strings.Contains(string(r.body), `"served":"`+path+`"`) {
					t.Errorf("got %q, want the handler for %s", r.body, path)
				}
			default:
				t.Errorf("route %s has no rule in this test", rt.pattern)
			}
		})
	}
	if authed != 19 {
		t.Errorf("got %d routes behind authed, want 19", authed)
	}
}

// TestNoVerifierRefusesEveryone checks a Handler given no Issuer and Keys:
// routes that need a caller answer 401 whatever the request carries, and
// one of the two without the other is a configuration error.
func TestNoVerifierRefusesEveryone(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	b, _ := s.signedIn(t, "ada@example.com", "")
	s.bearer(t, b)
	h := NewHandler(s.Service, Options{Logger: discardLogger()})
	req := httptest.NewRequestWithContext(t.Context(), "GET", "/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+b.token)
	rec := httptest.NewRecorder()
	checked(t, h).ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("got status %d, WWW-Authenticate %q; want 401 with a Bearer challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
	for name, o := range map[string]Options{
		"issuer without keys": {Issuer: authtest.IssuerURL},
		"keys without issuer": {Keys: s.Issuer.Keys()},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewHandler did not panic")
				}
			}()
			NewHandler(s.Service, o)
		})
	}
}
