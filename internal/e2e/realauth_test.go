package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authhttp"
	"github.com/portico-gw/portico/internal/auth/authstore"
	"github.com/portico-gw/portico/internal/auth/authtest"
	"github.com/portico-gw/portico/internal/auth/signing"
	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/sqldb"
	"github.com/portico-gw/portico/internal/platform/workload"
)

const (
	testPassword = "correct horse battery staple"
	// testIssuer is the real auth's issuer, the iss of its tokens.
	testIssuer = "https://portico.test"
	// sessionCookie is the cookie auth sets at login and the gateway reads.
	sessionCookie = authn.DefaultCookieName
)

// realAuth is a real auth service, assembled as portico auth assembles it
// (SQLite store, signing manager publishing its JWKS, HTTP handler whose
// internal endpoints admit only the gateway's workload token), on a
// loopback httptest server.
type realAuth struct {
	url string
	svc *auth.Service
	dir *auth.StaticDirectory
	// now is auth's clock: auth.Options.Now, or time.Now.
	now func() time.Time
	// workload is the issuer of workload tokens auth trusts.
	workload *workload.Issuer
	// keys are the signing manager's own, as a service in process would
	// verify internal tokens with.
	keys identity.KeySource
	// exchanges counts the requests that reached the exchange endpoint.
	exchanges atomic.Int64
}

