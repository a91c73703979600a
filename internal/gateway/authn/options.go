package authn

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// Defaults of Options.
const (
	DefaultCacheTTL     = 10 * time.Second
	DefaultNegativeTTL  = 2 * time.Second
	DefaultExpiryMargin = 30 * time.Second
	DefaultMaxEntries   = 100_000
	DefaultTimeout      = 2 * time.Second
	// DefaultMaxResponseBytes bounds auth's answer; an internal token is
	// a few hundred bytes.
	DefaultMaxResponseBytes = 64 << 10
)

// ExchangePath is the auth service's exchange endpoint, below AuthURL.
const ExchangePath = "/internal/v1/exchange"

// Options configure an Exchanger. AuthURL, Issuer, Keys and WorkloadToken
// are required; a zero value elsewhere takes the default its doc names.
type Options struct {
	// AuthURL is the auth service's base URL, such as
	// "http://auth.internal:8081".
	AuthURL string
	// Issuer is the auth service's issuer: the "iss" an internal token
	// must carry to be accepted.
	Issuer string
	// Keys find the keys internal tokens are verified with: an
	// *identity.JWKS on auth's key set, which caches it as package
	// identity describes, or fixed keys in tests.
	Keys identity.KeySource
	// WorkloadToken is the gateway's workload token toward auth, sent as
	// "Authorization: Bearer" with every exchange request. There is no
	// exchange without one.
	WorkloadToken workload.TokenSource
	// Transport sends the exchange requests, wrapped so that each carries
	// the workload token; nil means a transport of the package's own, with
	// bounded dial and header timeouts and a pool of idle connections
	// sized for a gateway. Pass one to share a pool or add tracing.
	Transport http.RoundTripper
	// Timeout bounds one exchange with auth, connection included: 2
	// seconds by default. Its expiry is ErrUnavailable.
	Timeout time.Duration
	// CacheTTL is the longest an exchange is reused, and so how late a
	// revocation takes effect: 10 seconds by default. auth's
	// cache_ttl_seconds and the token's expiry less ExpiryMargin bound it
	// further. Negative disables the cache of accepted credentials.
	CacheTTL time.Duration
	// NegativeTTL is how long a refused credential is answered
	// ErrUnauthenticated without asking auth again: 2 seconds by default.
	// Negative disables it.
	NegativeTTL time.Duration
	// ExpiryMargin is how much life a cached internal token must have left
	// to be served from the cache, so that it outlives the proxied request
	// (and modest clock skew with auth): 30 seconds by default. A token
	// fresh from auth is returned even with less, but not cached.
	ExpiryMargin time.Duration
	// MaxEntries bounds the cache, accepted and refused credentials
	// together: 100,000 by default. When full, the oldest entry not used
	// since the last eviction pass goes first (the CLOCK approximation of
	// LRU). An entry costs about its token's length plus 200 bytes.
	MaxEntries int
	// MaxResponseBytes bounds auth's answer: DefaultMaxResponseBytes by
	// default.
	MaxResponseBytes int64
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Observe, when set, is told the outcome of every Exchange, for
	// metrics. It is called on the hot path and must be cheap.
	Observe func(Outcome)
	// External are the identity providers outside Portico whose bearer
	// JWTs are admitted (ExternalIssuer). With at least one, a bearer
	// credential that is not an API key is told apart by its "iss": auth's
	// own tokens (Issuer) are exchanged as before, an external issuer's
	// are verified and mapped here and exchanged as kind "external", and
	// anything else (not a JWT, or of another issuer) is refused without
	// a call to auth. None (the default) sends every bearer token to auth.
	External []ExternalIssuer
	// ObserveExternal, when set, is told what became of each bearer token
	// checked against External (not those answered from the cache): the
	// issuer's name ("" when the token names none configured) and one of
	// ExternalAccepted, ExternalNotJWT, ExternalUnknownIssuer,
	// ExternalRefused (verification or mapping failed) and
	// ExternalUnavailable (keys or auth could not be had).
	ObserveExternal func(issuer, result string)
}

// Results of outside tokens, for Options.ObserveExternal.
const (
	ExternalAccepted      = "accepted"
	ExternalNotJWT        = "not_jwt"
	ExternalUnknownIssuer = "unknown_issuer"
	ExternalRefused       = "refused"
	ExternalUnavailable   = "unavailable"
)

// Outcome says how an Exchange was answered, for Options.Observe.
type Outcome int

// Outcomes of Exchange.
const (
	// OutcomeHit is an accepted credential answered from the cache.
	OutcomeHit Outcome = iota
	// OutcomeNegativeHit is a refused credential answered from the cache.
	OutcomeNegativeHit
	// OutcomeMiss is an exchange that called auth.
	OutcomeMiss
	// OutcomeShared is a miss that waited for a concurrent caller's call
	// to auth for the same credential.
	OutcomeShared
	// OutcomeInvalid is a credential refused without a call: no kind, or
	// an empty or too long value.
	OutcomeInvalid
)

// String names the outcome for metric labels.
func (o Outcome) String() string {
	switch o {
	case OutcomeHit:
		return "hit"
	case OutcomeNegativeHit:
		return "negative_hit"
	case OutcomeMiss:
		return "miss"
	case OutcomeShared:
		return "shared"
	case OutcomeInvalid:
		return "invalid"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// withDefaults returns o with zero fields set to their defaults, and the
// parsed exchange URL, or an error.
func (o Options) withDefaults() (Options, *url.URL, error) {
	u, err := url.Parse(o.AuthURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return o, nil, fmt.Errorf("auth url %q must be an absolute http or https URL without query or fragment", o.AuthURL)
	}
	u = u.JoinPath(ExchangePath)
	switch {
	case o.Issuer == "":
		return o, nil, errors.New("issuer is required: internal tokens are verified against it")
	case o.Keys == nil:
		return o, nil, errors.New("keys are required: internal tokens are verified with them")
	case o.WorkloadToken == nil:
		return o, nil, errors.New("a workload token source is required: auth admits no exchange without one")
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&o.Timeout, DefaultTimeout}, {&o.CacheTTL, DefaultCacheTTL},
		{&o.NegativeTTL, DefaultNegativeTTL}, {&o.ExpiryMargin, DefaultExpiryMargin},
	} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	switch {
	case o.Timeout < 0:
		return o, nil, fmt.Errorf("timeout %v must not be negative", o.Timeout)
	case o.ExpiryMargin < 0:
		return o, nil, fmt.Errorf("expiry margin %v must not be negative", o.ExpiryMargin)
	case o.MaxEntries < 0:
		return o, nil, errors.New("max entries must not be negative")
	case o.MaxResponseBytes < 0:
		return o, nil, errors.New("max response bytes must not be negative")
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxResponseBytes == 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Transport == nil {
		o.Transport = newTransport(o.Timeout)
	}
	return o, u, nil
}

// newTransport is a connection pool toward auth: no proxy from the
// environment, bounded dial and header waits, and enough idle connections
// that a burst of misses does not open and close connections.
func newTransport(timeout time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		MaxIdleConnsPerHost:    64,
		IdleConnTimeout:        90 * time.Second,
		ResponseHeaderTimeout:  timeout,
		TLSHandshakeTimeout:    timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
	}
}
