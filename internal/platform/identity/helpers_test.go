package identity_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portico-gw/portico/internal/platform/identity"
)

const testIssuer = "https://auth.portico.test"

// t0 is the tests' fixed "now".
var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable time source shared by a verifier and its key set.
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

// testKey is a key pair with its public JWK.
type testKey struct {
	priv any
	pub  jose.JSONWebKey
}

func mustKey(tb testing.TB, alg, kid string) testKey {
	tb.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "RS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		tb.Fatalf("mustKey: unknown alg %s", alg)
	}
	if err != nil {
		tb.Fatalf("generate %s key: %v", alg, err)
	}
	return testKey{priv: priv, pub: jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: alg, Use: "sig"}}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("encode: %v", err)
	}
	return b
}

// signRaw signs input with key as alg would, by hand, so tests can sign
// whatever header they like, including ones no library would write.
func signRaw(tb testing.TB, alg string, key any, input string) []byte {
	tb.Helper()
	sum := sha256.Sum256([]byte(input))
	switch alg {
	case "ES256":
		r, s, err := ecdsa.Sign(rand.Reader, key.(*ecdsa.PrivateKey), sum[:])
		if err != nil {
			tb.Fatalf("sign: %v", err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig
	case "EdDSA":
		return ed25519.Sign(key.(ed25519.PrivateKey), []byte(input))
	case "RS256":
		sig, err := rsa.SignPKCS1v15(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, sum[:])
		if err != nil {
			tb.Fatalf("sign: %v", err)
		}
		return sig
	case "HS256":
		m := hmac.New(sha256.New, key.([]byte))
		m.Write([]byte(input))
		return m.Sum(nil)
	case "none":
		return nil
	}
	tb.Fatalf("signRaw: unknown alg %s", alg)
	return nil
}

// mustToken signs claims under header with key, using header["alg"].
func mustToken(tb testing.TB, key any, header, claims map[string]any) string {
	tb.Helper()
	input := b64(mustJSON(tb, header)) + "." + b64(mustJSON(tb, claims))
	alg, ok := header["alg"].(string)
	if !ok {
		alg, _ = header["ALG"].(string) // for headers that misspell it on purpose
	}
	return input + "." + b64(signRaw(tb, alg, key, input))
}

// internalHeader and internalClaims are a valid internal token's parts
// for k at the clock's time.
func internalHeader(k testKey) map[string]any {
	return map[string]any{"alg": k.pub.Algorithm, "kid": k.pub.KeyID, "typ": identity.InternalTokenType}
}

func internalClaims(now time.Time) map[string]any {
	return map[string]any{
		"iss": testIssuer, "sub": "usr_01JDQ0N4Y3T2ZB8VJX6K9M4R7P", "aud": identity.InternalAudience,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": "j1",
		"kind": "user", "orgs": []map[string]string{{"id": "org_acme", "role": "admin"}},
		"scope": "configs:read analytics:read", "staff": false, "sid": "ses_1",
	}
}

// jwksServer serves a key set over HTTP and counts the requests.
type jwksServer struct {
	*httptest.Server
	hits atomic.Int64

	mu     sync.Mutex
	keys   []jose.JSONWebKey
	maxAge int
	fail   bool
}

func newJWKSServer(tb testing.TB, maxAge int, keys ...jose.JSONWebKey) *jwksServer {
	tb.Helper()
	s := &jwksServer{keys: keys, maxAge: maxAge}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

func (s *jwksServer) serve(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	body, err := json.Marshal(jose.JSONWebKeySet{Keys: s.keys})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + b64(sum[:8]) + `"`
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(s.maxAge))
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Write(body)
}

func (s *jwksServer) setKeys(keys ...jose.JSONWebKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
}

func (s *jwksServer) setFail(fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = fail
}

func mustJWKS(tb testing.TB, o identity.JWKSOptions) *identity.JWKS {
	tb.Helper()
	j, err := identity.NewJWKS(o)
	if err != nil {
		tb.Fatalf("new jwks: %v", err)
	}
	return j
}

func mustVerifier(tb testing.TB, o identity.VerifierOptions) *identity.Verifier {
	tb.Helper()
	v, err := identity.NewVerifier(o)
	if err != nil {
		tb.Fatalf("new verifier: %v", err)
	}
	return v
}

// mustRemoteVerifier returns an internal-token verifier reading srv's key
// set on clk's time.
func mustRemoteVerifier(tb testing.TB, srv *jwksServer, clk *clock) *identity.Verifier {
	tb.Helper()
	keys := mustJWKS(tb, identity.JWKSOptions{URL: srv.URL, Now: clk.Now, RefetchInterval: time.Minute})
	return mustVerifier(tb, identity.VerifierOptions{
		Keys: keys, Issuer: testIssuer, Audience: identity.InternalAudience, Now: clk.Now,
	})
}

func wantErrIs(tb testing.TB, what string, err, want error) {
	tb.Helper()
	if !errors.Is(err, want) {
		tb.Errorf("%s: got error %v, want %v", what, err, want)
	}
}
