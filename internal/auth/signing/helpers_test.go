package signing_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth/authstore"
	"github.com/portico-gw/portico/internal/auth/signing"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/sqldb"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

const testIssuer = "https://auth.portico.test"

// t0 has nanoseconds on purpose: stores keep microseconds.
var t0 = time.Date(2026, 6, 1, 12, 0, 0, 123456789, time.UTC)

// clock is a settable time source shared by managers and verifiers.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func mustKEK(tb testing.TB) []byte {
	tb.Helper()
	kek := make([]byte, signing.KEKSize)
	_, _ = rand.Read(kek)
	return kek
}

func mustOpenKeyStore(tb testing.TB, db *sqldb.DB) *authstore.Store {
	tb.Helper()
	s, err := authstore.Open(tb.Context(), db)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	return s
}

// mustSQLiteStore returns a store on a fresh SQLite database.
func mustSQLiteStore(tb testing.TB) *authstore.Store {
	tb.Helper()
	return mustOpenKeyStore(tb, sqldbtest.Backends(tb)[0].Open(tb))
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testOptions(clk *clock) signing.Options {
	return signing.Options{Issuer: testIssuer, Now: clk.Now, Logger: quietLogger()}
}

func mustManager(tb testing.TB, store signing.KeyStore, kek []byte, o signing.Options) *signing.Manager {
	tb.Helper()
	m, err := signing.New(tb.Context(), store, kek, o)
	if err != nil {
		tb.Fatalf("new manager: %v", err)
	}
	return m
}

// countingServer serves h and counts the requests to it.
type countingServer struct {
	*httptest.Server
	hits atomic.Int64
}

func newCountingServer(tb testing.TB, h http.Handler) *countingServer {
	tb.Helper()
	s := &countingServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(s.Close)
	return s
}

// mustVerifier returns a verifier of tokTyp tokens for audience that reads
// the key set at jwksURL with the clock's time.
func mustVerifier(tb testing.TB, jwksURL string, clk *clock, audience, tokTyp string) *identity.Verifier {
	tb.Helper()
	keys, err := identity.NewJWKS(identity.JWKSOptions{URL: jwksURL, Now: clk.Now, RefetchInterval: 10 * time.Second})
	if err != nil {
		tb.Fatalf("new jwks: %v", err)
	}
	v, err := identity.NewVerifier(identity.VerifierOptions{
		Keys: keys, Issuer: testIssuer, Audience: audience, Types: []string{tokTyp}, Now: clk.Now,
	})
	if err != nil {
		tb.Fatalf("new verifier: %v", err)
	}
	return v
}

func internalClaims() identity.Claims {
	return identity.Claims{
		Subject: "usr_01JDQ0N4Y3T2ZB8VJX6K9M4R7P", Kind: identity.KindUser,
		Orgs:   []identity.OrgRole{{ID: "org_acme", Role: "admin"}, {ID: "org_beta", Role: "viewer"}},
		Scopes: []string{"configs:read"}, CredentialID: "ses_01JDQ0N4Y3T2ZB8VJX6K9M4R7P",
	}
}

func mustIssueInternal(tb testing.TB, m *signing.Manager) string {
	tb.Helper()
	tok, err := m.IssueInternalToken(tb.Context(), internalClaims(), 0)
	if err != nil {
		tb.Fatalf("issue internal token: %v", err)
	}
	return tok
}

// tokenHeader decodes a token's protected header.
func tokenHeader(tb testing.TB, tok string) map[string]any {
	tb.Helper()
	seg, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		tb.Fatalf("decode header: %v", err)
	}
	var h map[string]any
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&h); err != nil {
		tb.Fatalf("decode header: %v", err)
	}
	return h
}

func tokenKID(tb testing.TB, tok string) string {
	tb.Helper()
	kid, _ := tokenHeader(tb, tok)["kid"].(string)
	return kid
}

// jwksKIDs fetches the key set at url and returns its kids.
func jwksKIDs(tb testing.TB, url string) []string {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatalf("get jwks: %v", err)
	}
	defer resp.Body.Close()
	var doc struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		tb.Fatalf("decode jwks: %v", err)
	}
	kids := make([]string, len(doc.Keys))
	for i, k := range doc.Keys {
		kids[i] = k.KID
	}
	return kids
}
