package authhttp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/workload"
)

func TestExchangeOverHTTP(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	b, id := s.signedIn(t, "adm@example.com", "org_acme")
	session := s.sessionOf(t, b)
	r := s.do(t, b, "POST", "/v1/orgs/org_acme/api-keys", map[string]any{"name": "ci"})
	var k apiKeyJSON
	r.json(t, &k)
	cid, secret := s.mustCreateClient(t, b, "org_acme", false, "analytics:read")
	tok := s.mustToken(t, cid, secret, url.Values{"grant_type": {"client_credentials"}})

	for _, tc := range []struct {
		name, credential, kind, subject, wantKind string
	}{
		{"session", session, "session", id.ID, "user"},
		{"api key detected", k.Key, "", k.ID, "api_key"},
		{"bearer", tok.AccessToken, "bearer", cid, "client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(t, nil, "POST", "/internal/v1/exchange", map[string]string{"credential": tc.credential, "kind": tc.kind}, s.as(t, workload.Gateway)...)
			wantStatus(t, "exchange", r, http.StatusOK)
			var ex exchangeResponse
			r.json(t, &ex)
			if ex.Subject != tc.subject || ex.Kind != tc.wantKind || ex.CacheTTLSeconds != 30 {
				t.Errorf("got %+v, want subject %s kind %s cache 30s", ex, tc.subject, tc.wantKind)
			}
			claims, err := s.Issuer.VerifyInternalToken(ex.Token)
			if err != nil || claims.Subject != tc.subject || !claims.Expiry.Equal(ex.ExpiresAt.Truncate(time.Second)) {
				t.Errorf("got claims (%+v, %v), want subject %s expiring %v", claims, err, tc.subject, ex.ExpiresAt)
			}
		})
	}
	for name, tc := range map[string]struct {
		body   any
		status int
	}{
		"unknown kind":     {map[string]string{"credential": session, "kind": "cookie"}, http.StatusBadRequest},
		"empty credential": {map[string]string{"credential": ""}, http.StatusBadRequest},
		"unknown field":    {`{"credential":"x","ttl":5}`, http.StatusBadRequest},
		"garbage":          {map[string]string{"credential": "hello"}, http.StatusUnauthorized},
	} {
		t.Run(name, func(t *testing.T) {
			wantStatus(t, name, s.do(t, nil, "POST", "/internal/v1/exchange", tc.body, s.as(t, workload.Gateway)...), tc.status)
		})
	}
	wantStatus(t, "logout", s.do(t, b, "POST", "/v1/logout", nil), http.StatusNoContent)
	r = s.do(t, nil, "POST", "/internal/v1/exchange", map[string]string{"credential": session}, s.as(t, workload.Gateway)...)
	wantStatus(t, "revoked session", r, http.StatusUnauthorized)
	if got := r.problemType(t); got != "unauthenticated" {
		t.Errorf("got problem %s, want unauthenticated", got)
	}
	// The gateway tells a refused credential from a refused workload token
	// by the challenge: only the guard's 401 carries one.
	if got := r.header.Get("WWW-Authenticate"); got != "" {
		t.Errorf("refused credential: WWW-Authenticate %q, want none", got)
	}
	r = s.do(t, nil, "POST", "/internal/v1/exchange", map[string]string{"credential": session})
	wantStatus(t, "no workload token", r, http.StatusUnauthorized)
	if got := r.header.Get("WWW-Authenticate"); got == "" {
		t.Error("refused workload token: no WWW-Authenticate")
	}
}

