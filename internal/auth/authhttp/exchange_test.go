package authhttp

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

func TestExchangeOverHTTP(t *testing.T) {
	refuse := errors.New("not the gateway")
	s := newTestServer(t, auth.Options{}, Options{AuthorizeInternal: func(r *http.Request) error {
		if r.Header.Get("X-Test-Gateway") != "yes" {
			return refuse
		}
		return nil
	}})
	b, id := s.signedIn(t, "adm@example.com", "org_acme")
	u, _ := url.Parse(s.srv.URL)
	var session string
	for _, c := range b.Jar.Cookies(u) {
		session = c.Value
	}
	r := s.do(t, b, "POST", "/v1/orgs/org_acme/api-keys", map[string]any{"name": "ci"})
	var k apiKeyJSON
	r.json(t, &k)
	cid, secret := s.mustCreateClient(t, b, "org_acme", false, "analytics:read")
	tok := s.mustToken(t, cid, secret, url.Values{"grant_type": {"client_credentials"}})

	gw := []string{"X-Test-Gateway", "yes"}
	for _, tc := range []struct {
		name, credential, kind, subject, wantKind string
	}{
		{"session", session, "session", id.ID, "user"},
		{"api key detected", k.Key, "", k.ID, "api_key"},
		{"bearer", tok.AccessToken, "bearer", cid, "client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(t, nil, "POST", "/internal/v1/exchange", map[string]string{"credential": tc.credential, "kind": tc.kind}, gw...)
			wantStatus(t, "exchange", r, http.StatusOK)
			var ex exchangeResponse
			r.json(t, &ex)
			if ex.Subject != tc.subject || ex.Kind != tc.wantKind || ex.CacheTTLSeconds != 30 {
				t.Errorf("got %+v, want subject %s kind %s cache 30s", ex, tc.subject, tc.wantKind)
			}
			claims, err := s.Issuer.VerifyInternalToken(ex.Token)
			if err != nil || claims.Subject != tc.subject || !claims.ExpiresAt.Equal(ex.ExpiresAt.Truncate(time.Second)) {
				t.Errorf("got claims (%+v, %v), want subject %s expiring %v", claims, err, tc.subject, ex.ExpiresAt)
			}
		})
	}
	for name, tc := range map[string]struct {
		body   any
		header []string
		status int
	}{
		"not the gateway":  {map[string]string{"credential": session}, nil, http.StatusForbidden},
		"unknown kind":     {map[string]string{"credential": session, "kind": "cookie"}, gw, http.StatusBadRequest},
		"empty credential": {map[string]string{"credential": ""}, gw, http.StatusBadRequest},
		"unknown field":    {`{"credential":"x","ttl":5}`, gw, http.StatusBadRequest},
		"garbage":          {map[string]string{"credential": "hello"}, gw, http.StatusUnauthorized},
	} {
		t.Run(name, func(t *testing.T) {
			wantStatus(t, name, s.do(t, nil, "POST", "/internal/v1/exchange", tc.body, tc.header...), tc.status)
		})
	}
	wantStatus(t, "logout", s.do(t, b, "POST", "/v1/logout", nil), http.StatusNoContent)
	r = s.do(t, nil, "POST", "/internal/v1/exchange", map[string]string{"credential": session}, gw...)
	wantStatus(t, "revoked session", r, http.StatusUnauthorized)
	if got := r.problemType(t); got != "unauthenticated" {
		t.Errorf("got problem %s, want unauthenticated", got)
	}
}
