package gateway

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-gw/portico/internal/gateway/authn/authntest"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// fakeAuthConfig is a gateway in front of a fake auth (authntest).
const fakeAuthConfig = `
version: 1
auth: {url: "${AUTH}", issuer: "${ISSUER}", cache_ttl: 1m/*more*/}
services:
  a: {targets: ["${A}"]}
routes:
  - {name: me, path: /me, service: a}
  - name: whoami
    path: /whoami
    aggregate:
      steps:
        - {name: who, service: a, path: "/who/{identity.sub}/{identity.orgs.0.id}", into: who}
`

const fakeSessionValue = "hL2n4mJ0pQyB5tVvX8cW1zA7sD3fG6kE9uR0iO2aPlM"

// fakeAuthSetup is a fake auth that grants fakeSessionValue, an upstream
// that counts what reaches it, and the variables of fakeAuthConfig.
type fakeAuthSetup struct {
	fa   *authntest.Auth
	up   string
	hits *atomic.Int64
	vars map[string]string
}

func newFakeAuthSetup(t *testing.T) *fakeAuthSetup {
	t.Helper()
	fa := authntest.New(t, authntest.Options{})
	fa.Grant(fakeSessionValue, identity.Claims{Subject: "idn_ada", Kind: identity.KindUser,
		Orgs: []identity.OrgRole{{ID: "org_a", Role: "admin"}}})
	hits := new(atomic.Int64)
	echo := echoHandler("a")
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		echo.ServeHTTP(w, r)
	}))
	return &fakeAuthSetup{fa: fa, up: up.URL, hits: hits,
		vars: map[string]string{"AUTH": fa.URL, "ISSUER": authntest.Issuer, "A": up.URL}}
}

// fakeConfig returns fakeAuthConfig with more keys (", key: value") in
// its auth block.
func fakeConfig(more string) string {
	return strings.Replace(fakeAuthConfig, "/*more*/", more, 1)
}

func (s *fakeAuthSetup) get(t *testing.T, tg *testGateway, path string) (*http.Response, []byte) {
	t.Helper()
	req := mustRequest(t, "GET", tg.srv.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: "__Host-portico_session", Value: fakeSessionValue})
	return mustDo(t, req)
}

// TestForgedInternalTokenRefused: whatever answers the exchange in
// auth's place, a token that does not verify is 503 auth-unavailable,
// logged with the reason and without the token, and never reaches the
// upstream; a good one passes, and the upstream sees exactly it.
func TestForgedInternalTokenRefused(t *testing.T) {
	s := newFakeAuthSetup(t)
	tg := mustGatewayWith(t, fakeConfig(""), s.vars, Options{AuthWorkloadToken: s.fa.WorkloadToken()})
	now := time.Now()
	for _, tc := range []struct {
		name, reason string
		tamper       func(*authntest.Token)
	}{
		{"signed by a key not in the JWKS", "bad signature", func(tk *authntest.Token) { tk.Key = authntest.NewKey(t) }},
		{"unknown kid", "unknown signing key", func(tk *authntest.Token) {
			tk.Key, tk.Header["kid"] = authntest.NewKey(t), "rogue"
		}},
		{"wrong issuer", "unexpected issuer", func(tk *authntest.Token) { tk.Claims["iss"] = "https://evil.example" }},
		{"wrong audience", "unexpected audience", func(tk *authntest.Token) { tk.Claims["aud"] = []string{"portico-api"} }},
		{"access token type", "token type not accepted", func(tk *authntest.Token) { tk.Header["typ"] = "at+jwt" }},
		{"expired", "token expired", func(tk *authntest.Token) {
			tk.Claims["iat"], tk.Claims["exp"] = now.Add(-10*time.Minute).Unix(), now.Add(-2*time.Minute).Unix()
		}},
		{"alg none", "algorithm not allowed", func(tk *authntest.Token) { tk.Header["alg"], tk.Key = "none", nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.fa.Tamper(tc.tamper)
			before := s.fa.Exchanges()
			for _, path := range []string{"/me", "/whoami"} {
				resp, body := s.get(t, tg, path)
				mustProblem(t, resp, body, http.StatusServiceUnavailable, "auth-unavailable")
				if resp.Header.Get("Retry-After") == "" {
					t.Errorf("%s: no Retry-After on 503", path)
				}
			}
			if got := s.hits.Load(); got != 0 {
				t.Fatalf("got %d requests upstream, want none", got)
			}
			if got := s.fa.Exchanges() - before; got != 2 {
				t.Errorf("got %d exchanges for 2 requests, want 2: a refused token is not cached", got)
			}
			forged := s.fa.LastToken()
			var found bool
			for _, r := range tg.logs.records(t, "internal token from the credential exchange refused") {
				if r["level"] == "WARN" && strings.Contains(r["error"].(string), tc.reason) {
					found = true
				}
			}
			if !found {
				t.Errorf("no warning naming %q in the log", tc.reason)
			}
			if logs := tg.logs.String(); strings.Contains(logs, forged) || strings.Contains(logs, fakeSessionValue) {
				t.Error("the log holds the forged token or the credential")
			}
		})
	}

	s.fa.Tamper(nil)
	resp, body := s.get(t, tg, "/me")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("honest token: status %d %s, want 200", resp.StatusCode, body)
	}
	if got, want := mustEchoed(t, body).Header["Authorization"], "Bearer "+s.fa.LastToken(); len(got) != 1 || got[0] != want {
		t.Errorf("upstream Authorization = %q, want the token auth answered", got)
	}
	resp, body = s.get(t, tg, "/whoami")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "/who/idn_ada/org_a") {
		t.Errorf("composed: status %d body %s, want the step called with the verified sub and org", resp.StatusCode, body)
	}
	if s.fa.Calls() != s.fa.Exchanges() {
		t.Errorf("got %d exchange requests, %d admitted: want every one to carry the gateway's workload token", s.fa.Calls(), s.fa.Exchanges())
	}
}

