package authhttp

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

const testPassword = "correct horse battery staple"

type testServer struct {
	*authtest.Env
	srv  *httptest.Server
	logs *bytes.Buffer
}

func newTestServer(tb testing.TB, ao auth.Options, o Options) *testServer {
	tb.Helper()
	env := authtest.NewEnv(tb, ao)
	logs := &bytes.Buffer{}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	srv := httptest.NewTLSServer(NewHandler(env.Service, o))
	tb.Cleanup(srv.Close)
	return &testServer{Env: env, srv: srv, logs: logs}
}

// browser returns a client with its own cookie jar, like a browser.
func (s *testServer) browser(tb testing.TB) *http.Client {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatalf("cookie jar: %v", err)
	}
	c := *s.srv.Client()
	c.Jar = jar
	return &c
}

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

func wantStatus(tb testing.TB, what string, r response, want int) {
	tb.Helper()
	if r.status != want {
		tb.Fatalf("%s: got status %d, want %d; body %s", what, r.status, want, r.body)
	}
}

// do sends a request; body is JSON-encoded unless it is a string or nil.
// CSRF headers are added unless csrf is false.
func (s *testServer) do(tb testing.TB, c *http.Client, method, path string, body any, header ...string) response {
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
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	if c == nil {
		c = s.srv.Client()
	}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read body: %v", err)
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

// signedIn returns a browser signed in as a new identity that is admin of
// org.
func (s *testServer) signedIn(tb testing.TB, email, org string) (*http.Client, auth.Identity) {
	tb.Helper()
	id := s.mustIdentity(tb, email)
	if org != "" {
		s.Dir.SetMemberships(id.ID, auth.Membership{OrgID: org, Role: auth.RoleAdmin})
	}
	b := s.browser(tb)
	r := s.do(tb, b, "POST", "/v1/login", map[string]string{"email": email, "password": testPassword})
	wantStatus(tb, "login", r, http.StatusOK)
	return b, id
}
