// Package authntest is a stand-in for the auth service's credential
// exchange, for the tests of the gateway's side of authentication, which
// know auth only by URL (the tests with the real auth service are in
// internal/e2e). Unlike a real auth, it misbehaves on demand. Its Auth
// answers POST /internal/v1/exchange behind a real workload.Guard,
// publishes its signing key at /.well-known/jwks.json, and signs internal
// tokens as auth does, unless a test tampers with them to forge one; a
// test can also revoke a credential, hold exchanges in flight and take
// the keys down. Exchanges of kind "external" (the gateway's assertion
// about an outside token it verified) are answered as auth answers them,
// for the asserted organization unless a test suspended it, and recorded.
package authntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/problem"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// Issuer is the "iss" of the tokens Auth signs.
const Issuer = "https://auth.portico.test"

// Paths Auth serves.
const (
	ExchangePath = "/internal/v1/exchange"
	JWKSPath     = "/.well-known/jwks.json"
)

// Defaults of Options.
const (
	DefaultLifetime = 5 * time.Minute
	DefaultCacheTTL = time.Minute
)

// Options configure an Auth; the zero value is usable.
type Options struct {
	// Now is the time tokens are issued at; nil means time.Now.
	Now func() time.Time
	// Lifetime is how long a token is valid; zero means DefaultLifetime.
	Lifetime time.Duration
	// CacheTTL is the cache_ttl_seconds of every answer; zero means
	// DefaultCacheTTL.
	CacheTTL time.Duration
}

// Token is an answer being made, before it is signed: Tamper hooks may
// change any of it.
type Token struct {
	// Header and Claims are the JOSE header and the claim set, as JSON
	// values.
	Header, Claims map[string]any
	// Key signs the token with ES256; nil leaves the signature empty, as
	// "alg": "none" would.
	Key *ecdsa.PrivateKey
	// Raw, when set, is answered as the token instead.
	Raw string
}

// Auth is the stand-in, on a loopback httptest server. It is safe for
// concurrent use.
type Auth struct {
	// URL is the server's base URL, for auth.url.
	URL string
	// Workload is the workload issuer the exchange's guard trusts; its
	// Source(workload.Gateway, workload.Auth) is admitted.
	Workload *workload.Issuer

	o   Options
	key *ecdsa.PrivateKey
	kid string

	calls, exchanges, keyFetches atomic.Int64
	keysDown                     atomic.Bool
	// gate, when set, holds exchange requests until it is closed.
	gate atomic.Pointer[chan struct{}]

	mu         sync.Mutex
	principals map[string]identity.Claims
	tamper     func(*Token)
	last       string
	// external are the assertions of kind "external" received, in order;
	// suspended are organizations whose outside callers are refused.
	external  []External
	suspended map[string]bool
}

