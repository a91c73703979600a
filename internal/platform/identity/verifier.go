package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Defaults of VerifierOptions.
const (
	// DefaultClockSkew is small because every Portico component runs on
	// NTP-synchronised hosts: the tolerance only absorbs their residual
	// drift, and each second of it lengthens every token's life.
	DefaultClockSkew     = 5 * time.Second
	DefaultMaxTokenBytes = 8 << 10
	// DefaultMaxLifetime is the longest exp − iat accepted by default:
	// twice the longest internal token the auth service issues by default
	// (signing.DefaultInternalTokenLifetime, 5 minutes; auth's exchange
	// asks for 2), so that a signing key that leaks cannot mint tokens
	// that outlive its revocation by more than minutes.
	DefaultMaxLifetime = 10 * time.Minute
)

// VerifierOptions configure a Verifier. Keys, Issuer and Audience are
// required; a zero value elsewhere takes the default its doc names.
type VerifierOptions struct {
	// Keys finds the key a token names; a *JWKS in services, StaticKeys
	// in tests.
	Keys KeySource
	// Issuer is the required "iss" claim: the auth service's issuer URL.
	Issuer string
	// Audience must be one of the token's "aud" values; InternalAudience
	// for internal tokens. Required unless AnyAudience is set.
	Audience string
	// AnyAudience skips the audience check. Only the issuer itself, which
	// introspects its own access tokens whatever they were issued for,
	// has a use for it.
	AnyAudience bool
	// Algorithms are the accepted "alg" values; nil means
	// SupportedAlgorithms. Anything else, "none" and HMAC above all, is a
	// configuration error.
	Algorithms []string
	// Types are the accepted "typ" values; nil means only
	// InternalTokenType. An empty string admits tokens with no "typ" at
	// all, which only issuers that set none need (a Kubernetes cluster's
	// ServiceAccount tokens); such a verifier must pin an audience no
	// other kind of token carries.
	Types []string
	// ClockSkew is the tolerance on exp, nbf and iat; zero means
	// DefaultClockSkew.
	ClockSkew time.Duration
	// MaxTokenBytes is the longest token looked at; longer ones are
	// refused before any parsing. Zero means DefaultMaxTokenBytes.
	MaxTokenBytes int
	// MaxLifetime is the longest lifetime (exp − iat) accepted; a token
	// that claims a longer one is refused with ErrLifetime even when its
	// signature verifies. Zero means DefaultMaxLifetime, meant for
	// internal tokens; verifiers of longer-lived tokens (access tokens,
	// Kubernetes ServiceAccount tokens) set their own. There is no
	// unlimited setting.
	MaxLifetime time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Verifier checks tokens. It is safe for concurrent use.
type Verifier struct {
	keys     KeySource
	issuer   string
	audience string
	anyAud   bool
	algs     []string
	types    []string
	skew     time.Duration
	maxBytes int
	maxLife  time.Duration
	now      func() time.Time
}

// NewVerifier returns a verifier configured by o, or an error when o is
// incomplete or allows an algorithm that is not supported.
func NewVerifier(o VerifierOptions) (*Verifier, error) {
	if o.Keys == nil {
		return nil, errors.New("new verifier: no key source")
	}
	if o.Issuer == "" {
		return nil, errors.New("new verifier: issuer is required")
	}
	if (o.Audience == "") != o.AnyAudience {
		return nil, errors.New("new verifier: set either an audience or AnyAudience")
	}
	algs := o.Algorithms
	if algs == nil {
		algs = SupportedAlgorithms()
	}
	if len(algs) == 0 {
		return nil, errors.New("new verifier: empty algorithm list")
	}
	for _, a := range algs {
		if !supportedAlgorithm(a) {
			return nil, fmt.Errorf("new verifier: algorithm %q is not allowed (supported: %s)", a, strings.Join(SupportedAlgorithms(), ", "))
		}
	}
	types := []string{InternalTokenType}
	if o.Types != nil {
		types = types[:0]
		for _, t := range o.Types {
			if t == "" && o.AnyAudience {
				return nil, errors.New("new verifier: untyped tokens need a pinned audience")
			}
			types = append(types, normalizeType(t))
		}
	}
	if len(types) == 0 {
		return nil, errors.New("new verifier: empty token type list")
	}
	switch {
	case o.ClockSkew < 0:
		return nil, fmt.Errorf("new verifier: clock skew %v is negative", o.ClockSkew)
	case o.ClockSkew == 0:
		o.ClockSkew = DefaultClockSkew
	}
	switch {
	case o.MaxTokenBytes < 0:
		return nil, fmt.Errorf("new verifier: max token bytes %d is negative", o.MaxTokenBytes)
	case o.MaxTokenBytes == 0:
		o.MaxTokenBytes = DefaultMaxTokenBytes
	}
	switch {
	case o.MaxLifetime < 0:
		return nil, fmt.Errorf("new verifier: max lifetime %v is negative", o.MaxLifetime)
	case o.MaxLifetime == 0:
		o.MaxLifetime = DefaultMaxLifetime
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Verifier{
		keys: o.Keys, issuer: o.Issuer, audience: o.Audience, anyAud: o.AnyAudience,
		algs: slices.Clone(algs), types: types,
		skew: o.ClockSkew, maxBytes: o.MaxTokenBytes, maxLife: o.MaxLifetime, now: o.Now,
	}, nil
}

// Verify checks token as the package documentation describes and returns
// its claims, or an error wrapping one of the package's sentinel errors.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	c, err := v.verify(ctx, token)
	if err != nil {
		return nil, fmt.Errorf("verify token: %w", err)
	}
	return c, nil
}

func (v *Verifier) verify(ctx context.Context, token string) (*Claims, error) {
	if len(token) > v.maxBytes {
		return nil, fmt.Errorf("%d bytes, limit %d: %w", len(token), v.maxBytes, ErrTooLarge)
	}
	if strings.Count(token, ".") != 2 {
		return nil, fmt.Errorf("not three dot-separated parts: %w", ErrMalformed)
	}
	h, err := parseHeader(token[:strings.IndexByte(token, '.')])
	if err != nil {
		return nil, err
	}
	if !slices.Contains(v.algs, h.Alg) {
		return nil, fmt.Errorf("alg %q: %w", truncate(h.Alg), ErrAlgorithm)
	}
	typ := normalizeType(h.Typ)
	if !slices.Contains(v.types, typ) {
		return nil, fmt.Errorf("typ %q: %w", truncate(h.Typ), ErrType)
	}
	if h.Kid == "" {
		return nil, fmt.Errorf("header has no kid: %w", ErrMalformed)
	}
	key, err := v.keys.Key(ctx, h.Kid)
	if err != nil {
		return nil, err
	}
	if key.Algorithm != h.Alg {
		// The key was published for another algorithm: verifying with it
		// anyway is how algorithm-confusion attacks start.
		return nil, fmt.Errorf("alg %q but key %q is for %q: %w", h.Alg, truncate(h.Kid), key.Algorithm, ErrAlgorithm)
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(h.Alg)})
	if err != nil {
		return nil, fmt.Errorf("parse: %w", ErrMalformed)
	}
	payload, err := jws.Verify(key.Key)
	if err != nil {
		return nil, ErrSignature
	}
	c := &Claims{Type: typ}
	if err := c.UnmarshalJSON(payload); err != nil {
		return nil, fmt.Errorf("claims are not a JSON object of the expected shape: %w", ErrMalformed)
	}
	if err := v.checkClaims(c); err != nil {
		return nil, err
	}
	return c, nil
}

