package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/gateway"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/identity/oidctest"
)

// outsideRoutes is a gateway in front of the real auth at ${AUTH} and a
// service at ${A}, admitting the tokens of an OpenID provider at ${IDP}
// into org_a and org_b by their "org" claim, found by discovery.
const outsideRoutes = `
version: 1
auth:
  url: "${AUTH}"
  issuer: "${ISSUER}"
  issuers:
    - name: acme
      issuer: "${IDP}"
      audiences: [api://portico]
      organizations: [org_a, org_b, org_staff]
      claims: {organization: org, scopes: scp}
      allowed_scopes: [analytics:read, configs:read]
services:
  a: {targets: ["${A}"]}
routes:
  - {name: metrics, path: "/orgs/{org}/metrics", service: a, require: {tenant: org, scopes: [analytics:read]}}
  - {name: configs, path: "/orgs/{org}/configs", service: a, require: {tenant: org, scopes: [configs:write]}}
  - {name: members, path: "/orgs/{org}/members", service: a, require: {tenant: org, roles: [owner, admin]}}
`

// TestOutsideTokenWithRealAuth runs the whole path: a token of an OpenID
// provider (a real one, over HTTP, in the test) is verified by the
// gateway, exchanged at the real auth as the gateway's assertion, and the
// upstream receives auth's internal token, verified with auth's keys,
// carrying the mapped organization and scopes; route requirements admit
// and refuse by them; and nothing the gateway refuses reaches auth.
func TestOutsideTokenWithRealAuth(t *testing.T) {
	a := mustRealAuth(t, auth.Options{})
	a.dir.SetOrganization("org_b", auth.OrgInfo{Active: false})
	a.dir.SetOrganization("org_staff", auth.OrgInfo{Active: true, Staff: true})
	idp := oidctest.New(t, oidctest.Options{})
	up := httptest.NewServer(echo())
	t.Cleanup(up.Close)
	gw := httptest.NewServer(mustGateway(t, outsideRoutes,
		map[string]string{"AUTH": a.url, "ISSUER": testIssuer, "A": up.URL, "IDP": idp.Issuer()},
		gateway.Options{AuthWorkloadToken: a.workloadToken()}))
	t.Cleanup(gw.Close)

	token := func(sub, org string, scp ...string) string {
		return idp.Sign(t, idp.Claims(sub, "api://portico", map[string]any{"org": org, "scp": scp}))
	}
	get := func(t *testing.T, path, tok string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), "GET", gw.URL+path, nil)
		mustNoErr(t, "new request", err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		mustNoErr(t, "GET "+path, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		mustNoErr(t, "read body", err)
		return resp.StatusCode, body
	}

	t.Run("the upstream sees auth's internal token for the mapped caller", func(t *testing.T) {
		tok := token("svc-reports", "org_a", "analytics:read", "configs:write", "billing:admin")
		status, body := get(t, "/orgs/org_a/metrics", tok)
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		var e struct{ Header http.Header }
		mustNoErr(t, "decode the echo", json.Unmarshal(body, &e))
		authz := e.Header.Values("Authorization")
		if len(authz) != 1 || strings.Contains(authz[0], tok) {
			t.Fatalf("upstream Authorization = %q, want one internal token and never the outside one", authz)
		}
		c, err := a.verifier(t).Verify(t.Context(), strings.TrimPrefix(authz[0], "Bearer "))
		mustNoErr(t, "verify the upstream token with auth's keys", err)
		if c.Issuer != testIssuer || c.Kind != identity.KindClient || c.Staff ||
			c.Subject != auth.ExternalSubject(idp.Issuer(), "svc-reports") ||
			!slices.Equal(c.Orgs, []identity.OrgRole{{ID: "org_a", Role: auth.RoleScoped}}) ||
			!slices.Equal(c.Scopes, []string{"analytics:read"}) {
			t.Errorf("upstream claims: %s %s from %s, orgs %v, scopes %v, staff %v", c.Kind, c.Subject, c.Issuer, c.Orgs, c.Scopes, c.Staff)
		}
	})

	before := a.exchanges.Load()
	for _, tc := range []struct {
		name, path, tok string
		want            int
	}{
		{"its organization, a scope it has", "/orgs/org_a/metrics", token("svc-1", "org_a", "analytics:read"), 200},
		{"another organization", "/orgs/org_b/metrics", token("svc-1", "org_a", "analytics:read"), 404},
		{"a scope it lacks", "/orgs/org_a/metrics", token("svc-2", "org_a", "configs:read"), 403},
		{"a scope beyond allowed_scopes", "/orgs/org_a/configs", token("svc-3", "org_a", "configs:write"), 403},
		{"a member role", "/orgs/org_a/members", token("svc-4", "org_a", "analytics:read"), 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := get(t, tc.path, tc.tok); status != tc.want {
				t.Errorf("status %d, want %d: %s", status, tc.want, body)
			}
		})
	}
	a.wantExchanges(t, "five admitted callers", before+5)

	t.Run("auth refuses a suspended or the staff organization", func(t *testing.T) {
		before := a.exchanges.Load()
		for _, org := range []string{"org_b", "org_staff"} {
			if status, body := get(t, "/orgs/"+org+"/metrics", token("svc-x", org, "analytics:read")); status != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401: %s", org, status, body)
			}
		}
		a.wantExchanges(t, "asked auth", before+2)
	})

	t.Run("forgeries never reach auth", func(t *testing.T) {
		before := a.exchanges.Load()
		stranger := oidctest.New(t, oidctest.Options{})
		c := idp.Claims("svc", "api://portico", map[string]any{"org": "org_a", "scp": "analytics:read"})
		for name, tok := range map[string]string{
			"alg none":                 oidctest.Unsigned(t, idp.Kid(), c),
			"hmac with the public key": oidctest.SignJOSE(t, jose.HS256, idp.PublicKeyPEM(t), idp.Kid(), c),
			"another provider's key":   stranger.SignWithKid(t, stranger.Kid(), c),
			"organization not bound":   token("svc", "org_victim", "analytics:read"),
			"wrong audience":           idp.Sign(t, idp.Claims("svc", "api://other", map[string]any{"org": "org_a"})),
			"unknown kid":              oidctest.SignJOSE(t, jose.RS256, idp.Key(idp.Kid()), "k-invented", c),
		} {
			if status, body := get(t, "/orgs/org_a/metrics", tok); status != http.StatusUnauthorized ||
				!strings.Contains(string(body), "/problems/unauthenticated") {
				t.Errorf("%s: got %d %s, want 401 unauthenticated", name, status, body)
			}
		}
		a.wantExchanges(t, "after the forgeries", before)
	})
}
