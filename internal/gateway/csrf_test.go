package gateway

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/gateway/authn/authntest"
	"github.com/portico-gw/portico/internal/platform/identity"
)

// TestCSRF: an unsafe request the session cookie authenticates needs the
// CSRF header and no Origin or a trusted one, on every route, whatever
// service answers it; it is refused before any exchange. Bearer
// credentials are not checked.
func TestCSRF(t *testing.T) {
	fa := mustPeopleAuth(t)
	const apiKey = "ptc_csrf_00000000000000000000000000000000"
	fa.Grant(apiKey, identity.Claims{Subject: "key_1", Kind: identity.KindAPIKey, Orgs: []identity.OrgRole{{ID: "org_a", Role: "scoped"}}})
	up := mustUpstream(t, echoHandler("a"))
	tg := mustGatewayWith(t, authConfig, map[string]string{"AUTH": fa.URL, "ISSUER": authntest.Issuer, "A": up.URL},
		Options{AuthWorkloadToken: fa.WorkloadToken()})
	send := func(method, session, bearer string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req := mustRequest(t, method, tg.srv.URL+"/orgs/org_a/members", strings.NewReader("{}"))
		if session != "" {
			req.AddCookie(&http.Cookie{Name: "__Host-portico_session", Value: session})
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Add(header[i], header[i+1])
		}
		return mustDo(t, req)
	}
	for _, tc := range []struct {
		name   string
		method string
		header []string
	}{
		{"POST without the header", http.MethodPost, nil},
		{"DELETE without the header", http.MethodDelete, nil},
		{"an empty header", http.MethodPut, []string{"Portico-CSRF", ""}},
		{"another site", http.MethodPost, []string{"Portico-CSRF", "1", "Origin", "https://evil.example"}},
		{"the origin in other case", http.MethodPost, []string{"Portico-CSRF", "1", "Origin", "https://AUTH.portico.test"}},
		{"two origins", http.MethodPost, []string{"Portico-CSRF", "1", "Origin", authntest.Issuer, "Origin", authntest.Issuer}},
		{"the null origin", http.MethodPatch, []string{"Portico-CSRF", "1", "Origin", "null"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := fa.Exchanges()
			resp, body := send(tc.method, adminSession, "", tc.header...)
			mustProblem(t, resp, body, http.StatusForbidden, "csrf-check-failed")
			if fa.Exchanges() != before {
				t.Error("a refused request cost an exchange at auth")
			}
		})
	}
	for _, tc := range []struct {
		name           string
		method         string
		session, token string
		header         []string
	}{
		{"GET needs nothing", http.MethodGet, adminSession, "", nil},
		{"the header and no Origin", http.MethodPost, adminSession, "", []string{"Portico-CSRF", "1"}},
		{"the header and the trusted origin", http.MethodDelete, adminSession, "", []string{"Portico-CSRF", "yes", "Origin", authntest.Issuer}},
		{"an API key needs no header", http.MethodPost, "", apiKey, []string{"Origin", "https://evil.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := send(tc.method, tc.session, tc.token, tc.header...)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %d %s, want 200", resp.StatusCode, body)
			}
		})
	}
}
