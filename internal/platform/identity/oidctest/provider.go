// Package oidctest is an OpenID provider for tests, on a loopback httptest
// server: it serves its discovery document and its key set over HTTP with
// Cache-Control, as a real provider does, signs tokens with go-jose,
// rotates and retires its keys on demand, and counts the requests it
// answers, so that tests can assert how often verifiers fetched. It also
// writes the tokens no provider would: unsigned ones, ones signed with an
// HMAC keyed by its public key, ones naming keys it never had.
package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
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

// Paths the provider serves.
const (
	DiscoveryPath = identity.DiscoveryPath
	JWKSPath      = "/keys"
)

// Defaults of Options.
const (
	DefaultAlgorithm = "RS256"
	DefaultMaxAge    = 300
	DefaultLifetime  = time.Hour
)

// Options configure a Provider; the zero value is usable.
type Options struct {
	// Algorithm signs tokens: RS256 (the default), PS256, ES256, ES384 or
	// EdDSA.
	Algorithm string
	// MaxAge is the Cache-Control max-age of the key set, in seconds;
	// zero means DefaultMaxAge.
	MaxAge int
	// OmitKeyAlg publishes keys without "alg", as some providers do.
	OmitKeyAlg bool
	// Now is the time tokens are issued at; nil means time.Now.
	Now func() time.Time
	// Lifetime is how long Claims' tokens are valid; zero means
	// DefaultLifetime.
	Lifetime time.Duration
}

// key is one of the provider's signing keys.
type key struct {
	kid     string
	priv    crypto.Signer
	retired bool // no longer published, still there to sign forgeries
}

// Provider is the OpenID provider. It is safe for concurrent use.
type Provider struct {
	// URL is the provider's issuer URL (its server's base URL).
	URL string

	o                           Options
	discoveryFetches, jwksFetch atomic.Int64

	mu        sync.Mutex
	keys      []key // in order of creation; the last one signs
	next      int
	issuerDoc string // the issuer the discovery document states
}

// New starts a Provider with one key; the test's end stops it.
func New(tb testing.TB, o Options) *Provider {
	tb.Helper()
	if o.Algorithm == "" {
		o.Algorithm = DefaultAlgorithm
	}
	if o.MaxAge == 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Lifetime == 0 {
		o.Lifetime = DefaultLifetime
	}
	p := &Provider{o: o}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DiscoveryPath, p.discovery)
	mux.HandleFunc("GET "+JWKSPath, p.jwks)
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	p.URL = srv.URL
	p.issuerDoc = srv.URL
	p.Rotate(tb)
	return p
}

// Issuer returns the issuer URL, the "iss" of the provider's tokens.
func (p *Provider) Issuer() string { return p.URL }

// JWKSURL returns where the key set is served.
func (p *Provider) JWKSURL() string { return p.URL + JWKSPath }

// Algorithm returns the algorithm the provider signs with.
func (p *Provider) Algorithm() string { return p.o.Algorithm }

// DiscoveryFetches and KeyFetches return how many times the discovery
// document and the key set were requested.
func (p *Provider) DiscoveryFetches() int64 { return p.discoveryFetches.Load() }

// KeyFetches returns how many times the key set was requested.
func (p *Provider) KeyFetches() int64 { return p.jwksFetch.Load() }

// SetDiscoveredIssuer makes the discovery document state iss as the
// issuer, as a misconfigured or impersonating provider would.
func (p *Provider) SetDiscoveredIssuer(iss string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.issuerDoc = iss
}

// Rotate adds a new key, which signs from now on, and returns its kid;
// the previous keys stay published until Retire.
func (p *Provider) Rotate(tb testing.TB) string {
	tb.Helper()
	priv := newSigner(tb, p.o.Algorithm)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next++
	k := key{kid: "k" + strconv.Itoa(p.next), priv: priv}
	p.keys = append(p.keys, k)
	return k.kid
}

// Retire stops publishing the key kid; SignWithKid can still sign with
// it, as a thief of the key could.
func (p *Provider) Retire(kid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.keys {
		if p.keys[i].kid == kid {
			p.keys[i].retired = true
		}
	}
}

// Kid returns the kid of the key that signs now.
func (p *Provider) Kid() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keys[len(p.keys)-1].kid
}

