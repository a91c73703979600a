package configshttp

import (
	"bytes"
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

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/configs/configsstore"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/openapitest"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
	"github.com/portico-gw/portico/internal/platform/workload"
)

const testIssuer = "https://auth.portico.test"

// Organizations of the tests.
const (
	orgA = "org_acme"
	orgB = "org_other"
)

// env is a Handler on a real SQLite store, a signer of internal tokens its
// verifier trusts, and a workload issuer its guard trusts. Every response
// of do is checked against api/configs.yaml.
type env struct {
	store    *configsstore.Store
	svc      *configs.Service
	h        *Handler
	signer   jose.Signer
	workload *workload.Issuer
	api      *openapitest.Doc
}

func newEnv(tb testing.TB, o Options, opts ...configs.Option) *env {
	tb.Helper()
	store, err := configsstore.Open(tb.Context(), sqldbtest.Backends(tb)[0].Open(tb))
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	discard := slog.New(slog.DiscardHandler)
	svc := configs.NewService(store, append([]configs.Option{configs.WithLogger(discard)}, opts...)...)
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
	g, err := workload.NewGuard(workload.GuardOptions{Name: workload.Configs, Issuer: wi.URL(), Keys: wi.Keys(), Logger: discard})
	if err != nil {
		tb.Fatalf("guard: %v", err)
	}
	o.Verifier, o.Workload, o.Logger = v, g, discard
	h, err := NewHandler(svc, o)
	if err != nil {
		tb.Fatalf("handler: %v", err)
	}
	if err := h.Load(tb.Context()); err != nil {
		tb.Fatalf("load: %v", err)
	}
	return &env{store: store, svc: svc, h: h, signer: signer, workload: wi, api: loadOpenAPI(tb)}
}

// sign returns an internal token of c, completed with the registered
// claims.
func (e *env) sign(tb testing.TB, c identity.Claims) string {
	tb.Helper()
	now := time.Now().Truncate(time.Second)
	c.Issuer, c.Audience, c.IssuedAt, c.Expiry, c.ID = testIssuer, []string{identity.InternalAudience}, now, now.Add(5*time.Minute), "jti-"+c.Subject
	payload, err := json.Marshal(c)
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

// member returns the token of a person with role in org.
func (e *env) member(tb testing.TB, sub, org string, role configs.Role) string {
	return e.sign(tb, identity.Claims{Subject: sub, Kind: identity.KindUser, CredentialID: "ses_" + sub,
		Orgs: []identity.OrgRole{{ID: org, Role: string(role)}}})
}

func (e *env) owner(tb testing.TB) string  { return e.member(tb, "owner1", orgA, configs.RoleOwner) }
func (e *env) admin(tb testing.TB) string  { return e.member(tb, "admin1", orgA, configs.RoleAdmin) }
func (e *env) editor(tb testing.TB) string { return e.member(tb, "editor1", orgA, configs.RoleEditor) }
func (e *env) viewer(tb testing.TB) string { return e.member(tb, "viewer1", orgA, configs.RoleViewer) }

// staff returns the token of a staff member of no customer organization.
func (e *env) staff(tb testing.TB) string {
	return e.sign(tb, identity.Claims{Subject: "staff1", Kind: identity.KindUser, Staff: true, CredentialID: "ses_staff1"})
}

// machine returns the token of an API key of org with scopes.
func (e *env) machine(tb testing.TB, org string, scopes ...string) string {
	return e.sign(tb, identity.Claims{Subject: "key_1", Kind: identity.KindAPIKey, CredentialID: "key_1",
		Orgs: []identity.OrgRole{{ID: org, Role: string(configs.RoleScoped)}}, Scopes: scopes})
}

func (e *env) workloadToken(tb testing.TB, caller string) string {
	tb.Helper()
	tok, _, err := e.workload.Mint(caller, workload.Configs)
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

// req is a request of a test.
type req struct {
	method, path, token, body string
	header                    map[string]string
}

// send serves r and checks the answer against the API description.
func (e *env) send(tb testing.TB, r req) response {
	tb.Helper()
	var rd io.Reader
	if r.body != "" {
		rd = strings.NewReader(r.body)
	}
	hr := httptest.NewRequestWithContext(tb.Context(), r.method, r.path, rd)
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	_, pattern := e.h.mux.Handler(hr)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, hr)
	res := response{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &res.body); err != nil {
			tb.Fatalf("%s %s: body %q is not a JSON object: %v", r.method, r.path, rec.Body.String(), err)
		}
	}
	if pattern != "" {
		_, path, _ := strings.Cut(pattern, " ")
		e.api.CheckResponse(tb, hr.Method, path, rec.Code, rec.Header(), rec.Body.Bytes())
	}
	return res
}

// do sends a request with token (none when empty) and body (JSON when not
// empty).
func (e *env) do(tb testing.TB, method, path, token, body string) response {
	tb.Helper()
	return e.send(tb, req{method: method, path: path, token: token, body: body})
}

func wantStatus(tb testing.TB, what string, r response, want int) {
	tb.Helper()
	if r.status != want {
		tb.Fatalf("%s: got status %d, want %d; body %s", what, r.status, want, r.raw)
	}
}

// wantProblem checks a problem's status and type slug.
func wantProblem(tb testing.TB, what string, r response, status int, slug string) {
	tb.Helper()
	wantStatus(tb, what, r, status)
	if got := r.body["type"]; got != "https://portico.dev/problems/"+slug {
		tb.Errorf("%s: got type %v, want %s", what, got, slug)
	}
}

// pointers returns the pointers of a problem's errors extension.
func pointers(r response) []string {
	var out []string
	errs, _ := r.body["errors"].([]any)
	for _, fe := range errs {
		out = append(out, fe.(map[string]any)["pointer"].(string))
	}
	return out
}

// integrationsPath is the collection of org's integrations.
func integrationsPath(org string) string { return "/v1/orgs/" + org + "/integrations" }

// mustIntegration creates an integration of orgA allowing example.com,
// *.cdn.example.net and the app com.example.player, and returns its ID
// and delivery key.
func (e *env) mustIntegration(tb testing.TB, name string) (id, key string) {
	tb.Helper()
	r := e.do(tb, "POST", integrationsPath(orgA), e.admin(tb),
		`{"name":"`+name+`","environment":"production","domains":["example.com","*.cdn.example.net"],"bundle_ids":["com.example.player"]}`)
	wantStatus(tb, "create integration", r, http.StatusCreated)
	return r.body["id"].(string), r.body["delivery_key"].(string)
}

func compact(tb testing.TB, s string) string {
	tb.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		tb.Fatalf("compact %q: %v", s, err)
	}
	return b.String()
}
