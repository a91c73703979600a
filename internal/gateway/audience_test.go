package gateway

import (
	"net/http"
	"testing"

	"github.com/portico-gw/portico/internal/gateway/authn/authntest"
	"github.com/portico-gw/portico/internal/platform/identity"
)

const (
	billingAPI = "https://api.example.com/billing"
	reportsAPI = "https://api.example.com/reports"
)

// TestRouteAudience: require.audience admits a machine client only with a
// token minted for that API; people and API keys carry no audience and
// pass.
func TestRouteAudience(t *testing.T) {
	fa := authntest.New(t, authntest.Options{})
	clientFor := func(cred string, resources ...string) {
		fa.Grant(cred, identity.Claims{Subject: "cli_bot", Kind: identity.KindClient, ClientID: "cli_bot", CredentialID: "jti-" + cred[:8],
			Orgs: []identity.OrgRole{{ID: "org_a", Role: "scoped"}}, Resources: resources})
	}
	const (
		billingToken = "billing-4mJ0pQyB5tVvX8cW1zA7sD3fG6kE9uR0hL2n"
		reportsToken = "reports-4mJ0pQyB5tVvX8cW1zA7sD3fG6kE9uR0hL2n"
		bothToken    = "bothaud-4mJ0pQyB5tVvX8cW1zA7sD3fG6kE9uR0hL2n"
		noAudToken   = "noaudie-4mJ0pQyB5tVvX8cW1zA7sD3fG6kE9uR0hL2n"
		apiKey       = "ptc_apikey4mJ0pQyB5tVvX8cW1zA7sD3fG6kE9uR0hL2n"
	)
	clientFor(billingToken, billingAPI)
	clientFor(reportsToken, reportsAPI)
	clientFor(bothToken, reportsAPI, billingAPI)
	clientFor(noAudToken)
	fa.Grant(apiKey, identity.Claims{Subject: "key_1", Kind: identity.KindAPIKey, CredentialID: "key_1",
		Orgs: []identity.OrgRole{{ID: "org_a", Role: "scoped"}}})
	fa.Grant(adminSession, identity.Claims{Subject: "idn_admin", Kind: identity.KindUser, CredentialID: "ses_admin",
		Orgs: []identity.OrgRole{{ID: "org_a", Role: "admin"}}})

	up := mustUpstream(t, echoHandler("a"))
	tg := mustGatewayWith(t, `
version: 1
auth: {url: "${AUTH}", issuer: "${ISSUER}"}
services:
  a: {targets: ["${A}"]}
routes:
  - {name: billing, path: /billing, service: a, require: {audience: "`+billingAPI+`"}}
  - {name: any, path: /any, service: a}
`, map[string]string{"AUTH": fa.URL, "ISSUER": authntest.Issuer, "A": up.URL},
		Options{AuthWorkloadToken: fa.WorkloadToken()})

	cases := []struct {
		name, path, bearer, session string
		want                        int
	}{
		{"client token for the route's API passes", "/billing", billingToken, "", 200},
		{"client token for another API is refused", "/billing", reportsToken, "", 403},
		{"client token for both APIs passes", "/billing", bothToken, "", 200},
		{"client token without an audience is refused", "/billing", noAudToken, "", 403},
		{"client token for another API passes a route without audience", "/any", reportsToken, "", 200},
		{"API keys carry no audience and pass", "/billing", apiKey, "", 200},
		{"sessions carry no audience and pass", "/billing", "", adminSession, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := mustRequest(t, "GET", tg.srv.URL+c.path, nil)
			if c.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+c.bearer)
			}
			if c.session != "" {
				req.AddCookie(&http.Cookie{Name: "__Host-portico_session", Value: c.session})
			}
			resp, body := mustDo(t, req)
			if resp.StatusCode != c.want {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, c.want, body)
			}
			if c.want == 403 && problemOf(t, resp, body)["type"] != "https://portico.dev/problems/forbidden" {
				t.Errorf("want a forbidden problem, got %s", body)
			}
		})
	}
}
