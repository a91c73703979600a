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

// Defaults of ExternalVerifierOptions.
const (
	// DefaultExternalClockSkew is wider than DefaultClockSkew: an outside
	// provider's clocks are not the operator's.
	DefaultExternalClockSkew = 30 * time.Second
	// DefaultExternalMaxLifetime is the longest exp − iat of an outside
	// token accepted by default. Providers issue access tokens for an
	// hour or a few; a day leaves room for that and still refuses tokens
	// minted to last.
	DefaultExternalMaxLifetime = 24 * time.Hour
	// DefaultExternalAlgorithm is the algorithm accepted when none is
	// named: the one every OpenID provider supports.
	DefaultExternalAlgorithm = string(jose.RS256)
)

// ExternalAlgorithms returns the signature algorithms an outside issuer's
// tokens may be signed with: RSA PKCS #1 v1.5 and PSS with SHA-256, -384
// and -512, ECDSA on P-256, P-384 and P-521, and Ed25519. Only asymmetric
// algorithms: with "none" anyone can sign, and with HMAC anyone who holds
// the key the gateway verifies with.
func ExternalAlgorithms() []string {
	return []string{
		string(jose.RS256), string(jose.RS384), string(jose.RS512),
		string(jose.PS256), string(jose.PS384), string(jose.PS512),
		string(jose.ES256), string(jose.ES384), string(jose.ES512),
		string(jose.EdDSA),
	}
}

// externalAlgorithm reports whether alg is one of ExternalAlgorithms.
func externalAlgorithm(alg string) bool { return slices.Contains(ExternalAlgorithms(), alg) }

// externalTypes are the "typ" values accepted by default: none, the
// generic "JWT", and RFC 9068's access token type, normalised.
func externalTypes() []string { return []string{"", "jwt", AccessTokenType} }