// Claims returns the claims of a valid token for subject with audience
// aud, issued now, plus extra (which may replace any of them).
func (p *Provider) Claims(subject, aud string, extra map[string]any) map[string]any {
	now := p.o.Now()
	c := map[string]any{
		"iss": p.URL, "sub": subject, "aud": aud,
		"iat": now.Unix(), "exp": now.Add(p.o.Lifetime).Unix(), "jti": strconv.FormatInt(now.UnixNano(), 36),
	}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

// Sign signs claims with the current key, with go-jose, its header naming
// the algorithm, the kid and typ "JWT".
func (p *Provider) Sign(tb testing.TB, claims map[string]any) string {
	tb.Helper()
	p.mu.Lock()
	k := p.keys[len(p.keys)-1]
	p.mu.Unlock()
	return p.SignWithKid(tb, k.kid, claims)
}

// SignWithKid signs claims with the key kid, whether published or
// retired.
func (p *Provider) SignWithKid(tb testing.TB, kid string, claims map[string]any) string {
	tb.Helper()
	p.mu.Lock()
	var priv crypto.Signer
	for _, k := range p.keys {
		if k.kid == kid {
			priv = k.priv
		}
	}
	p.mu.Unlock()
	if priv == nil {
		tb.Fatalf("oidctest: no key %q", kid)
	}
	return SignJOSE(tb, jose.SignatureAlgorithm(p.o.Algorithm), priv, kid, claims)
}

// Key returns the private key kid, to sign tokens with by hand (a kid
// never published, a header no library writes).
func (p *Provider) Key(kid string) crypto.Signer {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range p.keys {
		if k.kid == kid {
			return k.priv
		}
	}
	return nil
}

// PublicKeyPEM returns the current key's public half as PEM, the "secret"
// of an HMAC key-confusion forgery.
func (p *Provider) PublicKeyPEM(tb testing.TB) []byte {
	tb.Helper()
	p.mu.Lock()
	pub := p.keys[len(p.keys)-1].priv.Public()
	p.mu.Unlock()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		tb.Fatalf("oidctest: marshal public key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// SignJOSE signs claims with go-jose: alg with key (a private key, or the
// []byte of an HMAC), the header naming kid and typ "JWT".
func SignJOSE(tb testing.TB, alg jose.SignatureAlgorithm, k any, kid string, claims map[string]any) string {
	tb.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), kid)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: k}, opts)
	if err != nil {
		tb.Fatalf("oidctest: signer: %v", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		tb.Fatalf("oidctest: encode claims: %v", err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		tb.Fatalf("oidctest: sign: %v", err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		tb.Fatalf("oidctest: serialize: %v", err)
	}
	return tok
}

// Unsigned returns an "alg": "none" token of claims, which go-jose
// refuses to write: the header and payload, and an empty signature.
func Unsigned(tb testing.TB, kid string, claims map[string]any) string {
	tb.Helper()
	h, err := json.Marshal(map[string]any{"alg": "none", "kid": kid, "typ": "JWT"})
	if err != nil {
		tb.Fatalf("oidctest: encode header: %v", err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		tb.Fatalf("oidctest: encode claims: %v", err)
	}
	return b64(h) + "." + b64(c) + "."
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	p.discoveryFetches.Add(1)
	p.mu.Lock()
	iss := p.issuerDoc
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	json.NewEncoder(w).Encode(map[string]any{
		"issuer": iss, "jwks_uri": p.JWKSURL(),
		"authorization_endpoint": p.URL + "/authorize", "token_endpoint": p.URL + "/token",
		"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{p.o.Algorithm},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, _ *http.Request) {
	p.jwksFetch.Add(1)
	p.mu.Lock()
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(p.keys))}
	for _, k := range p.keys {
		if k.retired {
			continue
		}
		jk := jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: p.o.Algorithm, Use: "sig"}
		if p.o.OmitKeyAlg {
			jk.Algorithm = ""
		}
		set.Keys = append(set.Keys, jk)
	}
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(p.o.MaxAge))
	json.NewEncoder(w).Encode(set)
}

// newSigner returns a new private key for alg.
func newSigner(tb testing.TB, alg string) crypto.Signer {
	tb.Helper()
	var (
		k   crypto.Signer
		err error
	)
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		k, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "EdDSA":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		tb.Fatalf("oidctest: algorithm %q", alg)
	}
	if err != nil {
		tb.Fatalf("oidctest: generate %s key: %v", alg, err)
	}
	return k
}