// External is an exchange request of kind "external": the gateway's
// assertion about an outside token it verified.
type External struct {
	Issuer       string    `json:"issuer"`
	Subject      string    `json:"subject"`
	Organization string    `json:"organization"`
	Scopes       []string  `json:"scopes"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// New starts an Auth that the test's end stops.
func New(tb testing.TB, o Options) *Auth {
	tb.Helper()
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Lifetime == 0 {
		o.Lifetime = DefaultLifetime
	}
	if o.CacheTTL == 0 {
		o.CacheTTL = DefaultCacheTTL
	}
	// The workload issuer is never fetched from: the guard holds its key.
	wi, err := workload.NewIssuer(workload.IssuerOptions{URL: "http://workload.portico.test"})
	if err != nil {
		tb.Fatalf("workload issuer: %v", err)
	}
	discard := slog.New(slog.DiscardHandler)
	guard, err := workload.NewGuard(workload.GuardOptions{Name: workload.Auth, Issuer: wi.URL(), Keys: wi.Keys(), Logger: discard})
	if err != nil {
		tb.Fatalf("workload guard: %v", err)
	}
	a := &Auth{Workload: wi, o: o, key: NewKey(tb), kid: "auth-key-1", principals: map[string]identity.Claims{}, suspended: map[string]bool{}}
	mux := http.NewServeMux()
	mux.Handle("POST "+ExchangePath, guard.Admit(http.HandlerFunc(a.exchange), workload.Gateway))
	mux.HandleFunc("GET "+JWKSPath, a.jwks)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == ExchangePath {
			a.calls.Add(1)
			if g := a.gate.Load(); g != nil {
				<-*g
			}
		}
		mux.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}

// NewKey returns a new P-256 key, for signing tokens auth never would.
func NewKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("generate key: %v", err)
	}
	return k
}

// JWKSURL returns where the signing key is published.
func (a *Auth) JWKSURL() string { return a.URL + JWKSPath }

// Keys returns the signing key as a key source, for verifiers that need
// not fetch the JWKS.
func (a *Auth) Keys() identity.KeySource {
	ks, err := identity.NewStaticKeys(a.publicKey())
	if err != nil {
		panic(err) // a P-256 key made by New cannot be refused
	}
	return ks
}

func (a *Auth) publicKey() jose.JSONWebKey {
	return jose.JSONWebKey{Key: &a.key.PublicKey, KeyID: a.kid, Algorithm: "ES256", Use: "sig"}
}

// WorkloadToken returns the gateway's workload tokens toward this auth.
func (a *Auth) WorkloadToken() workload.TokenSource {
	return a.Workload.Source(workload.Gateway, workload.Auth)
}

// Grant makes credential exchangeable for a token with c's subject, kind,
// organizations, scopes and staff flag; iss, aud, iat, exp and jti are set
// at each exchange. Unknown credentials are refused with 401.
func (a *Auth) Grant(credential string, c identity.Claims) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.principals[credential] = c
}

// Revoke makes credential unknown again, as a logout or a deleted key
// does: later exchanges of it are refused with 401.
func (a *Auth) Revoke(credential string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.principals, credential)
}

// Suspend makes the outside callers of organization org refused with
// 401, as auth refuses those of a suspended organization.
func (a *Auth) Suspend(org string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.suspended[org] = true
}

// ExternalExchanges returns the assertions of kind "external" admitted so
// far, in order.
func (a *Auth) ExternalExchanges() []External {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]External(nil), a.external...)
}

// ExternalSubject is the subject this fake gives the outside caller
// subject of issuer: "ext_" and 32 hexadecimal digits of a hash of both.
// (The real auth's derivation differs; both are namespaced.)
func ExternalSubject(issuer, subject string) string {
	sum := sha256.Sum256([]byte(issuer + "\x00" + subject))
	return "ext_" + hex.EncodeToString(sum[:16])
}

// Hold makes exchange requests wait, before the workload guard, until
// release runs; the test's end releases them too. Calls counts a request
// as soon as it arrives, held or not.
func (a *Auth) Hold(tb testing.TB) (release func()) {
	tb.Helper()
	g := make(chan struct{})
	a.gate.Store(&g)
	var once sync.Once
	release = func() { once.Do(func() { a.gate.Store(nil); close(g) }) }
	tb.Cleanup(release)
	return release
}

// Tamper makes every later answer pass through f before it is signed; nil
// makes them honest again.
func (a *Auth) Tamper(f func(*Token)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tamper = f
}

// SetKeysDown makes the JWKS answer 503 while down is true.
func (a *Auth) SetKeysDown(down bool) { a.keysDown.Store(down) }

// Calls returns how many exchange requests arrived, admitted or not.
func (a *Auth) Calls() int64 { return a.calls.Load() }

// Exchanges returns how many exchange requests the guard admitted.
func (a *Auth) Exchanges() int64 { return a.exchanges.Load() }

// KeyFetches returns how many times the JWKS was requested.
func (a *Auth) KeyFetches() int64 { return a.keyFetches.Load() }

// LastToken returns the token of the last answer.
func (a *Auth) LastToken() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

func (a *Auth) exchange(w http.ResponseWriter, r *http.Request) {
	a.exchanges.Add(1)
	var req struct {
		Credential string    `json:"credential"`
		Kind       string    `json:"kind"`
		External   *External `json:"external"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err := json.Unmarshal(body, &req); err != nil || (req.Credential == "") == (req.External == nil) ||
		(req.External != nil) != (req.Kind == "external") {
		problem.Write(w, r, problem.BadRequest("The body must name a credential, or be of kind external with external."))
		return
	}
	a.mu.Lock()
	c, ok := a.principals[req.Credential]
	var until time.Time
	if e := req.External; e != nil {
		// As auth does: a machine caller scoped in the asserted
		// organization, never past the outside token's expiry.
		ok = !a.suspended[e.Organization] && a.o.Now().Before(e.ExpiresAt)
		c = identity.Claims{Subject: ExternalSubject(e.Issuer, e.Subject), Kind: identity.KindClient,
			Orgs: []identity.OrgRole{{ID: e.Organization, Role: "scoped"}}, Scopes: e.Scopes}
		until = e.ExpiresAt
		if ok {
			a.external = append(a.external, *e)
		}
	}
	tamper := a.tamper
	a.mu.Unlock()
	if !ok {
		// A refusal of the credential carries no challenge: the request's
		// own Authorization, the workload token, was fine.
		problem.Write(w, r, problem.New(http.StatusUnauthorized, "unauthenticated", "Unauthenticated",
			"The credentials are missing, wrong, expired or revoked."))
		return
	}
	now := a.o.Now().UTC().Truncate(time.Second)
	c.Issuer, c.Audience = Issuer, []string{identity.InternalAudience}
	c.IssuedAt, c.Expiry, c.ID = now, now.Add(a.o.Lifetime), jti()
	if !until.IsZero() && until.Before(c.Expiry) {
		c.Expiry = until.UTC().Truncate(time.Second)
	}
	t := &Token{
		Header: map[string]any{"alg": "ES256", "kid": a.kid, "typ": identity.InternalTokenType},
		Claims: jsonObject(c),
		Key:    a.key,
	}
	if tamper != nil {
		tamper(t)
	}
	tok := t.Raw
	if tok == "" {
		tok = sign(t)
	}
	a.mu.Lock()
	a.last = tok
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{
		"token": tok, "expires_at": c.Expiry, "subject": c.Subject, "kind": c.Kind,
		"cache_ttl_seconds": int(a.o.CacheTTL / time.Second),
	})
}

func (a *Auth) jwks(w http.ResponseWriter, r *http.Request) {
	a.keyFetches.Add(1)
	if a.keysDown.Load() {
		problem.Write(w, r, problem.Unavailable("keys-unavailable", "The signing keys cannot be served."))
		return
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{a.publicKey()}}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "max-age=300")
	json.NewEncoder(w).Encode(set)
}

// jsonObject returns v's JSON encoding as a map.
func jsonObject(v any) map[string]any {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		panic(err)
	}
	return m
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// sign writes t as a compact JWS by hand, so that a test can sign any
// header, including ones no library would write.
func sign(t *Token) string {
	h, err := json.Marshal(t.Header)
	if err != nil {
		panic(err)
	}
	c, err := json.Marshal(t.Claims)
	if err != nil {
		panic(err)
	}
	input := b64(h) + "." + b64(c)
	if t.Key == nil {
		return input + "."
	}
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, t.Key, sum[:])
	if err != nil {
		panic(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64(sig)
}

func jti() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return b64(b[:])
}
