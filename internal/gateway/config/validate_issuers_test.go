package config

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// issuerDoc returns a valid configuration whose auth block lists the
// issuers given as YAML list items, each indented by four spaces.
func issuerDoc(items string) string {
	return `version: 1
auth:
  url: http://127.0.0.1:8081
  issuer: "https://auth.example.com"
  issuers:
` + items + `services: {a: {targets: [http://127.0.0.1:8082]}}
routes: [{path: "/v1/orgs/{org}", service: a, require: {tenant: org, scopes: [analytics:read]}}]
`
}

// okIssuer is a valid issuer entry; its keys are each on their own line.
const okIssuer = `    - name: okta
      issuer: https://acme.okta.example/oauth2/default
      audiences: [api://portico]
      organization: org_acme
`

func TestIssuerDefaults(t *testing.T) {
	c := mustParse(t, issuerDoc(okIssuer))
	e := c.Auth.Issuers[0]
	if !slices.Equal(e.Algorithms, []string{"RS256"}) || e.Claims.Subject != "sub" || e.Claims.Scopes != "scope" ||
		e.Claims.Organization != "" || e.AllowedScopes != nil || e.JWKSURL != "" ||
		e.Leeway != DefaultIssuerLeeway || e.MaxTokenLifetime != DefaultIssuerMaxLifetime ||
		e.Keys != (IssuerKeys{RefetchInterval: DefaultIssuerRefetchInterval, MinTTL: DefaultIssuerMinKeyTTL, MaxTTL: DefaultIssuerMaxKeyTTL,
			StaleIfError: DefaultIssuerStaleIfError, FetchTimeout: DefaultIssuerFetchTimeout, MaxKeys: DefaultIssuerMaxKeys}) {
		t.Errorf("got %+v, want every default", *e)
	}
}

// TestExternalAlgorithmsMatchIdentity keeps the configuration's list of
// algorithms the one the verifier accepts.
func TestExternalAlgorithmsMatchIdentity(t *testing.T) {
	if got, want := ExternalAlgorithms(), identity.ExternalAlgorithms(); !slices.Equal(got, want) {
		t.Errorf("got %v, want identity's %v", got, want)
	}
}

func TestIssuerValidation(t *testing.T) {
	valid := []string{
		okIssuer,
		`    - name: partners
      issuer: http://127.0.0.1:9999
      jwks_url: http://localhost:9999/keys
      audiences: [portico, "https://api.example.com"]
      algorithms: [ES256, EdDSA, PS512]
      organizations: [org_a, org_b]
      claims: {subject: client_id, organization: tenant, scopes: scp}
      allowed_scopes: [analytics:read]
      leeway: 5m
      max_token_lifetime: 168h
      keys: {refetch_interval: 1s, min_ttl: 1m, max_ttl: 1m, stale_if_error: 1h, fetch_timeout: 2s, max_keys: 1000}
`,
	}
	for _, items := range valid {
		mustParse(t, issuerDoc(items))
	}
	// Each case replaces one line of okIssuer, or adds lines after it.
	cases := []struct {
		name, old, new, want string
	}{
		{"symmetric algorithm", "", "      algorithms: [RS256, HS256]\n",
			`test.yaml:10:27: auth.issuers[0].algorithms[1]: "HS256" is symmetric (HMAC)`},
		{"none algorithm", "", "      algorithms: [none]\n",
			`test.yaml:10:20: auth.issuers[0].algorithms[0]: "none" means unsigned tokens`},
		{"unknown algorithm", "", "      algorithms: [RS265]\n",
			`auth.issuers[0].algorithms[0]: "RS265" is not supported; use one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA`},
		{"repeated algorithm", "", "      algorithms: [ES256, ES256]\n", `auth.issuers[0].algorithms[1]: "ES256" is listed twice`},
		{"no organization", "      organization: org_acme\n", "",
			"test.yaml:6:7: auth.issuers[0]: binds the issuer to no organization; set organization: org_..."},
		{"both organization keys", "", "      organizations: [org_b]\n      claims: {organization: tenant}\n",
			"auth.issuers[0].organizations: cannot be combined with organization"},
		{"organizations without a claim", "      organization: org_acme\n", "      organizations: [org_a]\n",
			"auth.issuers[0].claims.organization: missing; organizations need the name of the claim"},
		{"organization claim with a fixed organization", "", "      claims: {organization: tenant}\n",
			"auth.issuers[0].claims.organization: has no use with a fixed organization"},
		{"bad organization id", "      organization: org_acme\n", "      organization: acme\n",
			`test.yaml:9:21: auth.issuers[0].organization: "acme" is not an organization ID`},
		{"bad id in organizations", "      organization: org_acme\n", "      organizations: [org_a, \"org_b c\"]\n      claims: {organization: t}\n",
			`auth.issuers[0].organizations[1]: "org_b c" is not an organization ID`},
		{"bad url", "      issuer: https://acme.okta.example/oauth2/default\n", "      issuer: acme.okta.example\n",
			`test.yaml:7:15: auth.issuers[0].issuer: "acme.okta.example" must be an absolute http:// or https:// URL`},
		{"plain http off loopback", "      issuer: https://acme.okta.example/oauth2/default\n", "      issuer: http://acme.okta.example\n",
			`auth.issuers[0].issuer: "http://acme.okta.example" must be an https URL; plain http is allowed only for a loopback host`},
		{"jwks url with a query", "", "      jwks_url: https://acme.okta.example/keys?x=1\n",
			`auth.issuers[0].jwks_url: "https://acme.okta.example/keys?x=1" must not have a query`},
		{"auth's own issuer", "      issuer: https://acme.okta.example/oauth2/default\n", "      issuer: https://auth.example.com\n",
			`auth.issuers[0].issuer: "https://auth.example.com" is the auth service's own issuer`},
		{"duplicate issuer", "", strings.Replace(okIssuer, "name: okta", "name: okta-2", 1),
			`test.yaml:11:15: auth.issuers[1].issuer: "https://acme.okta.example/oauth2/default" is listed twice (also auth.issuers[0])`},
		{"duplicate name", "", strings.Replace(okIssuer, "oauth2/default", "oauth2/other", 1),
			`auth.issuers[1].name: "okta" is used twice (also auth.issuers[0])`},
		{"no audiences", "      audiences: [api://portico]\n", "", "auth.issuers[0].audiences: missing"},
		{"internal audience", "      audiences: [api://portico]\n", "      audiences: [portico-internal]\n",
			`auth.issuers[0].audiences[0]: "portico-internal" is not an audience for outside tokens`},
		{"empty allowed scopes", "", "      allowed_scopes: []\n", "auth.issuers[0].allowed_scopes: empty list"},
		{"bad allowed scope", "", "      allowed_scopes: [\"a b\"]\n", `auth.issuers[0].allowed_scopes[0]: "a b" is not a scope`},
		{"leeway too long", "", "      leeway: 1h\n", "auth.issuers[0].leeway: 1h0m0s exceeds 5m0s"},
		{"lifetime too long", "", "      max_token_lifetime: 720h\n", "auth.issuers[0].max_token_lifetime: 720h0m0s exceeds 168h0m0s"},
		{"ttls inverted", "", "      keys: {min_ttl: 2h, max_ttl: 1h}\n", "auth.issuers[0].keys.min_ttl: 2h0m0s exceeds keys.max_ttl (1h0m0s)"},
		{"too many keys", "", "      keys: {max_keys: 5000}\n", "auth.issuers[0].keys.max_keys: must be from 1 to 1000"},
		{"bad name", "    - name: okta\n", "    - name: Okta Prod\n", `auth.issuers[0].name: "Okta Prod" is not a name`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			items := okIssuer
			if tc.old != "" {
				if !strings.Contains(items, tc.old) {
					t.Fatalf("okIssuer has no line %q", tc.old)
				}
				items = strings.Replace(items, tc.old, tc.new, 1)
			} else {
				items += tc.new
			}
			if got := mustParseError(t, issuerDoc(items)); !strings.Contains(got, tc.want) {
				t.Errorf("got\n%s\nwant a line containing %q", got, tc.want)
			}
		})
	}
}

