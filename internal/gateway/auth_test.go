package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/gateway/authn/authntest"
	"github.com/portico-gw/portico/internal/platform/identity"
)

// Sessions the fake auth grants in TestAuthenticatedRoutes, each a
// cookie value of a person: an admin and a viewer of org_a, and staff.
const (
	adminSession  = "admin-hL2n4mJ0pQyB5tVvX8cW1zA7sD3fG6kE9uR0"
	viewerSession = "viewer-L2n4mJ0pQyB5tVvX8cW1zA7sD3fG6kE9uR0"
	staffSession  = "staff-hL2n4mJ0pQyB5tVvX8cW1zA7sD3fG6kE9uR0"
)

// mustPeopleAuth starts a fake auth that grants adminSession,
// viewerSession and staffSession; their subjects are idn_admin,
// idn_viewer and idn_staff. That the real auth's claims read the same
// at the gateway is internal/e2e's TestGatewayWithRealAuth.
func mustPeopleAuth(t testing.TB) *authntest.Auth {
	t.Helper()
	fa := authntest.New(t, authntest.Options{})
	fa.Grant(adminSession, identity.Claims{Subject: "idn_admin", Kind: identity.KindUser, CredentialID: "ses_admin",
		Orgs: []identity.OrgRole{{ID: "org_a", Role: "admin"}}})
	fa.Grant(viewerSession, identity.Claims{Subject: "idn_viewer", Kind: identity.KindUser, CredentialID: "ses_viewer",
		Orgs: []identity.OrgRole{{ID: "org_a", Role: "viewer"}}})
	fa.Grant(staffSession, identity.Claims{Subject: "idn_staff", Kind: identity.KindUser, CredentialID: "ses_staff", Staff: true})
	return fa
}

