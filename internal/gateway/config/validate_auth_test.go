package config

import (
	"errors"
	"strings"
	"testing"
)

// authDoc returns a valid configuration with an auth block to which keys
// (", key: value" ...) are added.
func authDoc(keys string) string {
	return `version: 1
auth: {url: http://127.0.0.1:8081, issuer: "https://auth.example.com"` + keys + `}
services: {a: {targets: [http://127.0.0.1:8082]}}
routes: [{path: "/v1/orgs/{org}", service: a, require: {tenant: org, roles: [admin]}}]
`
}

func TestAuthKeys(t *testing.T) {
	cases := []struct {
		keys, want string // want "" means valid
	}{
		{"", ""},
		{", api_key_header: x-api-key", ""},
		{", cookie_name: sid", ""},
		{", api_key_header: Authorization", "auth.api_key_header: Authorization is always read"},
		{", api_key_header: authorization", "auth.api_key_header: Authorization is always read"},
		{", api_key_header: Proxy-Authorization", "auth.api_key_header: Proxy-Authorization is meant for the next proxy"},
		{", api_key_header: cookie", "auth.api_key_header: Cookie carries the session"},
		{", api_key_header: Connection", "auth.api_key_header: Connection is managed by the proxy"},
		{", api_key_header: transfer-encoding", "auth.api_key_header: transfer-encoding is managed by the proxy"},
		{", api_key_header: x-portico-key", "auth.api_key_header: x-portico-key is stripped from clients"},
		{`, api_key_header: "X Key"`, `auth.api_key_header: "X Key" is not a valid header name`},
		{`, cookie_name: "a;b"`, `auth.cookie_name: "a;b" is not a valid cookie name`},
		{", max_entries: -5", "auth.max_entries: must be at least 1"},
	}
	for _, tc := range cases {
		doc := authDoc(tc.keys)
		if tc.want == "" {
			mustParse(t, doc)
			continue
		}
		if got := mustParseError(t, doc); !strings.Contains(got, tc.want) {
			t.Errorf("auth keys %q: got\n%s\nwant a line containing %q", tc.keys, got, tc.want)
		}
	}
}

func TestAuthURL(t *testing.T) {
	valid := []string{"http://127.0.0.1:8081", "https://auth.internal", "http://auth:8081/base/", "http://[::1]:8081"}
	for _, u := range valid {
		mustParse(t, strings.Replace(authDoc(""), "http://127.0.0.1:8081", `"`+u+`"`, 1))
	}
	invalid := map[string]string{
		"ftp://auth.internal":      "must be an absolute http:// or https:// URL",
		"auth.internal:8081":       "must be an absolute http:// or https:// URL",
		"http://u:p@auth.internal": "must not carry user information",
		"http://auth.internal?a=b": "must not have a query",
		"http://auth.internal#f":   "must not have a fragment",
		"http://auth.internal:0":   "port must be a number from 1 to 65535",
	}
	for u, want := range invalid {
		doc := strings.Replace(authDoc(""), "http://127.0.0.1:8081", `"`+u+`"`, 1)
		got := mustParseError(t, doc)
		if !strings.Contains(got, "auth.url: ") || !strings.Contains(got, want) {
			t.Errorf("url %q: got\n%s\nwant auth.url: ... %q", u, got, want)
		}
	}
	got := mustParseError(t, strings.Replace(authDoc(""), "url: http://127.0.0.1:8081", "cookie_name: sid", 1))
	if !strings.Contains(got, "test.yaml:2:1: auth.url: missing; give the auth service's base URL") {
		t.Errorf("auth without url: got\n%s\nwant auth.url: missing at the auth block", got)
	}
}

func TestAuthDefaults(t *testing.T) {
	c := mustParse(t, authDoc(""))
	a := c.Auth
	if a.CookieName != DefaultAuthCookieName || a.APIKeyHeader != "" || a.CacheTTL != DefaultAuthCacheTTL ||
		a.NegativeTTL != DefaultAuthNegativeTTL || a.MaxEntries != DefaultAuthMaxEntries || a.Timeout != DefaultAuthTimeout {
		t.Errorf("got %+v, want every default", *a)
	}
	c = mustParse(t, minimalYAML)
	if c.Auth != nil {
		t.Errorf("without auth: got %+v, want nil", *c.Auth)
	}
}

// TestAuthBuiltInCode checks that an Auth built in code without defaults
// is reported rather than used with zero durations.
func TestAuthBuiltInCode(t *testing.T) {
	c := mustParse(t, minimalYAML)
	c.Auth = &Auth{URL: "http://127.0.0.1:8081"}
	err := c.Validate()
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v, want Errors", err)
	}
	want := map[string]bool{
		"auth.issuer": true, "auth.jwks_url": true,
		"auth.cookie_name": true, "auth.csrf_header": true, "auth.cache_ttl": true, "auth.negative_ttl": true, "auth.timeout": true,
		"auth.max_entries": true,
	}
	for _, e := range errs {
		if !want[e.Path] {
			t.Errorf("unexpected error %v", e)
		}
		delete(want, e.Path)
	}
	for p := range want {
		t.Errorf("no error for %s in\n%v", p, err)
	}
}

func TestRequireNeedsAuth(t *testing.T) {
	doc := strings.Replace(authDoc(""), "auth: {url: http://127.0.0.1:8081, issuer: \"https://auth.example.com\"}\n", "", 1)
	got := mustParseError(t, doc)
	if want := "routes[0].require: require needs the top-level auth block"; !strings.Contains(got, want) || strings.Count(got, "\n") != 0 {
		t.Errorf("got\n%s\nwant only a line containing %q", got, want)
	}
	// public: true without auth documents intent and is no error.
	mustParse(t, strings.Replace(doc, "require: {tenant: org, roles: [admin]}", "public: true", 1))
}

func TestAuthIssuer(t *testing.T) {
	doc := strings.Replace(authDoc(""), `, issuer: "https://auth.example.com"`, "", 1)
	if got := mustParseError(t, doc); !strings.Contains(got, "test.yaml:2:1: auth.issuer: missing; give the auth service's issuer") {
		t.Errorf("auth without issuer: got\n%s\nwant auth.issuer: missing at the auth block", got)
	}
	for issuer, want := range map[string]string{
		"auth.example.com":          "must be an absolute http:// or https:// URL",
		"https://auth.example.com?": "must not have a query",
		"https://u@auth.example":    "must not carry user information",
	} {
		doc := strings.Replace(authDoc(""), "https://auth.example.com", issuer, 1)
		if got := mustParseError(t, doc); !strings.Contains(got, "test.yaml:2:44: auth.issuer: ") || !strings.Contains(got, want) {
			t.Errorf("issuer %q: got\n%s\nwant auth.issuer at 2:44: ... %q", issuer, got, want)
		}
	}
	c := mustParse(t, strings.Replace(authDoc(""), "https://auth.example.com", "http://127.0.0.1:8080", 1))
	if c.Auth.Issuer != "http://127.0.0.1:8080" {
		t.Errorf("got issuer %q, want http://127.0.0.1:8080", c.Auth.Issuer)
	}
}

func TestAuthJWKSURL(t *testing.T) {
	for base, want := range map[string]string{
		"http://127.0.0.1:8081":      "http://127.0.0.1:8081/.well-known/jwks.json",
		"http://auth:8081/base/":     "http://auth:8081/base/.well-known/jwks.json",
		"https://auth.internal/base": "https://auth.internal/base/.well-known/jwks.json",
	} {
		c := mustParse(t, strings.Replace(authDoc(""), "http://127.0.0.1:8081", `"`+base+`"`, 1))
		if c.Auth.JWKSURL != want {
			t.Errorf("url %s: got jwks_url %q, want %q", base, c.Auth.JWKSURL, want)
		}
	}
	c := mustParse(t, authDoc(", jwks_url: http://keys.internal/jwks.json"))
	if c.Auth.JWKSURL != "http://keys.internal/jwks.json" {
		t.Errorf("got jwks_url %q, want the one given", c.Auth.JWKSURL)
	}
	got := mustParseError(t, authDoc(", jwks_url: keys.internal/jwks.json"))
	if !strings.Contains(got, "test.yaml:2:82: auth.jwks_url: ") || !strings.Contains(got, "must be an absolute http:// or https:// URL") {
		t.Errorf("relative jwks_url: got\n%s\nwant auth.jwks_url at 2:82", got)
	}
	// A bad url is reported once, not again through the jwks_url derived
	// from it.
	got = mustParseError(t, strings.Replace(authDoc(""), "http://127.0.0.1:8081", `"http://auth?x=1"`, 1))
	if strings.Contains(got, "jwks_url") || !strings.Contains(got, "auth.url: ") {
		t.Errorf("bad url: got\n%s\nwant only the auth.url error", got)
	}
}

func TestAuthWorkloadTokenFile(t *testing.T) {
	c := mustParse(t, authDoc(""))
	if c.Auth.WorkloadTokenFile != "" {
		t.Errorf("got workload_token_file %q by default, want none", c.Auth.WorkloadTokenFile)
	}
	c = mustParse(t, authDoc(", workload_token_file: /var/run/secrets/portico/auth/token"))
	if c.Auth.WorkloadTokenFile != "/var/run/secrets/portico/auth/token" {
		t.Errorf("got workload_token_file %q, want the one given", c.Auth.WorkloadTokenFile)
	}
	got := mustParseError(t, authDoc(", workload_token_file: tokens/auth"))
	if !strings.Contains(got, `test.yaml:2:93: auth.workload_token_file: "tokens/auth" is not an absolute path`) {
		t.Errorf("relative workload_token_file: got\n%s\nwant an error at 2:93", got)
	}
}
