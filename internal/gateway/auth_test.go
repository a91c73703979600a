package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authhttp"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

const authTestPassword = "correct horse battery staple"

// realAuth is a real auth service (SQLite store, token issuer, HTTP
// handlers) on a loopback server, with its clock at the present.
type realAuth struct {
	env *authtest.Env
	srv *httptest.Server
}

func mustRealAuth(t testing.TB) *realAuth {
	t.Helper()
	env := authtest.NewEnv(t, auth.Options{})
	env.Clock.Advance(time.Until(env.Clock.Now()) * -1)
	srv := httptest.NewServer(authhttp.NewHandler(env.Service, authhttp.Options{}))
	t.Cleanup(srv.Close)
	return &realAuth{env: env, srv: srv}
}

// mustSession creates an identity with memberships, signs it in and
// returns its session cookie value and identity id.
func (a *realAuth) mustSession(t testing.TB, email string, staff bool, ms ...auth.Membership) (string, string) {
	t.Helper()
	id, err := a.env.Service.CreateIdentity(t.Context(), email, authTestPassword)
	if err != nil {
		t.Fatal(err)
	}
	a.env.Dir.SetMemberships(id.ID, ms...)
	a.env.Dir.SetStaff(id.ID, staff)
	body, _ := json.Marshal(map[string]string{"email": email, "password": authTestPassword})
	req := mustRequest(t, "POST", a.srv.URL+"/v1/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(authhttp.CSRFHeader, "1")
	resp, _ := mustDo(t, req)
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-portico_session" {
			return c.Value, id.ID
		}
	}
	t.Fatalf("login of %s: status %d, no session cookie", email, resp.StatusCode)
	return "", ""
}

const authConfig = `
version: 1
auth: {url: "${AUTH}"}
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
	a := mustRealAuth(t)
	up := mustUpstream(t, echoHandler("a"))
	tg := mustGateway(t, authConfig, map[string]string{"AUTH": a.srv.URL, "A": up.URL})
	admin, adminID := a.mustSession(t, "admin@example.com", false, auth.Membership{OrgID: "org_a", Role: auth.RoleAdmin})
	viewer, _ := a.mustSession(t, "viewer@example.com", false, auth.Membership{OrgID: "org_a", Role: auth.RoleViewer})
	staff, _ := a.mustSession(t, "staff@example.com", true)

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
			t.Errorf("upstream Authorization = %q, want the internal JWT", authz)
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
		{"admin of another org may not", "/orgs/org_b/settings", admin, 403},
		{"viewer may read members of its org", "/orgs/org_a/members", viewer, 200},
		{"no member of the org may read them", "/orgs/org_b/members", viewer, 403},
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
	tg := mustGateway(t, authConfig, map[string]string{"AUTH": deadAddr(t), "A": up.URL})
	req := mustRequest(t, "GET", tg.srv.URL+"/me", nil)
	req.AddCookie(&http.Cookie{Name: "__Host-portico_session", Value: strings.Repeat("a", 43)})
	resp, body := mustDo(t, req)
	p := problemOf(t, resp, body)
	if resp.StatusCode != 503 || p["type"] != "https://portico.dev/problems/auth-unavailable" {
		t.Errorf("got %d %v, want 503 auth-unavailable (never 401 when auth cannot answer)", resp.StatusCode, p["type"])
	}
}