func TestIssuersInSchema(t *testing.T) {
	s := mustCompileSchema(t)
	if err := s.Validate(mustJSONValue(t, []byte(issuerDoc(okIssuer)))); err != nil {
		t.Errorf("valid issuer: got %v, want no error", err)
	}
	for name, items := range map[string]string{
		"hmac":            okIssuer + "      algorithms: [HS256]\n",
		"unknown key":     okIssuer + "      scopes: [a]\n",
		"no audiences":    strings.Replace(okIssuer, "      audiences: [api://portico]\n", "", 1),
		"plain http":      strings.Replace(okIssuer, "https://acme", "http://acme", 1),
		"bad org":         strings.Replace(okIssuer, "org_acme", "acme", 1),
		"empty allowlist": okIssuer + "      allowed_scopes: []\n",
	} {
		if err := s.Validate(mustJSONValue(t, []byte(issuerDoc(items)))); err == nil {
			t.Errorf("%s: got no schema error, want one", name)
		}
	}
}

// TestIssuerBuiltInCode checks that an issuer built in code without
// defaults is reported rather than used with zero limits.
func TestIssuerBuiltInCode(t *testing.T) {
	c := mustParse(t, authDoc(""))
	c.Auth.Issuers = []*ExternalIssuer{{Name: "idp", Issuer: "https://idp.example", Audiences: []string{"portico"}, Organization: "org_a"}}
	err := c.Validate()
	want := []string{
		"auth.issuers[0].algorithms", "auth.issuers[0].claims.subject", "auth.issuers[0].claims.scopes",
		"auth.issuers[0].leeway", "auth.issuers[0].max_token_lifetime", "auth.issuers[0].keys.refetch_interval",
		"auth.issuers[0].keys.stale_if_error", "auth.issuers[0].keys.fetch_timeout", "auth.issuers[0].keys.min_ttl",
		"auth.issuers[0].keys.max_keys",
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v, want Errors", err)
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Path)
	}
	for _, p := range want {
		if !slices.Contains(got, p) {
			t.Errorf("no error for %s in\n%v", p, err)
		}
	}
	c.Auth.Issuers = []*ExternalIssuer{nil}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "auth.issuers[0]: empty entry") {
		t.Errorf("nil issuer: got %v, want an empty entry error", err)
	}
}