// TestInternalEndpointsAdmitOnlyTheirCallers checks the workload guard in
// front of each /internal/ endpoint: a token of the trusted workload
// issuer, for auth, unexpired, from the one caller the endpoint names.
func TestInternalEndpointsAdmitOnlyTheirCallers(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	stranger, err := workload.NewIssuer(workload.IssuerOptions{URL: "https://stranger.example", Now: s.wclock.Now})
	if err != nil {
		t.Fatal(err)
	}
	// impostor shares the trusted issuer's URL but not its key.
	impostor, err := workload.NewIssuer(workload.IssuerOptions{URL: workloadIssuerURL, Now: s.wclock.Now})
	if err != nil {
		t.Fatal(err)
	}
	bearer := func(iss *workload.Issuer, caller, callee string) string {
		tok, _, err := iss.Mint(caller, callee)
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	internalToken := s.mustInternalToken(t, "person@example.com")
	endpoints := []struct {
		path, admitted, other string
		body                  map[string]string
		okStatus              int
	}{
		{"/internal/v1/exchange", workload.Gateway, workload.Accounts, map[string]string{"credential": "hello"}, http.StatusUnauthorized},
		{"/internal/v1/identities", workload.Accounts, workload.Gateway, map[string]string{"email": "new@example.com", "password": testPassword}, http.StatusCreated},
	}
	for _, ep := range endpoints {
		t.Run(ep.path, func(t *testing.T) {
			for name, tc := range map[string]struct {
				authorization string
				status        int
				typ           string
			}{
				"no token":                       {"", http.StatusUnauthorized, "unauthenticated"},
				"not a bearer token":             {"Basic YTpi", http.StatusUnauthorized, "unauthenticated"},
				"another issuer":                 {bearer(stranger, ep.admitted, workload.Auth), http.StatusUnauthorized, "invalid-token"},
				"the issuer's name, another key": {bearer(impostor, ep.admitted, workload.Auth), http.StatusUnauthorized, "invalid-token"},
				"for another callee":             {bearer(s.wl, ep.admitted, workload.Accounts), http.StatusUnauthorized, "invalid-token"},
				"an internal token":              {"Bearer " + internalToken, http.StatusUnauthorized, "invalid-token"},
				"another caller":                 {bearer(s.wl, ep.other, workload.Auth), http.StatusForbidden, "forbidden"},
				"an unnamed component":           {bearer(s.wl, workload.Analytics, workload.Auth), http.StatusForbidden, "forbidden"},
			} {
				t.Run(name, func(t *testing.T) {
					r := s.do(t, nil, "POST", ep.path, ep.body, "Authorization", tc.authorization)
					wantProblem(t, name, r, tc.status, tc.typ)
					if tc.status == http.StatusUnauthorized && r.header.Get("WWW-Authenticate") == "" {
						t.Error("got no WWW-Authenticate header, want one")
					}
				})
			}
			t.Run("expired", func(t *testing.T) {
				tok := bearer(s.wl, ep.admitted, workload.Auth)
				s.wclock.Advance(workload.DefaultLifetime + time.Minute)
				r := s.do(t, nil, "POST", ep.path, ep.body, "Authorization", tok)
				wantProblem(t, "expired", r, http.StatusUnauthorized, "invalid-token")
			})
			t.Run("admitted", func(t *testing.T) {
				r := s.do(t, nil, "POST", ep.path, ep.body, "Authorization", bearer(s.wl, ep.admitted, workload.Auth))
				wantStatus(t, "the named caller", r, ep.okStatus)
			})
		})
	}
	if logs := s.logs.String(); !strings.Contains(logs, "internal call refused") {
		t.Errorf("got logs %q, want the refusals logged", logs)
	}
}

// mustInternalToken returns an internal token of a new person signed in
// with email.
func (s *testServer) mustInternalToken(tb testing.TB, email string) string {
	tb.Helper()
	b, _ := s.signedIn(tb, email, "")
	s.bearer(tb, b)
	return b.token
}

// TestInternalEndpointsClosedByDefault checks that a Handler given no
// workload guard refuses every internal call, whatever it carries.
func TestInternalEndpointsClosedByDefault(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	h := NewHandler(s.Service, Options{Logger: discardLogger()})
	for _, path := range []string{"/internal/v1/exchange", "/internal/v1/identities"} {
		for _, caller := range []string{workload.Gateway, workload.Accounts} {
			req := httptest.NewRequestWithContext(t.Context(), "POST", path, strings.NewReader(`{"credential":"x"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", s.as(t, caller)[1])
			rec := httptest.NewRecorder()
			checked(t, h).ServeHTTP(rec, req)
			if rec.Code != http.StatusForbidden {
				t.Errorf("%s as %s: got status %d, want 403", path, caller, rec.Code)
			}
		}
	}
}

// TestExchangeExternalOverHTTP: the gateway's assertion about an outside
// token it verified is exchanged for a scoped client's internal token;
// bodies that mix the two kinds of exchange are refused.
func TestExchangeExternalOverHTTP(t *testing.T) {
	s := newTestServer(t, auth.Options{}, Options{})
	s.Dir.SetOrganization("org_gone", auth.OrgInfo{Active: false})
	expires := s.Clock.Now().Add(time.Hour).UTC()
	ext := func(org string, scopes []string) map[string]any {
		return map[string]any{"kind": "external", "external": map[string]any{
			"issuer": "https://idp.example", "subject": "svc-1", "organization": org,
			"scopes": scopes, "expires_at": expires,
		}}
	}
	r := s.do(t, nil, "POST", "/internal/v1/exchange", ext("org_acme", []string{"analytics:read"}), s.as(t, workload.Gateway)...)
	wantStatus(t, "external exchange", r, http.StatusOK)
	var ex exchangeResponse
	r.json(t, &ex)
	want := auth.ExternalSubject("https://idp.example", "svc-1")
	claims, err := s.Issuer.VerifyInternalToken(ex.Token)
	if err != nil || ex.Kind != "client" || ex.Subject != want || claims.Subject != want ||
		len(claims.Orgs) != 1 || claims.Orgs[0].ID != "org_acme" || claims.Orgs[0].Role != auth.RoleScoped {
		t.Errorf("got %+v and claims (%+v, %v), want a scoped client %s of org_acme", ex, claims, err, want)
	}
	for name, tc := range map[string]struct {
		body   any
		status int
	}{
		"suspended organization":   {ext("org_gone", nil), http.StatusUnauthorized},
		"bad scope":                {ext("org_acme", []string{"a b"}), http.StatusBadRequest},
		"credential too":           {`{"kind":"external","credential":"x","external":{"issuer":"https://idp.example","subject":"s","organization":"org_acme","scopes":[],"expires_at":"2030-01-01T00:00:00Z"}}`, http.StatusBadRequest},
		"external of another kind": {`{"kind":"bearer","credential":"x","external":{"issuer":"https://idp.example","subject":"s","organization":"org_acme","scopes":[],"expires_at":"2030-01-01T00:00:00Z"}}`, http.StatusBadRequest},
		"external without kind":    {`{"external":{"issuer":"https://idp.example","subject":"s","organization":"org_acme","scopes":[],"expires_at":"2030-01-01T00:00:00Z"}}`, http.StatusBadRequest},
		"kind without external":    {`{"kind":"external"}`, http.StatusBadRequest},
		"unknown member":           {`{"kind":"external","external":{"issuer":"https://idp.example","subject":"s","organization":"org_acme","scopes":[],"expires_at":"2030-01-01T00:00:00Z","staff":true}}`, http.StatusBadRequest},
	} {
		t.Run(name, func(t *testing.T) {
			wantStatus(t, name, s.do(t, nil, "POST", "/internal/v1/exchange", tc.body, s.as(t, workload.Gateway)...), tc.status)
		})
	}
	// Only the gateway may assert.
	r = s.do(t, nil, "POST", "/internal/v1/exchange", ext("org_acme", nil), s.as(t, workload.Accounts)...)
	wantStatus(t, "another caller", r, http.StatusForbidden)
}