func TestAuthKeysUnavailableIs503(t *testing.T) {
	s := newFakeAuthSetup(t)
	s.fa.SetKeysDown(true)
	tg := mustGatewayWith(t, fakeConfig(""), s.vars, Options{AuthWorkloadToken: s.fa.WorkloadToken()})
	resp, body := s.get(t, tg, "/me")
	mustProblem(t, resp, body, http.StatusServiceUnavailable, "auth-unavailable")
	if s.hits.Load() != 0 {
		t.Error("a request reached the upstream with no keys to verify its token")
	}
}

// TestAuthWorkloadToken: the exchange carries the gateway's workload
// token, from Options.AuthWorkloadToken or else auth.workload_token_file,
// and without either the gateway does not start.
func TestAuthWorkloadToken(t *testing.T) {
	s := newFakeAuthSetup(t)
	tok, _, err := s.fa.Workload.Mint(workload.Gateway, workload.Auth)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(t.TempDir(), "garbage")
	if err := os.WriteFile(garbage, []byte("not-a-workload-token"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("from the file", func(t *testing.T) {
		tg := mustGatewayWith(t, fakeConfig(", workload_token_file: "+file), s.vars, Options{})
		if resp, body := s.get(t, tg, "/me"); resp.StatusCode != http.StatusOK {
			t.Errorf("status %d %s, want 200", resp.StatusCode, body)
		}
	})
	t.Run("the option takes precedence over the file", func(t *testing.T) {
		tg := mustGatewayWith(t, fakeConfig(", workload_token_file: "+garbage), s.vars, Options{AuthWorkloadToken: s.fa.WorkloadToken()})
		if resp, body := s.get(t, tg, "/me"); resp.StatusCode != http.StatusOK {
			t.Errorf("status %d %s, want 200", resp.StatusCode, body)
		}
	})
	t.Run("a token auth refuses is 503, not 401", func(t *testing.T) {
		tg := mustGatewayWith(t, fakeConfig(", workload_token_file: "+garbage), s.vars, Options{})
		resp, body := s.get(t, tg, "/me")
		mustProblem(t, resp, body, http.StatusServiceUnavailable, "auth-unavailable")
	})
	if s.fa.Calls() != s.fa.Exchanges()+1 {
		t.Errorf("got %d exchange requests, %d admitted; want only the garbage token refused", s.fa.Calls(), s.fa.Exchanges())
	}

	for name, extra := range map[string]string{
		"neither file nor option": "",
		"a file that is missing":  ", workload_token_file: " + filepath.Join(t.TempDir(), "missing"),
	} {
		t.Run(name, func(t *testing.T) {
			cfg := mustConfig(t, fakeConfig(extra), s.vars)
			_, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry()})
			if err == nil || !strings.Contains(err.Error(), "workload_token_file") {
				t.Errorf("got %v, want an error naming auth.workload_token_file", err)
			}
		})
	}
}

func TestAuthKeysOption(t *testing.T) {
	s := newFakeAuthSetup(t)
	more := `, jwks_url: "` + deadAddr(t) + `/jwks.json"`
	tg := mustGatewayWith(t, fakeConfig(more), s.vars, Options{AuthWorkloadToken: s.fa.WorkloadToken(), AuthKeys: s.fa.Keys()})
	if resp, body := s.get(t, tg, "/me"); resp.StatusCode != http.StatusOK {
		t.Errorf("status %d %s, want 200 with the keys given", resp.StatusCode, body)
	}
	if got := s.fa.KeyFetches(); got != 0 {
		t.Errorf("got %d JWKS fetches, want none", got)
	}
}

// TestReloadKeepsAuthCache: a reload that leaves the auth block as it was
// serves the next request from the exchange cache, with auth's keys as
// cached; a reload that changes it asks auth again.
func TestReloadKeepsAuthCache(t *testing.T) {
	s := newFakeAuthSetup(t)
	tg := mustGatewayWith(t, fakeConfig(""), s.vars, Options{AuthWorkloadToken: s.fa.WorkloadToken()})
	want := func(what string, exchanges, fetches int64) {
		t.Helper()
		if resp, body := s.get(t, tg, "/me"); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d %s, want 200", what, resp.StatusCode, body)
		}
		if got := s.fa.Exchanges(); got != exchanges {
			t.Errorf("%s: got %d exchanges at auth, want %d", what, got, exchanges)
		}
		if got := s.fa.KeyFetches(); got != fetches {
			t.Errorf("%s: got %d JWKS fetches, want %d", what, got, fetches)
		}
	}
	want("first request", 1, 1)

	// Another route, the same auth block.
	const extraRoute = "  - {name: extra, path: /extra, service: a}\n"
	if err := tg.gw.Reload(mustConfig(t, fakeConfig("")+extraRoute, s.vars)); err != nil {
		t.Fatal(err)
	}
	want("after a reload with the same auth block", 1, 1)

	if err := tg.gw.Reload(mustConfig(t, fakeConfig(", negative_ttl: 1s")+extraRoute, s.vars)); err != nil {
		t.Fatal(err)
	}
	want("after a reload that changed the auth block", 2, 2)

	if err := tg.gw.Reload(mustConfig(t, fakeConfig("")+extraRoute, s.vars)); err != nil {
		t.Fatal(err)
	}
	want("after a reload back", 3, 3)
}
