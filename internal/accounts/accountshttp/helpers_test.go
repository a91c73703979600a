package accountshttp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/accounts/accountsstore"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/openapitest"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
	"github.com/portico-gw/portico/internal/platform/workload"
)

const testIssuer = "https://auth.portico.test"

// env is a Handler on a real SQLite store, a signer of internal tokens
// its verifier trusts, and a workload issuer its guard trusts. Every
// response of do is checked against api/accounts.yaml.
type env struct {
	svc      *accounts.Service
	h        *Handler
	signer   jose.Signer
	workload *workload.Issuer
	api      *openapitest.Doc
}

func newEnv(tb testing.TB, o Options, svcOpts ...accounts.Option) *env {
	tb.Helper()
	store, err := accountsstore.Open(tb.Context(), sqldbtest.Backends(tb)[0].Open(tb))
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	svc := accounts.NewService(store, svcOpts...)
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("key: %v", err)
	}
	keys, err := identity.NewStaticKeys(jose.JSONWebKey{Key: &priv.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"})
	if err != nil {
		tb.Fatalf("static keys: %v", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: "k1", Algorithm: "ES256"}},
		(&jose.SignerOptions{}).WithType(identity.InternalTokenType))
	if err != nil {
		tb.Fatalf("signer: %v", err)
	}
	v, err := identity.NewVerifier(identity.VerifierOptions{Keys: keys, Issuer: testIssuer, Audience: identity.InternalAudience})
	if err != nil {
		tb.Fatalf("verifier: %v", err)
	}
	wi, err := workload.NewIssuer(workload.IssuerOptions{URL: "http://workload.portico.test"})
	if err != nil {
		tb.Fatalf("workload issuer: %v", err)
	}
	discard := slog.New(slog.DiscardHandler)
	g, err := workload.NewGuard(workload.GuardOptions{Name: workload.Accounts, Issuer: wi.URL(), Keys: wi.Keys(), Logger: discard})
	if err != nil {
		tb.Fatalf("guard: %v", err)
	}
	o.Verifier, o.Workload, o.Logger = v, g, discard
	h, err := NewHandler(svc, o)
	if err != nil {
		tb.Fatalf("handler: %v", err)
	}
	return &env{svc: svc, h: h, signer: signer, workload: wi, api: loadOpenAPI(tb)}
}

// token returns an internal token for sub of the given kind.
func (e *env) token(tb testing.TB, sub string, kind identity.PrincipalKind, staff bool) string {
	tb.Helper()
	now := time.Now().Truncate(time.Second)
	payload, err := json.Marshal(identity.Claims{Issuer: testIssuer, Subject: sub, Audience: []string{identity.InternalAudience},
		IssuedAt: now, Expiry: now.Add(5 * time.Minute), ID: "jti-" + sub, Kind: kind, Staff: staff, CredentialID: "ses_1"})
	if err != nil {
		tb.Fatalf("claims: %v", err)
	}
	jws, err := e.signer.Sign(payload)
	if err != nil {
		tb.Fatalf("sign: %v", err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		tb.Fatalf("serialize: %v", err)
	}
	return s
}

func (e *env) user(tb testing.TB, sub string) string {
	return e.token(tb, sub, identity.KindUser, false)
}
func (e *env) staff(tb testing.TB, sub string) string {
	return e.token(tb, sub, identity.KindUser, true)
}

func (e *env) workloadToken(tb testing.TB, caller string) string {
	tb.Helper()
	tok, _, err := e.workload.Mint(caller, workload.Accounts)
	if err != nil {
		tb.Fatalf("mint: %v", err)
	}
	return tok
}

// response is an answer with its decoded JSON body.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request with token (none when empty) and body (JSON when not
// empty).
func (e *env) do(tb testing.TB, method, path, token, body string) response {
	tb.Helper()
	return e.doWith(tb, method, path, token, body, nil)
}

// doWith is do with extra request headers. It checks the answer against
// api/accounts.yaml.
func (e *env) doWith(tb testing.TB, method, path, token, body string, header http.Header) response {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequestWithContext(tb.Context(), method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	_, pattern := e.h.mux.Handler(req)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if pattern != "" {
		_, route, _ := strings.Cut(pattern, " ")
		e.api.CheckResponse(tb, method, route, rec.Code, rec.Header(), rec.Body.Bytes())
	}
	res := response{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &res.body); err != nil {
			tb.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, rec.Body.String(), err)
		}
	}
	return res
}

func wantStatus(tb testing.TB, what string, r response, want int) {
	tb.Helper()
	if r.status != want {
		tb.Fatalf("%s: got status %d, want %d; body %s", what, r.status, want, r.raw)
	}
}

// mustOrg creates an organization owned by owner and returns its ID.
func (e *env) mustOrg(tb testing.TB, slug, owner string) string {
	tb.Helper()
	r := e.do(tb, "POST", "/v1/orgs", e.staff(tb, "staff1"),
		`{"name":"Org `+slug+`","slug":"`+slug+`","plan":{"name":"starter"},"owner":"`+owner+`"}`)
	wantStatus(tb, "create org", r, http.StatusCreated)
	return r.body["id"].(string)
}
