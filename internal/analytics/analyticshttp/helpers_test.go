package analyticshttp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/analytics/analyticsstore"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/openapitest"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

const testIssuer = "https://auth.portico.test"

// Organizations, integrations and delivery keys of the tests.
const (
	orgA = "org_acme"
	orgB = "org_other"

	intA1 = "int_a1"
	intA2 = "int_a2"
	intB1 = "int_b1"

	keyA1       = "dk_aaaaaaaaaaaaaaaaaaa1"
	keyA2       = "dk_aaaaaaaaaaaaaaaaaaa2"
	keyDisabled = "dk_aaaaaaaaaaaaaaaaaaa3"
	keyB1       = "dk_bbbbbbbbbbbbbbbbbbb1"
	keyUnknown  = "dk_zzzzzzzzzzzzzzzzzzzz"

	allowedOrigin = "https://www.example.com"
	appBundleID   = "com.example.player"
)

// testNow is the clock of every test: the Service's and the Handler's.
var testNow = time.Date(2026, 3, 10, 12, 30, 0, 0, time.UTC)

// fakeResolver stands in for the configs service: delivery keys to
// integrations; while unavailable is set, every lookup fails as the
// HTTPKeyResolver's do when configs does not answer.
type fakeResolver struct {
	mu          sync.Mutex
	unavailable bool
	keys        map[string]analytics.Integration
}

func newFakeResolver() *fakeResolver {
	return &fakeResolver{keys: map[string]analytics.Integration{
		keyA1:       {ID: intA1, OrgID: orgA, Status: analytics.StatusActive, Domains: []string{"example.com"}, BundleIDs: []string{appBundleID}},
		keyA2:       {ID: intA2, OrgID: orgA, Status: analytics.StatusBypassed, Domains: []string{"*.example.net"}},
		keyDisabled: {ID: "int_a3", OrgID: orgA, Status: analytics.StatusDisabled, Domains: []string{"example.com"}},
		keyB1:       {ID: intB1, OrgID: orgB, Status: analytics.StatusActive, Domains: []string{"other.example"}},
	}}
}

func (f *fakeResolver) Resolve(_ context.Context, key string) (analytics.Integration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.unavailable {
		return analytics.Integration{}, fmt.Errorf("delivery key lookup: connection refused: %w", analytics.ErrResolverUnavailable)
	}
	in, ok := f.keys[key]
	if !ok {
		return analytics.Integration{}, &analytics.Error{Code: analytics.ErrNotFound, Reason: analytics.ReasonUnknownKey,
			Message: "no integration has this delivery key", Err: analytics.ErrUnknownKey}
	}
	return in, nil
}

func (f *fakeResolver) setUnavailable(v bool) {
	f.mu.Lock()
	f.unavailable = v
	f.mu.Unlock()
}

// env is a Handler over a real analytics.Service on a real SQLite store,
// with a fake resolver (unless newEnvResolving was given another) and a
// signer of internal tokens its verifier
// trusts. Every response of send is checked against api/analytics.yaml.
type env struct {
	svc      *analytics.Service
	h        *Handler
	resolver *fakeResolver
	signer   jose.Signer
	api      *openapitest.Doc
}

func newEnv(tb testing.TB, o Options) *env {
	tb.Helper()
	res := newFakeResolver()
	e := newEnvResolving(tb, o, res)
	e.resolver = res
	return e
}

// newEnvResolving returns an env whose Service resolves delivery keys
// with resolver.
func newEnvResolving(tb testing.TB, o Options, resolver analytics.KeyResolver) *env {
	tb.Helper()
	return newEnvStore(tb, o, resolver, func(s analytics.Store) analytics.Store { return s })
}

// newEnvStore is newEnvResolving whose Service writes to wrap's store
// over the real one.
func newEnvStore(tb testing.TB, o Options, resolver analytics.KeyResolver, wrap func(analytics.Store) analytics.Store) *env {
	tb.Helper()
	real, err := analyticsstore.Open(tb.Context(), sqldbtest.Backends(tb)[0].Open(tb))
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	store := wrap(real)
	clock := func() time.Time { return testNow }
	svc := analytics.NewService(store, resolver, analytics.WithClock(clock), analytics.WithLogger(slog.New(slog.DiscardHandler)))
	o.Now = clock
	h, signer := newSignedHandler(tb, svc, o)
	return &env{svc: svc, h: h, signer: signer, api: loadOpenAPI(tb)}
}

// newSignedHandler returns a Handler of svc with o, whose verifier
// trusts a new key, and the signer of internal tokens with that key.
func newSignedHandler(tb testing.TB, svc *analytics.Service, o Options) (*Handler, jose.Signer) {
	tb.Helper()
	discard := slog.New(slog.DiscardHandler)
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
	o.Verifier, o.Logger = v, discard
	h, err := NewHandler(svc, o)
	if err != nil {
		tb.Fatalf("handler: %v", err)
	}
	return h, signer
}

