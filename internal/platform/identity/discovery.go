package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// DiscoveryPath is where below its issuer URL an OpenID provider
// publishes its configuration (OpenID Connect Discovery 1.0, section 4).
const DiscoveryPath = "/.well-known/openid-configuration"

// DefaultMaxDiscoveryBytes caps a discovery document unless
// DiscoveryOptions.MaxBytes says otherwise; providers' documents are a
// few kilobytes.
const DefaultMaxDiscoveryBytes = 64 << 10

// DiscoveryOptions configure a DiscoveredJWKS. Issuer is required; a zero
// value elsewhere takes the default its doc names.
type DiscoveryOptions struct {
	// Issuer is the OpenID provider's issuer URL. The configuration is
	// read from Issuer (without a trailing slash) + DiscoveryPath, and the
	// "issuer" it states must equal Issuer exactly, or the document is
	// refused (OpenID Connect Discovery 1.0, section 4.3).
	Issuer string
	// JWKS configures the key set at the document's "jwks_uri", whose URL
	// it replaces. Its Client, FetchTimeout, RefetchInterval and Now serve
	// the discovery request too.
	JWKS JWKSOptions
	// MaxBytes caps the discovery document; zero means
	// DefaultMaxDiscoveryBytes.
	MaxBytes int64
}

// DiscoveredJWKS is a KeySource for an OpenID provider known by its
// issuer URL: the first lookup reads the provider's discovery document
// and from then on the key set it names is a JWKS, cached as the package
// documentation describes. A failed discovery is retried at most once per
// RefetchInterval; until one succeeds every lookup is ErrKeysUnavailable.
// The key set's address is read once: a provider that moves it is
// followed when the configuration is rebuilt. It is safe for concurrent
// use.
type DiscoveredJWKS struct {
	issuer   string
	docURL   string
	jwksOpts JWKSOptions // defaults applied
	maxBytes int64

	jwks atomic.Pointer[JWKS]
	// sem admits one discovery at a time.
	sem         chan struct{}
	lastAttempt atomic.Int64
	// lastErr is the last discovery's error; sem guards it.
	lastErr error
}

// NewDiscoveredJWKS returns a key source for the provider o.Issuer names.
// Nothing is fetched until the first lookup.
func NewDiscoveredJWKS(o DiscoveryOptions) (*DiscoveredJWKS, error) {
	u, err := url.Parse(o.Issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("new discovered jwks: issuer %q must be an absolute http or https URL without user information, query or fragment", o.Issuer)
	}
	docURL := strings.TrimSuffix(o.Issuer, "/") + DiscoveryPath
	jo := o.JWKS
	jo.URL = docURL // a valid placeholder until the document names the set
	jo, err = jo.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new discovered jwks: %w", err)
	}
	switch {
	case o.MaxBytes < 0:
		return nil, errors.New("new discovered jwks: max bytes must not be negative")
	case o.MaxBytes == 0:
		o.MaxBytes = DefaultMaxDiscoveryBytes
	}
	return &DiscoveredJWKS{issuer: o.Issuer, docURL: docURL, jwksOpts: jo, maxBytes: o.MaxBytes, sem: make(chan struct{}, 1)}, nil
}

// Key implements KeySource.
func (d *DiscoveredJWKS) Key(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	j := d.jwks.Load()
	if j == nil {
		var err error
		if j, err = d.discover(ctx); err != nil {
			return jose.JSONWebKey{}, fmt.Errorf("openid discovery: %w: %w", ErrKeysUnavailable, err)
		}
	}
	return j.Key(ctx, kid)
}

// JWKSURL returns the key set's address once discovery has found it, or
// "".
func (d *DiscoveredJWKS) JWKSURL() string {
	if j := d.jwks.Load(); j != nil {
		return j.o.URL
	}
	return ""
}

// errDiscoveryRecent answers lookups while a failed discovery is too
// recent to try again.
var errDiscoveryRecent = errors.New("discovery failed moments ago")

// discover reads the discovery document, unless another caller did
// meanwhile or an attempt started less than RefetchInterval ago.
func (d *DiscoveredJWKS) discover(ctx context.Context) (*JWKS, error) {
	now := d.jwksOpts.Now()
	if d.recentAttempt(now) {
		return nil, errDiscoveryRecent
	}
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-d.sem }()
	if j := d.jwks.Load(); j != nil {
		return j, nil
	}
	if d.recentAttempt(now) {
		return nil, d.lastErr
	}
	d.lastAttempt.Store(now.UnixNano())
	j, err := d.fetch(ctx)
	d.lastErr = err
	if err != nil {
		return nil, err
	}
	d.jwks.Store(j)
	return j, nil
}

func (d *DiscoveredJWKS) recentAttempt(now time.Time) bool {
	last := d.lastAttempt.Load()
	return last != 0 && now.Sub(time.Unix(0, last)) < d.jwksOpts.RefetchInterval
}

// fetch reads and checks the discovery document and returns the key set
// it names. Like JWKS.fetch, it runs to its own timeout even if the
// caller that started it goes away.
func (d *DiscoveredJWKS) fetch(ctx context.Context) (*JWKS, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.jwksOpts.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.docURL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch discovery document: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := d.jwksOpts.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch discovery document: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch discovery document: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, d.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch discovery document: read body: %w", err)
	}
	if int64(len(body)) > d.maxBytes {
		return nil, fmt.Errorf("fetch discovery document: exceeds %d bytes", d.maxBytes)
	}
	jwksURL, err := parseDiscovery(body, d.issuer)
	if err != nil {
		return nil, fmt.Errorf("discovery document: %w", err)
	}
	o := d.jwksOpts
	o.URL = jwksURL
	return NewJWKS(o)
}

// parseDiscovery returns the jwks_uri of a discovery document whose
// "issuer" is issuer. The key set must be served over https unless the
// issuer itself is http (a development or test provider), so that a
// document fetched safely cannot send the keys over a weaker channel.
func parseDiscovery(body []byte, issuer string) (string, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil || doc == nil {
		return "", errors.New("not a JSON object")
	}
	var iss, jwksURI string
	if raw, ok := doc["issuer"]; !ok || json.Unmarshal(raw, &iss) != nil {
		return "", errors.New("no issuer string")
	}
	if iss != issuer {
		return "", fmt.Errorf("states issuer %q, want %q", truncate(iss), issuer)
	}
	if raw, ok := doc["jwks_uri"]; !ok || json.Unmarshal(raw, &jwksURI) != nil {
		return "", errors.New("no jwks_uri string")
	}
	u, err := url.Parse(jwksURI)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" ||
		(u.Scheme != "https" && !(u.Scheme == "http" && strings.HasPrefix(issuer, "http://"))) {
		return "", fmt.Errorf("jwks_uri %q must be an absolute https URL without user information or fragment", truncate(jwksURI))
	}
	return jwksURI, nil
}

var _ KeySource = (*DiscoveredJWKS)(nil)
