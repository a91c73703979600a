package workload_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{now: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)} }

func mustIssuer(tb testing.TB, url string, now func() time.Time) *workload.Issuer {
	tb.Helper()
	iss, err := workload.NewIssuer(workload.IssuerOptions{URL: url, Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	return iss
}

func mustGuard(tb testing.TB, o workload.GuardOptions) *workload.Guard {
	tb.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	g, err := workload.NewGuard(o)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

func mustMint(tb testing.TB, iss *workload.Issuer, caller, callee string) string {
	tb.Helper()
	tok, _, err := iss.Mint(caller, callee)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// call sends a request with token (none when "") through h and returns the
// status, the body and the caller the handler saw.
func call(tb testing.TB, h http.Handler, token string) (int, string, string) {
	tb.Helper()
	req := httptest.NewRequest(http.MethodPost, "/internal/v1/exchange", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String(), rec.Header().Get("X-Caller")
}

var echoCaller = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, _ := workload.CallerFrom(r.Context())
	w.Header().Set("X-Caller", c)
	w.WriteHeader(http.StatusNoContent)
})

func TestGuardAdmitsOnlyNamedCallers(t *testing.T) {
	clk := newClock()
	iss := mustIssuer(t, "http://127.0.0.1:1", clk.Now)
	other := mustIssuer(t, "http://127.0.0.1:2", clk.Now)
	// An issuer claiming the trusted issuer's URL, with a key of its own.
	impostor := mustIssuer(t, "http://127.0.0.1:1", clk.Now)
	g := mustGuard(t, workload.GuardOptions{Name: workload.Auth, Issuer: iss.URL(), Keys: iss.Keys(), Now: clk.Now})
	h := g.Admit(echoCaller, workload.Gateway)

	tests := []struct {
		name       string
		token      string
		wantStatus int
		wantType   string
	}{
		{"named caller", mustMint(t, iss, workload.Gateway, workload.Auth), http.StatusNoContent, ""},
		{"no token", "", http.StatusUnauthorized, "unauthenticated"},
		{"not a JWT", "opaque-session-token", http.StatusUnauthorized, "invalid-token"},
		{"another issuer", mustMint(t, other, workload.Gateway, workload.Auth), http.StatusUnauthorized, "invalid-token"},
		{"impostor key", mustMint(t, impostor, workload.Gateway, workload.Auth), http.StatusUnauthorized, "invalid-token"},
		{"wrong audience", mustMint(t, iss, workload.Gateway, workload.Accounts), http.StatusUnauthorized, "invalid-token"},
		{"wrong caller", mustMint(t, iss, workload.Accounts, workload.Auth), http.StatusForbidden, "forbidden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, caller := call(t, h, tc.token)
			if status != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", status, tc.wantStatus, body)
			}
			if tc.wantType == "" {
				if caller != workload.Gateway {
					t.Errorf("caller in context = %q, want %q", caller, workload.Gateway)
				}
				return
			}
			if !strings.Contains(body, `"type":"https://portico.dev/problems/`+tc.wantType+`"`) && !strings.Contains(body, tc.wantType) {
				t.Errorf("body %s, want problem type %q", body, tc.wantType)
			}
			if tc.token != "" && strings.Contains(body, tc.token) {
				t.Errorf("body repeats the token: %s", body)
			}
		})
	}

	t.Run("expired", func(t *testing.T) {
		tok := mustMint(t, iss, workload.Gateway, workload.Auth)
		clk.Advance(workload.DefaultLifetime + identity.DefaultClockSkew + time.Second)
		defer clk.Advance(-(workload.DefaultLifetime + identity.DefaultClockSkew + time.Second))
		if status, body, _ := call(t, h, tok); status != http.StatusUnauthorized {
			t.Fatalf("status = %d, want 401; body %s", status, body)
		}
	})
}

func TestGuardWithoutIssuerRefusesEverything(t *testing.T) {
	clk := newClock()
	iss := mustIssuer(t, "http://127.0.0.1:1", clk.Now)
	g := mustGuard(t, workload.GuardOptions{Name: workload.Auth})
	if g.Enabled() {
		t.Fatal("Enabled() = true for a guard without an issuer")
	}
	h := g.Admit(echoCaller, workload.Gateway)
	for _, tok := range []string{"", mustMint(t, iss, workload.Gateway, workload.Auth)} {
		if status, body, _ := call(t, h, tok); status != http.StatusForbidden {
			t.Errorf("token %v: status = %d, want 403; body %s", tok != "", status, body)
		}
	}
	if _, err := workload.NewGuard(workload.GuardOptions{Name: workload.Auth, Issuer: "http://x"}); err == nil {
		t.Error("NewGuard with an issuer and no keys: no error")
	}
}

// k8sToken signs a token shaped like a Kubernetes projected ServiceAccount
// token: RS256 or ES256, no typ, the cluster as issuer.
func k8sToken(tb testing.TB, key *ecdsa.PrivateKey, kid string, claims map[string]any, typ string) string {
	tb.Helper()
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		tb.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func TestGuardKubernetesTokens(t *testing.T) {
	clk := newClock()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keys, err := identity.NewStaticKeys(jose.JSONWebKey{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	const cluster = "https://kubernetes.default.svc.cluster.local"
	g := mustGuard(t, workload.GuardOptions{Name: workload.Auth, Issuer: cluster, Keys: keys,
		SubjectPrefix: "system:serviceaccount:portico:", Now: clk.Now})
	h := g.Admit(echoCaller, workload.Gateway)
	now := clk.Now().Unix()
	claims := func(sub, aud string) map[string]any {
		return map[string]any{"iss": cluster, "sub": sub, "aud": []string{aud}, "iat": now, "nbf": now, "exp": now + 600,
			"kubernetes.io": map[string]any{"namespace": "portico"}}
	}
	living := func(seconds int64) map[string]any {
		c := claims("system:serviceaccount:portico:gateway", "portico-auth")
		c["exp"] = now + seconds
		return c
	}
	tests := []struct {
		name  string
		token string
		want  int
	}{
		{"gateway's ServiceAccount", k8sToken(t, key, "k1", claims("system:serviceaccount:portico:gateway", "portico-auth"), ""), http.StatusNoContent},
		{"typ JWT", k8sToken(t, key, "k1", claims("system:serviceaccount:portico:gateway", "portico-auth"), "JWT"), http.StatusNoContent},
		{"another namespace", k8sToken(t, key, "k1", claims("system:serviceaccount:other:gateway", "portico-auth"), ""), http.StatusForbidden},
		{"another ServiceAccount", k8sToken(t, key, "k1", claims("system:serviceaccount:portico:accounts", "portico-auth"), ""), http.StatusForbidden},
		{"the API server's audience", k8sToken(t, key, "k1", claims("system:serviceaccount:portico:gateway", cluster), ""), http.StatusUnauthorized},
		{"internal token type", k8sToken(t, key, "k1", claims("system:serviceaccount:portico:gateway", "portico-auth"), identity.InternalTokenType), http.StatusUnauthorized},
		{"access token type", k8sToken(t, key, "k1", claims("system:serviceaccount:portico:gateway", "portico-auth"), identity.AccessTokenType), http.StatusUnauthorized},
		{"Kubernetes' default hour", k8sToken(t, key, "k1", living(3600), ""), http.StatusNoContent},
		{"the automounted token's 3607 s", k8sToken(t, key, "k1", living(3607), ""), http.StatusNoContent},
		{"a day", k8sToken(t, key, "k1", living(86400), ""), http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if status, body, _ := call(t, h, tc.token); status != tc.want {
				t.Fatalf("status = %d, want %d; body %s", status, tc.want, body)
			}
		})
	}
}

func TestGuardFetchesIssuerKeysOverHTTP(t *testing.T) {
	iss := mustIssuer(t, "http://placeholder", nil)
	srv := httptest.NewServer(iss.Handler())
	defer srv.Close()
	// The issuer's URL must be where its key set is served.
	iss = mustIssuer(t, srv.URL, nil)
	srv.Config.Handler = iss.Handler()
	jwks, err := identity.NewJWKS(identity.JWKSOptions{URL: iss.JWKSURL()})
	if err != nil {
		t.Fatal(err)
	}
	g := mustGuard(t, workload.GuardOptions{Name: workload.Auth, Issuer: iss.URL(), Keys: jwks})
	h := g.Admit(echoCaller, workload.Gateway)
	if status, body, _ := call(t, h, mustMint(t, iss, workload.Gateway, workload.Auth)); status != http.StatusNoContent {
		t.Fatalf("status = %d, want 204; body %s", status, body)
	}
}

func TestMintSourceRenewsBeforeExpiry(t *testing.T) {
	clk := newClock()
	iss := mustIssuer(t, "http://127.0.0.1:1", clk.Now)
	src := iss.Source(workload.Gateway, workload.Auth)
	ctx := context.Background()
	first, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(workload.DefaultLifetime / 2)
	if again, _ := src.Token(ctx); again != first {
		t.Error("token changed with two thirds of its life left")
	}
	clk.Advance(workload.DefaultLifetime / 4)
	renewed, _ := src.Token(ctx)
	if renewed == first {
		t.Error("token not renewed with a quarter of its life left")
	}
}

func TestTransportSetsTheTokenOnAClone(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
	}))
	defer srv.Close()
	iss := mustIssuer(t, "http://127.0.0.1:1", nil)
	src := iss.Source(workload.Gateway, workload.Auth)
	tok, _ := src.Token(context.Background())
	c := &http.Client{Transport: workload.Transport(nil, src)}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer caller-supplied")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if got != "Bearer "+tok {
		t.Errorf("upstream Authorization = %.30q..., want the workload token", got)
	}
	if req.Header.Get("Authorization") != "Bearer caller-supplied" {
		t.Error("Transport changed the caller's request")
	}

	failing := &http.Client{Transport: workload.Transport(nil, workload.NewFileSource(t.TempDir()+"/missing", 0))}
	if _, err := failing.Post(srv.URL, "application/json", strings.NewReader("{}")); !errors.Is(err, workload.ErrNoToken) {
		t.Errorf("request without a token: err = %v, want ErrNoToken", err)
	}
}