// sign returns an internal token of c, completed with the registered
// claims. The verifier reads the real clock, so the token's times are
// real ones.
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
func (e *env) member(tb testing.TB, sub, org, role string) string {
	return e.sign(tb, identity.Claims{Subject: sub, Kind: identity.KindUser, CredentialID: "ses_" + sub,
		Orgs: []identity.OrgRole{{ID: org, Role: role}}})
}

func (e *env) viewer(tb testing.TB) string { return e.member(tb, "viewer1", orgA, "viewer") }

// staff returns the token of a staff member of no customer organization.
func (e *env) staff(tb testing.TB) string {
	return e.sign(tb, identity.Claims{Subject: "staff1", Kind: identity.KindUser, Staff: true, CredentialID: "ses_staff1"})
}

// machine returns the token of an API key of org with scopes.
func (e *env) machine(tb testing.TB, org string, scopes ...string) string {
	return e.sign(tb, identity.Claims{Subject: "key_1", Kind: identity.KindAPIKey, CredentialID: "key_1",
		Orgs: []identity.OrgRole{{ID: org, Role: "scoped"}}, Scopes: scopes})
}

// response is an answer with its decoded JSON body.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// req is a request of a test. A body is sent as application/json unless
// header sets Content-Type.
type req struct {
	method, path, token, body string
	header                    map[string]string
	chunked                   bool // no Content-Length
}

// send serves r and checks the answer against the API description.
func (e *env) send(tb testing.TB, r req) response {
	tb.Helper()
	var rd io.Reader
	if r.body != "" {
		rd = strings.NewReader(r.body)
		if r.chunked {
			rd = io.MultiReader(rd) // hides the length from httptest
		}
	}
	hr := httptest.NewRequestWithContext(tb.Context(), r.method, r.path, rd)
	if r.chunked {
		hr.ContentLength = -1
	}
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, hr)
	return e.check(tb, hr, rec)
}

// check decodes rec's answer to hr and checks it against the document.
func (e *env) check(tb testing.TB, hr *http.Request, rec *httptest.ResponseRecorder) response {
	tb.Helper()
	res := response{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &res.body); err != nil {
			tb.Fatalf("%s %s: body %q is not a JSON object: %v", hr.Method, hr.URL, rec.Body.String(), err)
		}
	}
	if _, pattern := e.h.mux.Handler(hr); pattern != "" {
		_, path, _ := strings.Cut(pattern, " ")
		e.api.CheckResponse(tb, hr.Method, path, rec.Code, rec.Header(), rec.Body.Bytes())
	}
	return res
}

// get sends a GET with token (none when empty).
func (e *env) get(tb testing.TB, path, token string) response {
	tb.Helper()
	return e.send(tb, req{method: "GET", path: path, token: token})
}

// post sends a batch with key from origin ("" for none).
func (e *env) post(tb testing.TB, key, origin, body string) response {
	tb.Helper()
	hd := map[string]string{DeliveryKeyHeader: key}
	if origin != "" {
		hd["Origin"] = origin
	}
	return e.send(tb, req{method: "POST", path: "/v1/beacons", body: body, header: hd})
}

func wantStatus(tb testing.TB, what string, r response, want int) {
	tb.Helper()
	if r.status != want {
		tb.Fatalf("%s: got status %d, want %d; body %s", what, r.status, want, r.raw)
	}
}

// wantProblem checks a problem's status, type slug and reason ("" for
// none).
func wantProblem(tb testing.TB, what string, r response, status int, slug, reason string) {
	tb.Helper()
	wantStatus(tb, what, r, status)
	if got := r.body["type"]; got != "https://portico.dev/problems/"+slug {
		tb.Errorf("%s: got type %v, want %s", what, got, slug)
	}
	if got, _ := r.body["reason"].(string); got != reason {
		tb.Errorf("%s: got reason %q, want %q", what, got, reason)
	}
}

// pointers returns the pointers of the list under name ("errors" or
// "refused") of an answer.
func pointers(r response, name string) []string {
	var out []string
	list, _ := r.body[name].([]any)
	for _, it := range list {
		out = append(out, it.(map[string]any)["pointer"].(string))
	}
	return out
}

// beacon is one beacon of a test batch: session s, sequence seq, event
// time at, a megabyte over the CDN and three over P2P, ten seconds
// played; extra members are appended as they are (",\"platform\":...").
// raw, when set, is the whole beacon instead.
type beacon struct {
	session string
	seq     int
	at      time.Time
	extra   string
	raw     string
}

func (b beacon) json() string {
	if b.raw != "" {
		return b.raw
	}
	platform := `,"platform":"web"`
	if strings.Contains(b.extra, `"platform"`) {
		platform = ""
	}
	return fmt.Sprintf(`{"session_id":%q,"seq":%d,"time":%d,"content_id":"movie-1","stream_type":"vod"%s,`+
		`"cdn_bytes":1000000,"p2p_bytes":3000000,"played_ms":10000,"buffered_ms":0%s}`,
		b.session, b.seq, b.at.UnixMilli(), platform, b.extra)
}

// batch returns the batch document of bs.
func batch(bs ...beacon) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = b.json()
	}
	return `{"beacons":[` + strings.Join(parts, ",") + `]}`
}
