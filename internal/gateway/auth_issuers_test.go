package gateway

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/authn/authntest"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/identity/oidctest"
)

// issuersConfig is a gateway that admits the tokens of an outside
// provider at ${IDP} into org_a (fixed), with scopes capped, and of a
// second one at ${IDP2} into org_a or org_b by its "tenant" claim.
const issuersConfig = `
version: 1
auth:
  url: "${AUTH}"
  issuer: "${ISSUER}"
  issuers:
    - name: acme
      issuer: "${IDP}"
      audiences: [api://portico]
      organization: org_a
      claims: {scopes: scp}
      allowed_scopes: [analytics:read, configs:read]
    - name: partners
      issuer: "${IDP2}"
      jwks_url: "${IDP2_KEYS}"
      audiences: [portico]
      algorithms: [ES256]
      organizations: [org_a, org_b]
      claims: {organization: tenant}
services:
  a: {targets: ["${A}"]}
routes:
  - {name: me, path: /me, service: a}
  - {name: metrics, path: "/orgs/{org}/metrics", service: a, require: {tenant: org, scopes: [analytics:read]}}
  - {name: settings, path: "/orgs/{org}/settings", service: a, require: {tenant: org, roles: [owner, admin]}}
  - {name: write, path: "/orgs/{org}/configs", service: a, require: {tenant: org, scopes: [configs:write]}}
`