const authConfig = `
version: 1
auth: {url: "${AUTH}", issuer: "${ISSUER}"}
services:
  a: {targets: ["${A}"]}
routes:
  - {name: public, path: /public, service: a, public: true}
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

func TestAuthenticatedRoutes(t *testing.T) {
	fa := mustPeopleAuth(t)
	up := mustUpstream(t, echoHandler("a"))
	tg := mustGatewayWith(t, authConfig, map[string]string{"AUTH": fa.URL, "ISSUER": authntest.Issuer, "A": up.URL},
		Options{AuthWorkloadToken: fa.WorkloadToken()})
	admin, viewer, staff := adminSession, viewerSession, staffSession
	const adminID = "idn_admin"

	get := func(path, session string, extra ...string) (*http.Response, []byte) {
		t.Helper()
		req := mustRequest(t, "GET", tg.srv.URL+path, nil)
		if session != "" {
			req.AddCookie(&http.Cookie{Name: "__Host-portico_session", Value: session})
		}
		for i := 0; i+1 < len(extra); i += 2 {
			req.Header.Set(extra[i], extra[i+1])
		}
		return mustDo(t, req)
	}

	t.Run("public route needs no credential", func(t *testing.T) {
		resp, body := get("/public", "")
		if resp.StatusCode != 200 || mustEchoed(t, body).Header["Authorization"] != nil {
			t.Errorf("status %d; want 200 with no Authorization upstream", resp.StatusCode)
		}
	})
	t.Run("no credential is 401", func(t *testing.T) {
		resp, body := get("/me", "")
		p := problemOf(t, resp, body)
		if resp.StatusCode != 401 || p["type"] != "https://portico.dev/problems/unauthenticated" || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("got %d %v, want 401 unauthenticated with WWW-Authenticate", resp.StatusCode, p["type"])
		}
	})
	t.Run("session is exchanged for an internal token", func(t *testing.T) {
		resp, body := get("/me", admin, "Cookie", "__Host-portico_session="+admin+"; theme=dark")
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		h := mustEchoed(t, body).Header
		authz := strings.Join(h["Authorization"], ",")
		if !strings.HasPrefix(authz, "Bearer ") || strings.Count(authz, ".") != 2 {
			t.Fatalf("upstream Authorization = %q, want the internal JWT", authz)
		}
		// It is the token auth signed, as a service verifies it.
		if authz != "Bearer "+fa.LastToken() {
			t.Errorf("upstream Authorization is not the token auth answered")
		}
		v, err := identity.NewVerifier(identity.VerifierOptions{Keys: fa.Keys(), Issuer: authntest.Issuer, Audience: identity.InternalAudience})
		if err != nil {
			t.Fatal(err)
		}
		c, err := v.Verify(t.Context(), strings.TrimPrefix(authz, "Bearer "))
		if err != nil || c.Subject != adminID {
			t.Errorf("upstream token: got %+v, %v; want auth's token for %s", c, err, adminID)
		}
		cookies := strings.Join(h["Cookie"], ";")
		if strings.Contains(cookies, admin) || !strings.Contains(cookies, "theme=dark") {
			t.Errorf("upstream Cookie = %q, want the session cookie removed and others kept", cookies)
		}
	})
	t.Run("garbage bearer is 401", func(t *testing.T) {
		resp, _ := get("/me", "", "Authorization", "Bearer not-a-token")
		if resp.StatusCode != 401 {
			t.Errorf("status = %d, want 401", resp.StatusCode)
		}
	})
	t.Run("two different credentials are 400", func(t *testing.T) {
		resp, _ := get("/me", admin, "Authorization", "Bearer ptc_something_else")
		if resp.StatusCode != 400 {
			t.Errorf("status = %d, want 400", resp.StatusCode)
		}
	})

	authz := []struct {
		name, path, session string
		want                int
	}{
		{"admin of the org may change settings", "/orgs/org_a/settings", admin, 200},
		{"viewer of the org may not", "/orgs/org_a/settings", viewer, 403},
		{"admin of another org finds nothing", "/orgs/org_b/settings", admin, 404},
		{"nor does anyone in an org that does not exist", "/orgs/org_nope/settings", admin, 404},
		{"viewer may read members of its org", "/orgs/org_a/members", viewer, 200},
		{"no member of the org may read them", "/orgs/org_b/members", viewer, 404},
		{"staff act in any org", "/orgs/org_b/settings", staff, 200},
		{"staff-only route admits staff", "/ops", staff, 200},
		{"staff-only route refuses others", "/ops", admin, 403},
	}
	for _, c := range authz {
		t.Run(c.name, func(t *testing.T) {
			resp, body := get(c.path, c.session)
			if resp.StatusCode != c.want {
				t.Errorf("status = %d, want %d: %s", resp.StatusCode, c.want, body)
			}
			if c.want == 403 && problemOf(t, resp, body)["type"] != "https://portico.dev/problems/forbidden" {
				t.Errorf("want a forbidden problem, got %s", body)
			}
			if c.want == 404 && problemOf(t, resp, body)["type"] != "https://portico.dev/problems/not-found" {
				t.Errorf("want a not-found problem, got %s", body)
			}
		})
	}

	t.Run("composed route sees the identity; staff get a trace", func(t *testing.T) {
		resp, body := get("/whoami", admin, "Portico-Debug", "trace")
		if resp.StatusCode != 200 || !strings.Contains(string(body), "/who/"+adminID) {
			t.Fatalf("status %d body %s, want the step called with the subject %s", resp.StatusCode, body, adminID)
		}
		if resp.Header.Get("Portico-Trace") != "" {
			t.Error("a non-staff caller got the debug trace")
		}
		resp, _ = get("/whoami", staff, "Portico-Debug", "trace")
		if tr := resp.Header.Get("Portico-Trace"); !strings.HasPrefix(tr, "who;start=") || !strings.Contains(tr, ";dur=") {
			t.Errorf("Portico-Trace = %q, want the step timeline", tr)
		}
	})

	recs := tg.logs.records(t, "request")
	found := false
	for _, r := range recs {
		if r["route"] == "me" && r["subject"] == adminID {
			found = true
		}
	}
	if !found {
		t.Error("no access log line names the authenticated subject")
	}
}

func TestAuthUnavailableIs503(t *testing.T) {
	up := mustUpstream(t, echoHandler("a"))
	tg := mustGatewayWith(t, authConfig, map[string]string{"AUTH": deadAddr(t), "ISSUER": authntest.Issuer, "A": up.URL},
		Options{AuthWorkloadToken: staticToken("workload-token")})
	req := mustRequest(t, "GET", tg.srv.URL+"/me", nil)
	req.AddCookie(&http.Cookie{Name: "__Host-portico_session", Value: strings.Repeat("a", 43)})
	resp, body := mustDo(t, req)
	p := problemOf(t, resp, body)
	if resp.StatusCode != 503 || p["type"] != "https://portico.dev/problems/auth-unavailable" {
		t.Errorf("got %d %v, want 503 auth-unavailable (never 401 when auth cannot answer)", resp.StatusCode, p["type"])
	}
}

// staticToken is a workload token source that always has the same token.
type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }
