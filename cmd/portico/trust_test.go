package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portico-gw/portico/internal/auth/authhttp"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// mustWorkloadIssuer starts a workload issuer in the test process, its
// key set served at its URL, as a cluster's issuer would be.
func mustWorkloadIssuer(t *testing.T, now func() time.Time) *workload.Issuer {
	t.Helper()
	var h atomic.Pointer[http.Handler]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	iss, err := workload.NewIssuer(workload.IssuerOptions{URL: srv.URL, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	handler := iss.Handler()
	h.Store(&handler)
	return iss
}

func mustMintWorkload(t *testing.T, iss *workload.Issuer, caller, callee string) string {
	t.Helper()
	tok, _, err := iss.Mint(caller, callee)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// postJSON posts body to url with the bearer token (none when "") and
// returns the status and the body.
func postJSON(t *testing.T, url, token, body string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// mustSessionToken signs in at base (auth itself) and returns the session
// cookie's value.
func mustSessionToken(t *testing.T, base, email, password string) string {
	t.Helper()
	_, ck := mustLogin(t, base, email, password)
	return ck.Value
}

func TestAuthInternalEndpointsAdmitOnlyNamedCallers(t *testing.T) {
	dir := t.TempDir()
	const password = "a long test password for the admin"
	iss := mustWorkloadIssuer(t, nil)
	other := mustWorkloadIssuer(t, nil)
	past := mustWorkloadIssuer(t, func() time.Time { return time.Now().Add(-time.Hour) })
	p, _ := mustStartEnv(t, append(authEnvKeys(filepath.Join(dir, "data")), "PORTICO_ADMIN_PASSWORD="+password),
		"auth", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--workload-issuer", iss.URL(), "--workload-jwks-url", iss.JWKSURL())
	base := p.url("public", "")
	session := mustSessionToken(t, base, defaultAdminEmail, password)
	exchange := `{"credential":` + jsonString(session) + `}`

	tests := []struct {
		name, path, token, body string
		want                    int
	}{
		{"exchange without a token", "/internal/v1/exchange", "", exchange, http.StatusUnauthorized},
		{"exchange with a session token", "/internal/v1/exchange", session, exchange, http.StatusUnauthorized},
		{"exchange with another issuer's token", "/internal/v1/exchange", mustMintWorkload(t, other, workload.Gateway, workload.Auth), exchange, http.StatusUnauthorized},
		{"exchange with a token for accounts", "/internal/v1/exchange", mustMintWorkload(t, iss, workload.Gateway, workload.Accounts), exchange, http.StatusUnauthorized},
		{"exchange with an expired token", "/internal/v1/exchange", mustMintWorkload(t, past, workload.Gateway, workload.Auth), exchange, http.StatusUnauthorized},
		{"exchange called by accounts", "/internal/v1/exchange", mustMintWorkload(t, iss, workload.Accounts, workload.Auth), exchange, http.StatusForbidden},
		{"exchange called by analytics", "/internal/v1/exchange", mustMintWorkload(t, iss, workload.Analytics, workload.Auth), exchange, http.StatusForbidden},
		{"exchange called by the gateway", "/internal/v1/exchange", mustMintWorkload(t, iss, workload.Gateway, workload.Auth), exchange, http.StatusOK},
		{"identities without a token", "/internal/v1/identities", "", `{}`, http.StatusUnauthorized},
		{"identities called by the gateway", "/internal/v1/identities", mustMintWorkload(t, iss, workload.Gateway, workload.Auth), `{}`, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := postJSON(t, base+tc.path, tc.token, tc.body)
			if status != tc.want {
				t.Fatalf("POST %s = %d %s, want %d", tc.path, status, body, tc.want)
			}
			if tc.token != "" && strings.Contains(body, tc.token) {
				t.Errorf("the answer repeats the token: %s", body)
			}
		})
	}
	t.Run("identities called by accounts", func(t *testing.T) {
		status, body := postJSON(t, base+"/internal/v1/identities", mustMintWorkload(t, iss, workload.Accounts, workload.Auth), `{}`,
			"Idempotency-Key", "test-key-1")
		if status == http.StatusUnauthorized || status == http.StatusForbidden || status >= 500 {
			t.Fatalf("POST /internal/v1/identities from accounts = %d %s, want it admitted (a 2xx, or 4xx about the body)", status, body)
		}
	})
	t.Run("refusals are logged", func(t *testing.T) {
		if !strings.Contains(p.log(), "internal call refused") {
			t.Error("no log line for a refused internal call")
		}
		if strings.Contains(p.log(), session) {
			t.Error("the session token appears in the log")
		}
	})
}

func TestAuthWithoutWorkloadIssuerRefusesInternalCalls(t *testing.T) {
	dir := t.TempDir()
	iss := mustWorkloadIssuer(t, nil)
	p, _ := mustStartEnv(t, authEnvKeys(filepath.Join(dir, "data")),
		"auth", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0")
	if !strings.Contains(p.log(), "no trusted workload issuer") {
		t.Errorf("the start does not say that internal calls are refused:\n%s", p.log())
	}
	status, body := postJSON(t, p.url("public", "/internal/v1/exchange"), mustMintWorkload(t, iss, workload.Gateway, workload.Auth), `{"credential":"x"}`)
	if status != http.StatusForbidden {
		t.Errorf("POST /internal/v1/exchange = %d %s, want 403", status, body)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// fakeAuth stands in for the auth service: its exchange admits only the
// gateway's workload token and answers with whatever token forge makes;
// its JWKS publishes one key, trusted.
type fakeAuth struct {
	srv       *httptest.Server
	trusted   *ecdsa.PrivateKey
	untrusted *ecdsa.PrivateKey
	forge     atomic.Pointer[func() string]
	exchanges atomic.Int64
}

const fakeIssuer = "http://auth.portico.test"

func newFakeAuth(t *testing.T, iss *workload.Issuer) *fakeAuth {
	t.Helper()
	f := &fakeAuth{}
	f.trusted, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	f.untrusted, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	guard, err := workload.NewGuard(workload.GuardOptions{Name: workload.Auth, Issuer: iss.URL(), Keys: iss.Keys()})
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &f.trusted.PublicKey, KeyID: "trusted", Algorithm: "ES256", Use: "sig"}}})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Write(jwks)
	})
	mux.Handle("POST /internal/v1/exchange", guard.Admit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.exchanges.Add(1)
		tok := (*f.forge.Load())()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"token": tok, "expires_at": time.Now().Add(5 * time.Minute),
			"subject": "idn_1", "kind": "user", "cache_ttl_seconds": 0})
	}), workload.Gateway))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// sign makes an internal token with key under kid, with claims changed by
// edit.
func (f *fakeAuth) sign(t *testing.T, key *ecdsa.PrivateKey, kid, typ string, edit func(*identity.Claims)) string {
	t.Helper()
	now := time.Now().Truncate(time.Second)
	c := identity.Claims{Issuer: fakeIssuer, Subject: "idn_1", Audience: []string{identity.InternalAudience},
		IssuedAt: now, Expiry: now.Add(5 * time.Minute), ID: "jti-1", Kind: identity.KindUser, CredentialID: "ses_1"}
	if edit != nil {
		edit(&c)
	}
	payload, _ := json.Marshal(c)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := jws.CompactSerialize()
	return tok
}

func TestGatewayRefusesForgedInternalTokens(t *testing.T) {
	iss := mustWorkloadIssuer(t, nil)
	auth := newFakeAuth(t, iss)
	var upstreamAuthz atomic.Pointer[string]
	var upstreamHits atomic.Int64
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamHits.Add(1)
		a := r.Header.Get("Authorization")
		upstreamAuthz.Store(&a)
		w.Write([]byte(`{"ok":true}`))
	}))
	defer upstream.Close()

	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "workload-token")
	mustWrite(t, tokenFile, mustMintWorkload(t, iss, workload.Gateway, workload.Auth))
	cfg := filepath.Join(dir, "gateway.yaml")
	mustWrite(t, cfg, gatewayConfig(upstream.URL, "/v1/things", `auth:
  url: `+auth.srv.URL+`
  issuer: `+fakeIssuer+`
  workload_token_file: `+tokenFile+`
`))
	p := mustStart(t, "gateway", "--config", cfg)

	tests := []struct {
		name  string
		token func() string
		want  int
	}{
		{"signed by auth's key", func() string { return auth.sign(t, auth.trusted, "trusted", identity.InternalTokenType, nil) }, http.StatusOK},
		{"signed by another key under auth's kid", func() string {
			return auth.sign(t, auth.untrusted, "trusted", identity.InternalTokenType, nil)
		}, http.StatusServiceUnavailable},
		{"signed by a key auth never published", func() string {
			return auth.sign(t, auth.untrusted, "other", identity.InternalTokenType, nil)
		}, http.StatusServiceUnavailable},
		{"another issuer", func() string {
			return auth.sign(t, auth.trusted, "trusted", identity.InternalTokenType, func(c *identity.Claims) { c.Issuer = "http://evil.test" })
		}, http.StatusServiceUnavailable},
		{"an access token", func() string { return auth.sign(t, auth.trusted, "trusted", identity.AccessTokenType, nil) }, http.StatusServiceUnavailable},
		{"another audience", func() string {
			return auth.sign(t, auth.trusted, "trusted", identity.InternalTokenType, func(c *identity.Claims) { c.Audience = []string{"portico-auth"} })
		}, http.StatusServiceUnavailable},
		{"expired", func() string {
			return auth.sign(t, auth.trusted, "trusted", identity.InternalTokenType, func(c *identity.Claims) {
				c.IssuedAt = c.IssuedAt.Add(-time.Hour)
				c.Expiry = c.IssuedAt.Add(time.Minute)
			})
		}, http.StatusServiceUnavailable},
		{"not a JWT", func() string { return "just-a-string" }, http.StatusServiceUnavailable},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := tc.token()
			forge := func() string { return tok }
			auth.forge.Store(&forge)
			hits := upstreamHits.Load()
			req, _ := http.NewRequest(http.MethodGet, p.url("public", "/v1/things"), nil)
			// A credential of its own per case, so that no case is answered
			// from the exchange cache.
			req.Header.Set("Authorization", "Bearer pk_outside_credential_"+strconv.Itoa(i))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("GET /v1/things = %d %s, want %d", resp.StatusCode, body, tc.want)
			}
			if tc.want != http.StatusOK {
				if upstreamHits.Load() != hits {
					t.Error("the request reached the upstream")
				}
				if !bytes.Contains(body, []byte("auth-unavailable")) {
					t.Errorf("body %s, want an auth-unavailable problem", body)
				}
				return
			}
			if got := *upstreamAuthz.Load(); got != "Bearer "+tok {
				t.Errorf("upstream Authorization = %.40q, want the verified internal token", got)
			}
		})
	}
	if auth.exchanges.Load() == 0 {
		t.Error("the fake auth never admitted the gateway's workload token")
	}
	if strings.Contains(p.log(), "pk_outside_credential") {
		t.Error("the outside credential appears in the gateway's log")
	}
	os.Remove(tokenFile)
}

// TestAllAuthenticatesAtTheGateway signs in through portico all's gateway
// and uses the session as a browser would; the auth service itself never
// reads the cookie.
func TestAllAuthenticatesAtTheGateway(t *testing.T) {
	dir := t.TempDir()
	const password = "a long test password for the admin"
	p, _ := mustStartEnv(t, []string{"PORTICO_ADMIN_PASSWORD=" + password},
		"all", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"))
	gw := p.url("public", "")
	authURL := p.url("auth", "")
	c, ck := mustLogin(t, gw, defaultAdminEmail, password)

	t.Run("me and sessions with the cookie", func(t *testing.T) {
		mustBeStaffAdmin(t, c, gw)
		var sessions struct {
			Items []struct {
				Current bool `json:"current"`
			} `json:"items"`
		}
		mustGetJSON(t, c, gw+"/v1/sessions", &sessions)
		current := 0
		for _, s := range sessions.Items {
			if s.Current {
				current++
			}
		}
		if current != 1 {
			t.Errorf("GET /v1/sessions = %+v, want exactly one current session", sessions)
		}
	})
	t.Run("no cookie is 401 at the gateway", func(t *testing.T) {
		if code, body := mustGet(t, gw+"/v1/me"); code != http.StatusUnauthorized {
			t.Errorf("GET /v1/me = %d %s, want 401", code, body)
		}
	})
	t.Run("auth does not take the cookie", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, authURL+"/v1/me", nil)
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET auth's /v1/me with the cookie = %d, want 401", resp.StatusCode)
		}
	})
	t.Run("internal endpoints need a workload token", func(t *testing.T) {
		status, body := postJSON(t, authURL+"/internal/v1/exchange", "", `{"credential":`+jsonString(ck.Value)+`}`)
		if status != http.StatusUnauthorized {
			t.Errorf("POST auth's /internal/v1/exchange without a token = %d %s, want 401", status, body)
		}
	})
	t.Run("logout ends the session at once", func(t *testing.T) {
		// Used just now, so that the gateway holds its exchange.
		if code, body := mustGetWith(t, c, gw+"/v1/me"); code != http.StatusOK {
			t.Fatalf("GET /v1/me = %d %s, want 200", code, body)
		}
		req, _ := http.NewRequest(http.MethodPost, gw+"/v1/logout", nil)
		req.Header.Set(authhttp.CSRFHeader, "1")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("POST /v1/logout = %d, want 204", resp.StatusCode)
		}
		// The logout's answer cleared the cookie, so the gateway dropped
		// its cached exchange: the old cookie is asked about at auth (a
		// miss, not a hit) and refused there, not only by auth's /v1/me,
		// which checks the session itself.
		misses := p.url("admin", "/metrics")
		const miss = `portico_gateway_auth_exchanges_total{outcome="miss"}`
		before := mustCounter(t, misses, miss)
		req, _ = http.NewRequest(http.MethodGet, gw+"/v1/me", nil)
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /v1/me with the logged-out cookie = %d, want 401", resp.StatusCode)
		}
		if after := mustCounter(t, misses, miss); after != before+1 {
			t.Errorf("%s went from %v to %v over the request after logout, want one more: the gateway served its cached exchange", miss, before, after)
		}
	})
	mustStop(t, p)
}
