package authhttp

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
	"github.com/portico-gw/portico/internal/platform/workload"
)

const testPassword = "correct horse battery staple"

// workloadIssuerURL names the test's in-process workload issuer.
const workloadIssuerURL = "https://workload.portico.test"

type testServer struct {
	*authtest.Env
	srv  *httptest.Server
	logs *logBuffer
	// wl mints the workload tokens the handler's guard trusts, on wclock.
	wl     *workload.Issuer
	wclock *authtest.Clock
}

// newTestServer serves a Handler over an authtest.Env. Unless o says
// otherwise, the handler verifies internal tokens of the Env's issuer and
// admits internal callers by the tokens of the server's workload issuer.
func newTestServer(tb testing.TB, ao auth.Options, o Options) *testServer {
	tb.Helper()
	env := authtest.NewEnv(tb, ao)
	logs := &logBuffer{}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	if o.Keys == nil && o.Issuer == "" {
		o.Issuer, o.Keys = authtest.IssuerURL, env.Issuer.Keys()
	}
	s := &testServer{Env: env, logs: logs, wclock: authtest.NewClock(time.Now())}
	var err error
	if s.wl, err = workload.NewIssuer(workload.IssuerOptions{URL: workloadIssuerURL, Now: s.wclock.Now}); err != nil {
		tb.Fatalf("workload issuer: %v", err)
	}
	if o.Workload == nil {
		o.Workload = mustGuard(tb, workload.GuardOptions{Name: workload.Auth, Issuer: s.wl.URL(), Keys: s.wl.Keys(),
			Logger: o.Logger, Now: s.wclock.Now})
	}
	s.srv = httptest.NewTLSServer(checked(tb, NewHandler(env.Service, o)))
	tb.Cleanup(s.srv.Close)
	return s
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func mustGuard(tb testing.TB, o workload.GuardOptions) *workload.Guard {
	tb.Helper()
	g, err := workload.NewGuard(o)
	if err != nil {
		tb.Fatalf("workload guard: %v", err)
	}
	return g
}

// logBuffer keeps the server's log lines; its goroutines write while a
// test reads.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// as returns the header that makes a request an internal call of caller,
// with a workload token of the server's issuer.
func (s *testServer) as(tb testing.TB, caller string) []string {
	tb.Helper()
	tok, _, err := s.wl.Mint(caller, workload.Auth)
	if err != nil {
		tb.Fatalf("mint workload token: %v", err)
	}
	return []string{"Authorization", "Bearer " + tok}
}

// caller is a person at a browser behind the gateway: the session cookie
// the browser keeps, which the gateway exchanges for an internal token on
// every request (as a gateway without a cache would) and sends on as
// "Authorization: Bearer". A session the exchange refuses sends no token,
// and the gateway's 401 is the auth service's.
type caller struct {
	session string
	// token is the internal token of the last request.
	token string
}

// bearer returns the Authorization header of c's next request, or nil.
func (s *testServer) bearer(tb testing.TB, c *caller) []string {
	tb.Helper()
	c.token = ""
	if c.session == "" {
		return nil
	}
	ex, err := s.Service.Exchange(tb.Context(), c.session, auth.CredentialSession)
	if err != nil {
		return nil
	}
	c.token = ex.Token
	return []string{"Authorization", "Bearer " + ex.Token}
}

// browser returns a new caller, not signed in.
func (s *testServer) browser(tb testing.TB) *caller { return &caller{} }

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) problemType(tb testing.TB) string {
	tb.Helper()
	var p struct {
		Type string `json:"type"`
	}
	r.json(tb, &p)
	return strings.TrimPrefix(p.Type, "https://portico.dev/problems/")
}

func (r response) detail(tb testing.TB) string {
	tb.Helper()
	var p struct {
		Detail string `json:"detail"`
	}
	r.json(tb, &p)
	return p.Detail
}

func wantStatus(tb testing.TB, what string, r response, want int) {
	tb.Helper()
	if r.status != want {
		tb.Fatalf("%s: got status %d, want %d; body %s", what, r.status, want, r.body)
	}
}

// do sends a request as c (nil: nobody); body is JSON-encoded unless it is
// a string, url.Values or nil. The CSRF header is added; header pairs set
// more, an empty value deleting one, and may replace c's Authorization.
// A session cookie the response sets or clears is kept in c.
func (s *testServer) do(tb testing.TB, c *caller, method, path string, body any, header ...string) response {
	tb.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			tb.Fatalf("encode: %v", err)
		}
		rd, ctype = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequestWithContext(tb.Context(), method, s.srv.URL+path, rd)
	if err != nil {
		tb.Fatalf("new request: %v", err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set(CSRFHeader, "1")
	if c != nil {
		header = append(s.bearer(tb, c), header...)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read body: %v", err)
	}
	if c != nil {
		for _, ck := range resp.Cookies() {
			if ck.Name == s.Service.Options().CookieName {
				c.session = ck.Value
			}
		}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

func (s *testServer) mustIdentity(tb testing.TB, email string) auth.Identity {
	tb.Helper()
	id, err := s.Service.CreateIdentity(tb.Context(), email, testPassword)
	if err != nil {
		tb.Fatalf("create identity: %v", err)
	}
	return id
}

// signedIn returns a caller signed in as a new identity that is admin of
// org.
func (s *testServer) signedIn(tb testing.TB, email, org string) (*caller, auth.Identity) {
	tb.Helper()
	id := s.mustIdentity(tb, email)
	if org != "" {
		s.Dir.SetMemberships(id.ID, auth.Membership{OrgID: org, Role: auth.RoleAdmin})
	}
	b := s.browser(tb)
	r := s.do(tb, b, "POST", "/v1/login", map[string]string{"email": email, "password": testPassword})
	wantStatus(tb, "login", r, http.StatusOK)
	if b.session == "" {
		tb.Fatal("login set no session cookie")
	}
	return b, id
}
