package identity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Defaults of JWKSOptions.
const (
	DefaultFetchTimeout    = 5 * time.Second
	DefaultMinTTL          = 30 * time.Second
	DefaultMaxTTL          = time.Hour
	DefaultTTL             = 5 * time.Minute
	DefaultRefetchInterval = 10 * time.Second
	DefaultStaleIfError    = 10 * time.Minute
	DefaultMaxJWKSBytes    = 256 << 10
	DefaultMaxKeys         = 64
)

// JWKSOptions configure a JWKS. URL is required; a zero value elsewhere
// takes the default its doc names.
type JWKSOptions struct {
	// URL is the key set's address, such as
	// "http://auth.internal:8080/.well-known/jwks.json".
	URL string
	// Client sends the requests; nil means a client with Timeout
	// FetchTimeout that follows no redirects. Whatever the client, each
	// fetch is also bounded by FetchTimeout.
	Client *http.Client
	// FetchTimeout bounds one fetch, headers and body; zero means
	// DefaultFetchTimeout.
	FetchTimeout time.Duration
	// MinTTL and MaxTTL bound how long a fetched set is used before it is
	// fetched again, whatever its Cache-Control max-age says; DefaultTTL
	// applies when it says nothing. Zero means DefaultMinTTL,
	// DefaultMaxTTL and DefaultTTL.
	MinTTL     time.Duration
	MaxTTL     time.Duration
	DefaultTTL time.Duration
	// RefetchInterval is the least time between two fetches started by
	// an unknown kid, a stale set or a failure; zero means
	// DefaultRefetchInterval. It is what keeps tokens with invented kids
	// from turning into requests to auth.
	RefetchInterval time.Duration
	// StaleIfError is how long past its TTL a set is still used when
	// fetching a new one fails; zero means DefaultStaleIfError.
	StaleIfError time.Duration
	// MaxBytes caps the key set document; zero means DefaultMaxJWKSBytes.
	MaxBytes int64
	// MaxKeys caps the keys in the document; zero means DefaultMaxKeys.
	MaxKeys int
	// Algorithms are the algorithms whose keys are read from the set;
	// keys published for others are skipped. nil means
	// SupportedAlgorithms, those of internal tokens; a set of an outside
	// issuer takes some of ExternalAlgorithms.
	Algorithms []string
	// KeysWithoutAlg also reads keys that name no "alg", as some
	// providers publish them, when their type fits one of Algorithms;
	// such a key verifies a token only with an algorithm its type and
	// size fit. Only ExternalVerifier uses such keys: Verifier requires a
	// key to name the token's algorithm.
	KeysWithoutAlg bool
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

func (o JWKSOptions) withDefaults() (JWKSOptions, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return o, fmt.Errorf("jwks url %q must be an absolute http or https URL", o.URL)
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&o.FetchTimeout, DefaultFetchTimeout}, {&o.MinTTL, DefaultMinTTL}, {&o.MaxTTL, DefaultMaxTTL},
		{&o.DefaultTTL, DefaultTTL}, {&o.RefetchInterval, DefaultRefetchInterval}, {&o.StaleIfError, DefaultStaleIfError},
	} {
		if *d.v < 0 {
			return o, fmt.Errorf("jwks durations must not be negative, got %v", *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if o.MinTTL > o.MaxTTL {
		return o, fmt.Errorf("jwks min ttl %v exceeds max ttl %v", o.MinTTL, o.MaxTTL)
	}
	if o.MaxBytes < 0 || o.MaxKeys < 0 {
		return o, errors.New("jwks size limits must not be negative")
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxJWKSBytes
	}
	if o.MaxKeys == 0 {
		o.MaxKeys = DefaultMaxKeys
	}
	if o.Algorithms == nil {
		o.Algorithms = SupportedAlgorithms()
	}
	if len(o.Algorithms) == 0 {
		return o, errors.New("jwks algorithm list is empty")
	}
	for _, a := range o.Algorithms {
		if !externalAlgorithm(a) {
			return o, fmt.Errorf("jwks algorithm %q is not allowed (allowed: %s)", a, strings.Join(ExternalAlgorithms(), ", "))
		}
	}
	o.Algorithms = slices.Clone(o.Algorithms)
	if o.Client == nil {
		o.Client = &http.Client{
			Timeout:       o.FetchTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// keySet is one fetched key set; it is never modified once published.
type keySet struct {
	keys      map[string]jose.JSONWebKey
	etag      string
	expiresAt time.Time // fresh until then
}

// JWKS is a KeySource that fetches a JSON Web Key Set over HTTP and caches
// it as the package documentation describes. It is safe for concurrent
// use; lookups of cached keys take no lock.
type JWKS struct {
	o     JWKSOptions
	state atomic.Pointer[keySet]
	// sem admits one fetch at a time; waiters give up with their context.
	sem chan struct{}
	// lastAttempt is when the last fetch started, in Unix nanoseconds; it
	// is written with sem held and read without it for the fast refusal.
	lastAttempt atomic.Int64
	// lastErr is the last fetch's error; sem guards it.
	lastErr error
}

// NewJWKS returns a key source for the key set at o.URL. Nothing is
// fetched until the first lookup.
func NewJWKS(o JWKSOptions) (*JWKS, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new jwks: %w", err)
	}
	return &JWKS{o: o, sem: make(chan struct{}, 1)}, nil
}

// Key implements KeySource.
func (j *JWKS) Key(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	now := j.o.Now()
	s := j.state.Load()
	if s != nil && now.Before(s.expiresAt) {
		if k, ok := s.keys[kid]; ok {
			return k, nil
		}
	}
	s, err := j.refresh(ctx, s, now)
	if s == nil || !now.Before(s.expiresAt.Add(j.o.StaleIfError)) {
		switch {
		case err != nil:
		case s == nil:
			err = errors.New("no key set fetched yet")
		default:
			err = errors.New("cached key set is past its stale-if-error limit")
		}
		return jose.JSONWebKey{}, fmt.Errorf("jwks: %w: %w", ErrKeysUnavailable, err)
	}
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	return jose.JSONWebKey{}, fmt.Errorf("kid %q: %w", truncate(kid), ErrUnknownKey)
}

// refresh fetches the key set unless another caller replaced seen
// meanwhile or a fetch started less than RefetchInterval ago. It returns
// the set to use and the error of the last fetch, if it failed.
func (j *JWKS) refresh(ctx context.Context, seen *keySet, now time.Time) (*keySet, error) {
	if seen != nil && j.recentAttempt(now) {
		return seen, nil
	}
	select {
	case j.sem <- struct{}{}:
	case <-ctx.Done():
		return j.state.Load(), ctx.Err()
	}
	defer func() { <-j.sem }()
	if cur := j.state.Load(); cur != seen {
		return cur, nil // fetched while this caller waited
	}
	if j.recentAttempt(now) {
		return seen, j.lastErr
	}
	j.lastAttempt.Store(now.UnixNano())
	next, err := j.fetch(ctx, seen, now)
	j.lastErr = err
	if err != nil {
		return seen, err
	}
	j.state.Store(next)
	return next, nil
}

func (j *JWKS) recentAttempt(now time.Time) bool {
	last := j.lastAttempt.Load()
	return last != 0 && now.Sub(time.Unix(0, last)) < j.o.RefetchInterval
}

// fetch requests the key set, conditionally on the ETag of prev when
// there is one. The fetch runs to its own timeout even if the caller that
// started it goes away, since other callers wait for it.
func (j *JWKS) fetch(ctx context.Context, prev *keySet, now time.Time) (*keySet, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), j.o.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.o.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch key set: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	if prev != nil && prev.etag != "" {
		req.Header.Set("If-None-Match", prev.etag)
	}
	resp, err := j.o.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch key set: %w", err)
	}
	defer resp.Body.Close()
	ttl := cacheTTL(resp.Header.Values("Cache-Control"), j.o.MinTTL, j.o.MaxTTL, j.o.DefaultTTL)
	switch {
	case resp.StatusCode == http.StatusNotModified && prev != nil:
		return &keySet{keys: prev.keys, etag: prev.etag, expiresAt: now.Add(ttl)}, nil
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("fetch key set: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, j.o.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch key set: read body: %w", err)
	}
	if int64(len(body)) > j.o.MaxBytes {
		return nil, fmt.Errorf("fetch key set: document exceeds %d bytes", j.o.MaxBytes)
	}
	keys, err := parseKeySetFor(body, j.o.MaxKeys, keyFilter{algs: j.o.Algorithms, withoutAlg: j.o.KeysWithoutAlg})
	if err != nil {
		return nil, fmt.Errorf("fetch key set: %w", err)
	}
	return &keySet{keys: keys, etag: resp.Header.Get("ETag"), expiresAt: now.Add(ttl)}, nil
}

var _ KeySource = (*JWKS)(nil)