// mustRealAuth starts a real auth with ao; ao.Now, when set, is the clock
// of the service and of its signing manager, otherwise both run on the
// wall clock.
func mustRealAuth(tb testing.TB, ao auth.Options) *realAuth {
	tb.Helper()
	ctx := tb.Context()
	db, err := sqldb.Open(ctx, "sqlite:"+filepath.Join(tb.TempDir(), "auth.db"), sqldb.Options{})
	mustNoErr(tb, "open database", err)
	tb.Cleanup(func() { db.Close() })
	store, err := authstore.Open(ctx, db)
	mustNoErr(tb, "open store", err)
	kek := make([]byte, 32)
	rand.Read(kek)
	discard := slog.New(slog.DiscardHandler)
	if ao.Now == nil {
		ao.Now = time.Now
	}
	mgr, err := signing.New(ctx, store, kek, signing.Options{Issuer: testIssuer, Now: ao.Now, Logger: discard})
	mustNoErr(tb, "signing manager", err)
	issuer, err := signing.NewAuthIssuer(mgr, "")
	mustNoErr(tb, "auth issuer", err)
	wi, err := workload.NewIssuer(workload.IssuerOptions{URL: "http://workload.portico.test"})
	mustNoErr(tb, "workload issuer", err)
	guard, err := workload.NewGuard(workload.GuardOptions{Name: workload.Auth, Issuer: wi.URL(), Keys: wi.Keys(), Logger: discard})
	mustNoErr(tb, "workload guard", err)
	a := &realAuth{dir: auth.NewStaticDirectory(), now: ao.Now, workload: wi, keys: mgr}
	ao.Hasher, ao.Logger = authtest.FastHasher(), discard
	a.svc = auth.NewService(store, issuer, a.dir, ao)
	h := authhttp.NewHandler(a.svc, authhttp.Options{
		Logger: discard, Workload: guard, JWKS: mgr.JWKSHandler(), Issuer: testIssuer, Keys: mgr,
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == authn.ExchangePath {
			a.exchanges.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

// workloadToken returns the gateway's workload tokens toward a.
func (a *realAuth) workloadToken() workload.TokenSource {
	return a.workload.Source(workload.Gateway, workload.Auth)
}

// verifier checks internal tokens as a service behind the gateway does.
func (a *realAuth) verifier(tb testing.TB) *identity.Verifier {
	tb.Helper()
	v, err := identity.NewVerifier(identity.VerifierOptions{Keys: a.keys, Issuer: testIssuer, Audience: identity.InternalAudience})
	mustNoErr(tb, "verifier", err)
	return v
}

// mustExchanger returns an Exchanger toward a on a's clock, verifying
// tokens against a's JWKS and presenting the gateway's workload token,
// unless o names others.
func (a *realAuth) mustExchanger(tb testing.TB, o authn.Options) *authn.Exchanger {
	tb.Helper()
	o.AuthURL, o.Issuer = a.url, testIssuer
	if o.Now == nil {
		o.Now = a.now
	}
	if o.Keys == nil {
		keys, err := identity.NewJWKS(identity.JWKSOptions{URL: a.url + "/.well-known/jwks.json", Now: o.Now})
		mustNoErr(tb, "jwks", err)
		o.Keys = keys
	}
	if o.WorkloadToken == nil {
		o.WorkloadToken = a.workloadToken()
	}
	x, err := authn.New(o)
	mustNoErr(tb, "new exchanger", err)
	return x
}

// mustSession creates an identity with memberships ms, staff or not,
// signs it in over HTTP and returns its session cookie as a credential,
// and its identity ID.
func (a *realAuth) mustSession(tb testing.TB, email string, staff bool, ms ...auth.Membership) (authn.Credential, string) {
	tb.Helper()
	id, err := a.svc.CreateIdentity(tb.Context(), email, testPassword)
	mustNoErr(tb, "create identity", err)
	a.dir.SetMemberships(id.ID, ms...)
	a.dir.SetStaff(id.ID, staff)
	resp := a.do(tb, "POST", "/v1/login", nil, map[string]string{"email": email, "password": testPassword})
	wantStatus(tb, "login", resp, http.StatusOK)
	for _, c := range resp.cookies {
		if c.Name == sessionCookie && c.Value != "" {
			return authn.Credential{Kind: authn.KindSession, Value: c.Value}, id.ID
		}
	}
	tb.Fatalf("login: got cookies %v, want %s", resp.cookies, sessionCookie)
	return authn.Credential{}, ""
}

// mustAPIKey creates an API key of org on behalf of session, which must
// administer org.
func (a *realAuth) mustAPIKey(tb testing.TB, session authn.Credential, org string) authn.Credential {
	tb.Helper()
	resp := a.do(tb, "POST", "/v1/orgs/"+org+"/api-keys", &session, map[string]any{"name": "ci"})
	wantStatus(tb, "create api key", resp, http.StatusCreated)
	var k struct {
		Key string `json:"key"`
	}
	mustNoErr(tb, "decode api key", json.Unmarshal(resp.body, &k))
	return authn.Credential{Kind: authn.KindAPIKey, Value: k.Key}
}

// mustLogout ends session in auth.
func (a *realAuth) mustLogout(tb testing.TB, session authn.Credential) {
	tb.Helper()
	wantStatus(tb, "logout", a.do(tb, "POST", "/v1/logout", &session, nil), http.StatusNoContent)
}

type response struct {
	status  int
	cookies []*http.Cookie
	body    []byte
}

// do sends a request to auth's public API, on behalf of session when it
// is not nil: with the internal token the gateway would forward for it,
// exchanged in process so that the exchange counter does not see it.
func (a *realAuth) do(tb testing.TB, method, path string, session *authn.Credential, body any) response {
	tb.Helper()
	var rd io.Reader = http.NoBody
	if body != nil {
		raw, err := json.Marshal(body)
		mustNoErr(tb, "encode", err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(tb.Context(), method, a.url+path, rd)
	mustNoErr(tb, "new request", err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(authhttp.CSRFHeader, "1")
	if session != nil {
		ex, err := a.svc.Exchange(tb.Context(), session.Value, string(session.Kind))
		mustNoErr(tb, "exchange in process", err)
		req.Header.Set("Authorization", "Bearer "+ex.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	mustNoErr(tb, method+" "+path, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	mustNoErr(tb, "read body", err)
	return response{status: resp.StatusCode, cookies: resp.Cookies(), body: raw}
}

// wantExchanges checks how many requests reached auth's exchange.
func (a *realAuth) wantExchanges(tb testing.TB, what string, want int64) {
	tb.Helper()
	if got := a.exchanges.Load(); got != want {
		tb.Errorf("%s: got %d exchanges at auth, want %d", what, got, want)
	}
}

func mustNoErr(tb testing.TB, what string, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

func wantStatus(tb testing.TB, what string, r response, want int) {
	tb.Helper()
	if r.status != want {
		tb.Fatalf("%s: got status %d, want %d; body %s", what, r.status, want, r.body)
	}
}

// alteredKey returns key with its last character changed: a key auth
// never issued, whatever the last character was.
func alteredKey(key string) string {
	last := "x"
	if strings.HasSuffix(key, last) {
		last = "y"
	}
	return key[:len(key)-1] + last
}