// checkClaims applies the claim rules to a token whose signature verified.
func (v *Verifier) checkClaims(c *Claims) error {
	switch {
	case c.Subject == "":
		return fmt.Errorf("no sub claim: %w", ErrMalformed)
	case c.Expiry.IsZero():
		return fmt.Errorf("no exp claim: %w", ErrMalformed)
	case c.IssuedAt.IsZero():
		return fmt.Errorf("no iat claim: %w", ErrMalformed)
	case c.Issuer != v.issuer:
		return fmt.Errorf("iss %q: %w", truncate(c.Issuer), ErrIssuer)
	case !v.anyAud && !slices.Contains(c.Audience, v.audience):
		return ErrAudience
	case c.Expiry.Sub(c.IssuedAt) > v.maxLife:
		return fmt.Errorf("exp − iat %v, limit %v: %w", c.Expiry.Sub(c.IssuedAt), v.maxLife, ErrLifetime)
	}
	now := v.now()
	switch {
	case !now.Before(c.Expiry.Add(v.skew)):
		return fmt.Errorf("exp %s: %w", c.Expiry.Format(time.RFC3339), ErrExpired)
	case !c.NotBefore.IsZero() && now.Add(v.skew).Before(c.NotBefore):
		return fmt.Errorf("nbf %s: %w", c.NotBefore.Format(time.RFC3339), ErrNotYetValid)
	case now.Add(v.skew).Before(c.IssuedAt):
		return fmt.Errorf("iat %s: %w", c.IssuedAt.Format(time.RFC3339), ErrNotYetValid)
	}
	if c.Type == InternalTokenType {
		if err := c.validInternal(); err != nil {
			return fmt.Errorf("internal token: %s: %w", err, ErrMalformed)
		}
	}
	return nil
}