// ExternalVerifierOptions configure an ExternalVerifier. Keys, Issuer and
// Audiences are required; a zero value elsewhere takes the default its
// doc names.
type ExternalVerifierOptions struct {
	// Keys finds the key a token names: a *JWKS on the issuer's key set,
	// a *DiscoveredJWKS, or StaticKeys in tests.
	Keys KeySource
	// Issuer is the required "iss" claim, compared exactly.
	Issuer string
	// Audiences are accepted "aud" values: a token must carry at least
	// one of them.
	Audiences []string
	// Algorithms are the accepted "alg" values, some of
	// ExternalAlgorithms; nil means DefaultExternalAlgorithm alone.
	Algorithms []string
	// Types are the accepted "typ" values; nil means none, "JWT" and
	// "at+jwt". InternalTokenType is never accepted: an internal token is
	// not an outside one.
	Types []string
	// ClockSkew is the tolerance on exp, nbf and iat; zero means
	// DefaultExternalClockSkew.
	ClockSkew time.Duration
	// MaxTokenBytes is the longest token looked at; zero means
	// DefaultMaxTokenBytes.
	MaxTokenBytes int
	// MaxLifetime is the longest lifetime accepted: exp − iat, or
	// exp − now for a token without iat. Zero means
	// DefaultExternalMaxLifetime.
	MaxLifetime time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// ExternalVerifier checks the JWTs of an identity provider outside
// Portico: the same strict header and key rules as Verifier (no key named
// or carried by the token, no "none", no HMAC, a key used only for the
// algorithm it serves), an exact issuer, one of the audiences, and the
// times with ClockSkew of leeway. What the claims mean is left to the
// caller (ExternalClaims). It is safe for concurrent use.
type ExternalVerifier struct {
	keys      KeySource
	issuer    string
	audiences []string
	algs      []string
	types     []string
	skew      time.Duration
	maxBytes  int
	maxLife   time.Duration
	now       func() time.Time
}

// NewExternalVerifier returns a verifier configured by o, or an error when
// o is incomplete or allows an algorithm or type it must not.
func NewExternalVerifier(o ExternalVerifierOptions) (*ExternalVerifier, error) {
	switch {
	case o.Keys == nil:
		return nil, errors.New("new external verifier: no key source")
	case o.Issuer == "":
		return nil, errors.New("new external verifier: issuer is required")
	case len(o.Audiences) == 0:
		return nil, errors.New("new external verifier: at least one audience is required")
	case slices.Contains(o.Audiences, "") || slices.Contains(o.Audiences, InternalAudience):
		return nil, fmt.Errorf("new external verifier: audiences must not be empty or %q", InternalAudience)
	}
	algs := o.Algorithms
	if algs == nil {
		algs = []string{DefaultExternalAlgorithm}
	}
	if len(algs) == 0 {
		return nil, errors.New("new external verifier: empty algorithm list")
	}
	for _, a := range algs {
		if !externalAlgorithm(a) {
			return nil, fmt.Errorf("new external verifier: algorithm %q is not allowed (allowed: %s)", a, strings.Join(ExternalAlgorithms(), ", "))
		}
	}
	types := externalTypes()
	if o.Types != nil {
		types = make([]string, 0, len(o.Types))
		for _, t := range o.Types {
			types = append(types, normalizeType(t))
		}
	}
	if len(types) == 0 {
		return nil, errors.New("new external verifier: empty token type list")
	}
	if slices.Contains(types, InternalTokenType) {
		return nil, fmt.Errorf("new external verifier: type %q is Portico's own", InternalTokenType)
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"clock skew", &o.ClockSkew, DefaultExternalClockSkew},
		{"max lifetime", &o.MaxLifetime, DefaultExternalMaxLifetime},
	} {
		switch {
		case *d.v < 0:
			return nil, fmt.Errorf("new external verifier: %s %v is negative", d.name, *d.v)
		case *d.v == 0:
			*d.v = d.def
		}
	}
	switch {
	case o.MaxTokenBytes < 0:
		return nil, fmt.Errorf("new external verifier: max token bytes %d is negative", o.MaxTokenBytes)
	case o.MaxTokenBytes == 0:
		o.MaxTokenBytes = DefaultMaxTokenBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &ExternalVerifier{
		keys: o.Keys, issuer: o.Issuer, audiences: slices.Clone(o.Audiences),
		algs: slices.Clone(algs), types: types,
		skew: o.ClockSkew, maxBytes: o.MaxTokenBytes, maxLife: o.MaxLifetime, now: o.Now,
	}, nil
}

// Issuer returns the issuer the verifier accepts tokens of.
func (v *ExternalVerifier) Issuer() string { return v.issuer }

// Verify checks token and returns its claims, or an error wrapping one of
// the package's sentinel errors. Errors never repeat more than a
// truncated piece of the token.
func (v *ExternalVerifier) Verify(ctx context.Context, token string) (*ExternalClaims, error) {
	c, err := v.verify(ctx, token)
	if err != nil {
		return nil, fmt.Errorf("verify external token: %w", err)
	}
	return c, nil
}

func (v *ExternalVerifier) verify(ctx context.Context, token string) (*ExternalClaims, error) {
	if len(token) > v.maxBytes {
		return nil, fmt.Errorf("%d bytes, limit %d: %w", len(token), v.maxBytes, ErrTooLarge)
	}
	if strings.Count(token, ".") != 2 {
		return nil, fmt.Errorf("not three dot-separated parts: %w", ErrMalformed)
	}
	h, err := parseHeaderIgnoring(token[:strings.IndexByte(token, '.')], externalHeaderHint)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(v.algs, h.Alg) {
		return nil, fmt.Errorf("alg %q: %w", truncate(h.Alg), ErrAlgorithm)
	}
	if !slices.Contains(v.types, normalizeType(h.Typ)) {
		return nil, fmt.Errorf("typ %q: %w", truncate(h.Typ), ErrType)
	}
	if h.Kid == "" {
		return nil, fmt.Errorf("header has no kid: %w", ErrMalformed)
	}
	key, err := v.keys.Key(ctx, h.Kid)
	if err != nil {
		return nil, err
	}
	if !keyFits(key, h.Alg) {
		return nil, fmt.Errorf("alg %q does not fit key %q: %w", h.Alg, truncate(h.Kid), ErrAlgorithm)
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(h.Alg)})
	if err != nil {
		return nil, fmt.Errorf("parse: %w", ErrMalformed)
	}
	payload, err := jws.Verify(key.Key)
	if err != nil {
		return nil, ErrSignature
	}
	c, err := parseExternalClaims(payload)
	if err != nil {
		return nil, err
	}
	if err := v.checkClaims(c); err != nil {
		return nil, err
	}
	return c, nil
}

// checkClaims applies the claim rules to a token whose signature
// verified.
func (v *ExternalVerifier) checkClaims(c *ExternalClaims) error {
	switch {
	case c.Issuer != v.issuer:
		return fmt.Errorf("iss %q: %w", truncate(c.Issuer), ErrIssuer)
	case !slices.ContainsFunc(c.Audience, func(a string) bool { return slices.Contains(v.audiences, a) }):
		return ErrAudience
	case c.Expiry.IsZero():
		return fmt.Errorf("no exp claim: %w", ErrMalformed)
	}
	now := v.now()
	start := c.IssuedAt
	if start.IsZero() {
		start = now
	}
	switch {
	case c.Expiry.Sub(start) > v.maxLife:
		return fmt.Errorf("lifetime %v, limit %v: %w", c.Expiry.Sub(start), v.maxLife, ErrLifetime)
	case !now.Before(c.Expiry.Add(v.skew)):
		return fmt.Errorf("exp %s: %w", c.Expiry.Format(time.RFC3339), ErrExpired)
	case !c.NotBefore.IsZero() && now.Add(v.skew).Before(c.NotBefore):
		return fmt.Errorf("nbf %s: %w", c.NotBefore.Format(time.RFC3339), ErrNotYetValid)
	case !c.IssuedAt.IsZero() && now.Add(v.skew).Before(c.IssuedAt):
		return fmt.Errorf("iat %s: %w", c.IssuedAt.Format(time.RFC3339), ErrNotYetValid)
	}
	return nil
}
