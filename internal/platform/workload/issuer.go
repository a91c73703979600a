package workload

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// JWKSPath is where an Issuer's Handler serves its key set.
const JWKSPath = "/jwks.json"

// DefaultLifetime is how long a minted token is valid.
const DefaultLifetime = 5 * time.Minute

// IssuerOptions configure an Issuer. URL is required.
type IssuerOptions struct {
	// URL is the issuer's identifier, the "iss" of every token, and the
	// base of its JWKS URL: the address of the listener that serves
	// Handler, such as "http://127.0.0.1:41235".
	URL string
	// Lifetime is how long a minted token is valid; zero means
	// DefaultLifetime.
	Lifetime time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Issuer mints workload tokens in process, for `portico all` and tests:
// an ES256 key that lives only in memory, and its JWKS. It is safe for
// concurrent use.
type Issuer struct {
	url    string
	life   time.Duration
	now    func() time.Time
	signer jose.Signer
	public jose.JSONWebKey
	jwks   []byte
}

// NewIssuer returns an Issuer with a new key.
func NewIssuer(o IssuerOptions) (*Issuer, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("workload issuer: url %q must be an absolute http or https URL", o.URL)
	}
	switch {
	case o.Lifetime < 0:
		return nil, fmt.Errorf("workload issuer: lifetime %v is negative", o.Lifetime)
	case o.Lifetime == 0:
		o.Lifetime = DefaultLifetime
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("workload issuer: generate key: %w", err)
	}
	var kidBytes [12]byte
	_, _ = rand.Read(kidBytes[:]) // crypto/rand.Read never returns an error
	kid := "workload-" + base64.RawURLEncoding.EncodeToString(kidBytes[:])
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: kid, Algorithm: string(jose.ES256)}},
		(&jose.SignerOptions{}).WithType(TokenType))
	if err != nil {
		return nil, fmt.Errorf("workload issuer: signer: %w", err)
	}
	public := jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig"}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{public}})
	if err != nil {
		return nil, fmt.Errorf("workload issuer: encode key set: %w", err)
	}
	return &Issuer{url: o.URL, life: o.Lifetime, now: o.Now, signer: signer, public: public, jwks: jwks}, nil
}

// URL returns the issuer's identifier.
func (i *Issuer) URL() string { return i.url }

// JWKSURL returns the URL of the key set Handler serves.
func (i *Issuer) JWKSURL() string { return i.url + JWKSPath }

// Keys returns the issuer's public key as a key source, for verifiers in
// the same process that need not fetch the JWKS.
func (i *Issuer) Keys() identity.KeySource {
	ks, err := identity.NewStaticKeys(i.public)
	if err != nil {
		panic(fmt.Sprintf("workload issuer: own key refused: %v", err)) // a P-256 key made above cannot be
	}
	return ks
}

// Handler serves the key set at JWKSPath, and 404 elsewhere.
func (i *Issuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+JWKSPath, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/jwk-set+json")
		h.Set("Cache-Control", "max-age=300")
		h.Set("Content-Length", strconv.Itoa(len(i.jwks)))
		if r.Method != http.MethodHead {
			w.Write(i.jwks)
		}
	})
	return mux
}

// Mint returns a new token that names caller to callee, and its expiry.
func (i *Issuer) Mint(caller, callee string) (string, time.Time, error) {
	if caller == "" || callee == "" {
		return "", time.Time{}, errors.New("workload issuer: caller and callee are required")
	}
	now := i.now().Truncate(time.Second)
	var jti [16]byte
	_, _ = rand.Read(jti[:])
	c := identity.Claims{
		Issuer:   i.url,
		Subject:  caller,
		Audience: []string{Audience(callee)},
		IssuedAt: now,
		// The not-before and expiry bound a token that leaks from a log or
		// a dump to minutes.
		NotBefore: now,
		Expiry:    now.Add(i.life),
		ID:        base64.RawURLEncoding.EncodeToString(jti[:]),
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("workload issuer: encode claims: %w", err)
	}
	jws, err := i.signer.Sign(payload)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("workload issuer: sign: %w", err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("workload issuer: serialize: %w", err)
	}
	return tok, c.Expiry, nil
}

// Source returns a TokenSource of caller's tokens for callee. It keeps one
// token and mints the next when less than a third of its life is left, so
// a token is always good for well over a request's time.
func (i *Issuer) Source(caller, callee string) TokenSource {
	return &mintSource{i: i, caller: caller, callee: callee}
}

type mintSource struct {
	i              *Issuer
	caller, callee string

	mu      sync.Mutex
	token   string
	renewAt time.Time
}

func (s *mintSource) Token(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.i.now()
	if s.token != "" && now.Before(s.renewAt) {
		return s.token, nil
	}
	tok, exp, err := s.i.Mint(s.caller, s.callee)
	if err != nil {
		return "", err
	}
	s.token = tok
	s.renewAt = exp.Add(-s.i.life / 3)
	return tok, nil
}
