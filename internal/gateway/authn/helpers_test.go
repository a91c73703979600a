package authn_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authhttp"
	"github.com/portico-gw/portico/internal/auth/authstore"
	"github.com/portico-gw/portico/internal/auth/authtest"
	"github.com/portico-gw/portico/internal/auth/signing"
	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

const (
	testPassword = "correct horse battery staple"
	testOrg      = "org_acme"
)

// t0 is the start of every test clock.
var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

// authServer is a real auth service, assembled as portico auth assembles
// it (SQLite store, signing manager, HTTP handler), on a loopback
// httptest server. Its clock is shared with the exchangers under test.
type authServer struct {
	url   string
	svc   *auth.Service
	dir   *auth.StaticDirectory
	clock *authtest.Clock
	// exchanges counts the requests that reached the exchange endpoint.
	exchanges atomic.Int64
	// gate, when set, holds exchange requests until it is closed.
	gate atomic.Pointer[chan struct{}]
}

func newAuthServer(tb testing.TB, ao auth.Options) *authServer {
	tb.Helper()
	return newAuthServerAt(tb, ao, t0)
}

// newAuthServerAt is newAuthServer with its clock at start.
func newAuthServerAt(tb testing.TB, ao auth.Options, start time.Time) *authServer {
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
	clock := authtest.NewClock(start)
	mgr, err := signing.New(ctx, store, kek, signing.Options{Issuer: "https://portico.test", Now: clock.Now, Logger: discard})
	mustNoErr(tb, "signing manager", err)
	issuer, err := signing.NewAuthIssuer(mgr, "")
	mustNoErr(tb, "auth issuer", err)
	a := &authServer{dir: auth.NewStaticDirectory(), clock: clock}
	ao.Now, ao.Hasher, ao.Logger = clock.Now, authtest.FastHasher(), discard
	a.svc = auth.NewService(store, issuer, a.dir, ao)
	h := authhttp.NewHandler(a.svc, authhttp.Options{Logger: discard})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == authn.ExchangePath {
			a.exchanges.Add(1)
			if g := a.gate.Load(); g != nil {
				<-*g
			}
		}
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

// hold makes exchange requests wait until the returned function runs.
func (a *authServer) hold(tb testing.TB) (release func()) {
	tb.Helper()
	g := make(chan struct{})
	a.gate.Store(&g)
	var once sync.Once
	release = func() { once.Do(func() { a.gate.Store(nil); close(g) }) }
	tb.Cleanup(release)
	return release
}

// mustExchanger returns an Exchanger toward a on a's clock, unless o
// names other ones.
func (a *authServer) mustExchanger(tb testing.TB, o authn.Options) *authn.Exchanger {
	tb.Helper()
	if o.AuthURL == "" {
		o.AuthURL = a.url
	}
	if o.Now == nil {
		o.Now = a.clock.Now
	}
	x, err := authn.New(o)
	mustNoErr(tb, "new exchanger", err)
	return x
}

// mustSession creates an identity that administers testOrg, signs it in
// over HTTP and returns its session cookie as a credential.
func (a *authServer) mustSession(tb testing.TB, email string) authn.Credential {
	tb.Helper()
	id, err := a.svc.CreateIdentity(tb.Context(), email, testPassword)
	mustNoErr(tb, "create identity", err)
	a.dir.SetMemberships(id.ID, auth.Membership{OrgID: testOrg, Role: auth.RoleAdmin})
	resp := a.do(tb, "POST", "/v1/login", nil, map[string]string{"email": email, "password": testPassword})
	wantStatus(tb, "login", resp, http.StatusOK)
	for _, c := range resp.cookies {
		if c.Name == authn.DefaultCookieName && c.Value != "" {
			return authn.Credential{Kind: authn.KindSession, Value: c.Value}
		}
	}
	tb.Fatalf("login: got cookies %v, want %s", resp.cookies, authn.DefaultCookieName)
	return authn.Credential{}
}

// mustAPIKey creates an API key of testOrg with session's rights.
func (a *authServer) mustAPIKey(tb testing.TB, session authn.Credential) authn.Credential {
	tb.Helper()
	resp := a.do(tb, "POST", "/v1/orgs/"+testOrg+"/api-keys", &session, map[string]any{"name": "ci"})
	wantStatus(tb, "create api key", resp, http.StatusCreated)
	var k struct {
		Key string `json:"key"`
	}
	mustNoErr(tb, "decode api key", json.Unmarshal(resp.body, &k))
	return authn.Credential{Kind: authn.KindAPIKey, Value: k.Key}
}

// mustLogout ends session in auth.
func (a *authServer) mustLogout(tb testing.TB, session authn.Credential) {
	tb.Helper()
	wantStatus(tb, "logout", a.do(tb, "POST", "/v1/logout", &session, nil), http.StatusNoContent)
}

type response struct {
	status  int
	cookies []*http.Cookie
	body    []byte
}

// do sends a request to auth's public API, with session as the cookie
// when it is not nil.
func (a *authServer) do(tb testing.TB, method, path string, session *authn.Credential, body any) response {
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
		req.AddCookie(&http.Cookie{Name: authn.DefaultCookieName, Value: session.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	mustNoErr(tb, method+" "+path, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	mustNoErr(tb, "read body", err)
	return response{status: resp.StatusCode, cookies: resp.Cookies(), body: raw}
}

// counter counts Exchange outcomes, for Options.Observe.
type counter struct {
	mu sync.Mutex
	n  map[authn.Outcome]int
	// changed is signalled, without blocking, on every outcome.
	changed chan struct{}
}

func newCounter() *counter {
	return &counter{n: map[authn.Outcome]int{}, changed: make(chan struct{}, 1)}
}

func (c *counter) observe(o authn.Outcome) {
	c.mu.Lock()
	c.n[o]++
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *counter) get(o authn.Outcome) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[o]
}

// waitFor waits until cond holds; it is re-checked after every outcome.
func (c *counter) waitFor(tb testing.TB, cond func() bool) {
	tb.Helper()
	for !cond() {
		select {
		case <-c.changed:
		case <-tb.Context().Done():
			tb.Fatal("test ended while waiting for exchanges")
		}
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

// mustExchange exchanges c and fails the test on an error.
func mustExchange(tb testing.TB, x *authn.Exchanger, c authn.Credential) authn.Result {
	tb.Helper()
	res, err := x.Exchange(tb.Context(), c)
	mustNoErr(tb, "exchange "+string(c.Kind), err)
	return res
}

// wantErr checks that err is target and that Status maps it to status.
func wantErr(tb testing.TB, what string, err, target error, status int) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Errorf("%s: got error %v, want %v", what, err, target)
	}
	if got := authn.Status(err); got != status {
		tb.Errorf("%s: got status %d, want %d", what, got, status)
	}
}

// wantExchanges checks how many requests reached auth's exchange.
func (a *authServer) wantExchanges(tb testing.TB, what string, want int64) {
	tb.Helper()
	if got := a.exchanges.Load(); got != want {
		tb.Errorf("%s: got %d exchanges at auth, want %d", what, got, want)
	}
}
