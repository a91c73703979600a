package e2e

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/gateway"
	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/platform/identity"
)

// authRoutes is a gateway in front of an auth at ${AUTH} and a service a
// at ${A}, with a route for each kind of requirement.
const authRoutes = `
version: 1
auth: {url: "${AUTH}", issuer: "${ISSUER}"}
services:
  a: {targets: ["${A}"]}
routes:
  - {name: me, path: /me, service: a}
  - {name: settings, path: "/orgs/{org}/settings", service: a, require: {tenant: org, roles: [owner, admin]}}
  - {name: members, path: "/orgs/{org}/members", service: a, require: {tenant: org}}
  - {name: ops, path: /ops, service: a, require: {staff: true}}
  - name: whoami
    path: /whoami
    aggregate:
      steps:
        - {name: who, service: a, path: "/who/{identity.sub}", into: who}
`

// TestGatewayWithRealAuth runs the gateway in front of the real auth
// service: the credentials auth issued are exchanged by it, the token its
// signing manager signed reaches the upstream and verifies there, and the
// claims it writes (organizations, roles, staff, an API key's role) are
// the ones the gateway's policy reads. The gateway's own side of each
// case, against a fake auth, is TestAuthenticatedRoutes in
// internal/gateway.
func TestGatewayWithRealAuth(t *testing.T) {
	a := mustRealAuth(t, auth.Options{})
	up := httptest.NewServer(echo())
	t.Cleanup(up.Close)
	gw := httptest.NewServer(mustGateway(t, authRoutes, map[string]string{"AUTH": a.url, "ISSUER": testIssuer, "A": up.URL},
		gateway.Options{AuthWorkloadToken: a.workloadToken()}))
	t.Cleanup(gw.Close)
	admin, adminID := a.mustSession(t, "admin@example.com", false, auth.Membership{OrgID: "org_a", Role: auth.RoleAdmin})
	viewer, _ := a.mustSession(t, "viewer@example.com", false, auth.Membership{OrgID: "org_a", Role: auth.RoleViewer})
	staff, _ := a.mustSession(t, "staff@example.com", true)
	key := a.mustAPIKey(t, admin, "org_a")

	get := func(t *testing.T, path string, c authn.Credential, extra ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), "GET", gw.URL+path, nil)
		mustNoErr(t, "new request", err)
		switch c.Kind {
		case authn.KindSession:
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.Value})
		case authn.KindAPIKey, authn.KindBearer:
			req.Header.Set("Authorization", "Bearer "+c.Value)
		}
		for i := 0; i+1 < len(extra); i += 2 {
			req.Header.Set(extra[i], extra[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		mustNoErr(t, "GET "+path, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		mustNoErr(t, "read body", err)
		return resp, body
	}
	// upstreamToken returns the internal token the upstream received,
	// verified as a service verifies it.
	upstreamToken := func(t *testing.T, body []byte) (*identity.Claims, http.Header) {
		t.Helper()
		var e struct{ Header http.Header }
		mustNoErr(t, "decode the echo", json.Unmarshal(body, &e))
		authz := e.Header.Values("Authorization")
		if len(authz) != 1 || !strings.HasPrefix(authz[0], "Bearer ") {
			t.Fatalf("upstream Authorization = %q, want one internal token", authz)
		}
		c, err := a.verifier(t).Verify(t.Context(), strings.TrimPrefix(authz[0], "Bearer "))
		mustNoErr(t, "verify the upstream token with auth's keys", err)
		return c, e.Header
	}

	t.Run("session cookie is exchanged for auth's internal token", func(t *testing.T) {
		resp, body := get(t, "/me", authn.Credential{}, "Cookie", sessionCookie+"="+admin.Value+"; theme=dark")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		c, h := upstreamToken(t, body)
		if c.Subject != adminID || c.Kind != identity.KindUser || c.Issuer != testIssuer {
			t.Errorf("upstream token: got %s %s from %s, want user %s from %s", c.Kind, c.Subject, c.Issuer, adminID, testIssuer)
		}
		if role, ok := c.Role("org_a"); !ok || role != auth.RoleAdmin {
			t.Errorf("role in org_a = %q, %v; want admin", role, ok)
		}
		cookies := strings.Join(h.Values("Cookie"), ";")
		if strings.Contains(cookies, admin.Value) || !strings.Contains(cookies, "theme=dark") {
			t.Errorf("upstream Cookie = %q, want the session cookie removed and others kept", cookies)
		}
	})
	t.Run("api key is exchanged for auth's internal token", func(t *testing.T) {
		resp, body := get(t, "/me", key)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		c, _ := upstreamToken(t, body)
		if c.Kind != identity.KindAPIKey || c.Subject == "" {
			t.Errorf("upstream token: got %s %q, want an api_key", c.Kind, c.Subject)
		}
		if role, ok := c.Role("org_a"); !ok || role != auth.RoleScoped {
			t.Errorf("role in org_a = %q, %v; want %s", role, ok, auth.RoleScoped)
		}
	})
	t.Run("credentials auth does not know are 401, not 503", func(t *testing.T) {
		for name, c := range map[string]authn.Credential{
			"unknown session": {Kind: authn.KindSession, Value: strings.Repeat("a", 43)},
			"garbage bearer":  {Kind: authn.KindBearer, Value: "not-a-token"},
			"wrong api key":   {Kind: authn.KindAPIKey, Value: alteredKey(key.Value)},
		} {
			resp, body := get(t, "/me", c)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "/problems/unauthenticated") {
				t.Errorf("%s: got %d %s, want 401 unauthenticated", name, resp.StatusCode, body)
			}
		}
	})

	for _, tc := range []struct {
		name, path string
		c          authn.Credential
		want       int
	}{
		{"admin of the org may change settings", "/orgs/org_a/settings", admin, 200},
		{"viewer of the org may not", "/orgs/org_a/settings", viewer, 403},
		{"admin of another org finds nothing", "/orgs/org_b/settings", admin, 404},
		{"viewer may read members of its org", "/orgs/org_a/members", viewer, 200},
		{"no member of the org may read them", "/orgs/org_b/members", viewer, 404},
		{"api key may read members of its org", "/orgs/org_a/members", key, 200},
		{"api key holds no admin role", "/orgs/org_a/settings", key, 403},
		{"staff act in any org", "/orgs/org_b/settings", staff, 200},
		{"staff-only route admits staff", "/ops", staff, 200},
		{"staff-only route refuses others", "/ops", admin, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, tc.path, tc.c)
			if resp.StatusCode != tc.want {
				t.Errorf("status = %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
		})
	}

	t.Run("composed route sees auth's subject", func(t *testing.T) {
		resp, body := get(t, "/whoami", admin)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "/who/"+adminID) {
			t.Errorf("status %d body %s, want the step called with the subject %s", resp.StatusCode, body, adminID)
		}
	})
}

// mustGateway parses yaml with vars as ${NAME} and builds a gateway with
// o, its logs discarded unless o names a logger; the test's end closes it.
func mustGateway(tb testing.TB, yaml string, vars map[string]string, o gateway.Options) *gateway.Gateway {
	tb.Helper()
	cfg, err := config.Parse("e2e.yaml", []byte(yaml), func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	})
	mustNoErr(tb, "config", err)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	gw, err := gateway.New(cfg, o)
	mustNoErr(tb, "gateway", err)
	tb.Cleanup(func() { gw.Close() })
	return gw
}

// echo is an upstream that answers with the path and headers it received.
func echo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "header": r.Header})
	})
}