func TestOutsideIssuersThroughTheGateway(t *testing.T) {
	fa := authntest.New(t, authntest.Options{})
	idp := oidctest.New(t, oidctest.Options{})
	idp2 := oidctest.New(t, oidctest.Options{Algorithm: "ES256", OmitKeyAlg: true})
	up := mustUpstream(t, echoHandler("a"))
	tg := mustGatewayWith(t, issuersConfig, map[string]string{
		"AUTH": fa.URL, "ISSUER": authntest.Issuer, "A": up.URL,
		"IDP": idp.Issuer(), "IDP2": idp2.Issuer(), "IDP2_KEYS": idp2.JWKSURL(),
	}, Options{AuthWorkloadToken: fa.WorkloadToken()})

	get := func(path, tok string) (*http.Response, []byte) {
		t.Helper()
		req := mustRequest(t, "GET", tg.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		return mustDo(t, req)
	}
	acme := func(sub string, scp any) string {
		return idp.Sign(t, idp.Claims(sub, "api://portico", map[string]any{"scp": scp}))
	}
	partner := func(sub, tenant string) string {
		return idp2.Sign(t, idp2.Claims(sub, "portico", map[string]any{"tenant": tenant, "scope": "analytics:read"}))
	}
	verifier, err := identity.NewVerifier(identity.VerifierOptions{Keys: fa.Keys(), Issuer: authntest.Issuer, Audience: identity.InternalAudience})
	if err != nil {
		t.Fatal(err)
	}
	upstreamClaims := func(t *testing.T, body []byte) *identity.Claims {
		t.Helper()
		authz := mustEchoed(t, body).Header["Authorization"]
		if len(authz) != 1 {
			t.Fatalf("upstream Authorization = %q", authz)
		}
		c, err := verifier.Verify(t.Context(), strings.TrimPrefix(authz[0], "Bearer "))
		if err != nil {
			t.Fatalf("the upstream's token does not verify as an internal token: %v", err)
		}
		return c
	}

	t.Run("outside token becomes an internal token", func(t *testing.T) {
		tok := acme("svc-1", []string{"analytics:read", "billing:admin"})
		resp, body := get("/orgs/org_a/metrics", tok)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		c := upstreamClaims(t, body)
		if c.Kind != identity.KindClient || c.Subject != authntest.ExternalSubject(idp.Issuer(), "svc-1") ||
			!slices.Equal(c.Orgs, []identity.OrgRole{{ID: "org_a", Role: "scoped"}}) || !slices.Equal(c.Scopes, []string{"analytics:read"}) {
			t.Errorf("upstream claims: %s %s orgs %v scopes %v", c.Kind, c.Subject, c.Orgs, c.Scopes)
		}
		if strings.Contains(string(body), tok) {
			t.Error("the outside token reached the upstream")
		}
	})
	for _, tc := range []struct {
		name, path, tok string
		want            int
	}{
		{"its organization's route", "/orgs/org_a/metrics", acme("svc-2", "analytics:read"), 200},
		{"another organization", "/orgs/org_b/metrics", acme("svc-2", "analytics:read"), 404},
		{"a scope it lacks", "/orgs/org_a/metrics", acme("svc-3", "configs:read"), 403},
		{"a scope beyond allowed_scopes", "/orgs/org_a/configs", acme("svc-4", "configs:write"), 403},
		{"a member role", "/orgs/org_a/settings", acme("svc-5", "analytics:read"), 403},
		{"claim-bound org b", "/orgs/org_b/metrics", partner("p-1", "org_b"), 200},
		{"claim-bound, other org", "/orgs/org_a/metrics", partner("p-1", "org_b"), 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if resp, body := get(tc.path, tc.tok); resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
		})
	}

	calls := fa.Calls()
	other := oidctest.New(t, oidctest.Options{})
	for name, tok := range map[string]string{
		"alg none":                 oidctest.Unsigned(t, idp.Kid(), idp.Claims("svc", "api://portico", nil)),
		"hmac with the public key": oidctest.SignJOSE(t, jose.HS256, idp.PublicKeyPEM(t), idp.Kid(), idp.Claims("svc", "api://portico", nil)),
		"organization not bound":   partner("p-2", "org_victim"),
		"wrong audience":           idp.Sign(t, idp.Claims("svc", "portico", nil)),
		"unconfigured issuer":      other.Sign(t, other.Claims("svc", "api://portico", nil)),
		"another key, its issuer":  other.Sign(t, idp.Claims("svc", "api://portico", nil)),
		"garbage":                  "not-a-jwt",
	} {
		t.Run("refused: "+name, func(t *testing.T) {
			resp, body := get("/me", tok)
			p := problemOf(t, resp, body)
			if resp.StatusCode != 401 || p["type"] != "https://portico.dev/problems/unauthenticated" ||
				!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("got %d %v (WWW-Authenticate %q), want 401 unauthenticated with a Bearer challenge",
					resp.StatusCode, p["type"], resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	if got := fa.Calls(); got != calls {
		t.Errorf("refused outside tokens made %d calls to auth, want none", got-calls)
	}
	for _, c := range []struct {
		issuer, result string
		want           float64
	}{
		{"", authn.ExternalNotJWT, 1},
		{"", authn.ExternalUnknownIssuer, 1},
		{"acme", authn.ExternalRefused, 4},
		{"partners", authn.ExternalRefused, 1},
	} {
		if got := testutil.ToFloat64(tg.gw.m.outsideTokens.WithLabelValues(c.issuer, c.result)); got != c.want {
			t.Errorf("portico_gateway_outside_tokens_total{issuer=%q,result=%q} = %v, want %v", c.issuer, c.result, got, c.want)
		}
	}
	if got := testutil.ToFloat64(tg.gw.m.outsideTokens.WithLabelValues("acme", authn.ExternalAccepted)); got < 1 {
		t.Errorf("no accepted token of acme counted")
	}
	if logs := tg.logs.String(); !strings.Contains(logs, "credential refused") || strings.Contains(logs, "not-a-jwt") {
		t.Errorf("want refusals logged at debug, without the credential")
	}
}

func TestExplainNamesOutsideIssuers(t *testing.T) {
	cfg := mustConfig(t, issuersConfig, map[string]string{
		"AUTH": "http://127.0.0.1:8081", "ISSUER": "https://auth.example", "A": "http://127.0.0.1:8082",
		"IDP": "https://acme.example", "IDP2": "https://partners.example", "IDP2_KEYS": "https://partners.example/keys",
	})
	out, err := Explain(cfg, "GET", "", "/orgs/org_a/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if want := "also bearer tokens of acme (machine callers of org_a), partners (machine callers of org_a or org_b by claim tenant)"; !strings.Contains(out, want) {
		t.Errorf("got\n%s\nwant a line containing %q", out, want)
	}
}
