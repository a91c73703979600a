package signing

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// MaxRSABits is the largest RSA key made; go-jose refuses larger ones when
// it decodes a JWK.
const MaxRSABits = 4096

// Defaults of Options.
const (
	DefaultAlgorithm             = "ES256"
	DefaultRSABits               = 2048
	DefaultRotateEvery           = 30 * 24 * time.Hour
	DefaultPublishAhead          = 24 * time.Hour
	DefaultMaxTokenLifetime      = time.Hour
	DefaultCacheMargin           = time.Hour
	DefaultCheckInterval         = time.Minute
	DefaultJWKSMaxAge            = 15 * time.Minute
	DefaultInternalTokenLifetime = 5 * time.Minute
	DefaultAccessTokenLifetime   = 15 * time.Minute
)

// Options configure a Manager. Issuer is required; a zero value elsewhere
// takes the default its doc names.
type Options struct {
	// Issuer is the "iss" of every token and the base of the discovery
	// document's URLs, such as "https://auth.example.com".
	Issuer string
	// Algorithm signs new keys' tokens: ES256 (default), EdDSA or RS256.
	// Changing it takes effect at the next key.
	Algorithm string
	// RSABits sizes RS256 keys: 2048 (default) to MaxRSABits.
	RSABits int
	// RotateEvery is how long a key signs: 30 days by default, short
	// enough that a key leaked unnoticed is not useful for long, long
	// enough that the JWK Set stays at two or three keys.
	RotateEvery time.Duration
	// PublishAhead is how long before it first signs a key is published:
	// 24 hours by default. It must exceed JWKSMaxAge plus CheckInterval.
	PublishAhead time.Duration
	// MaxTokenLifetime is the longest lifetime of any token signed; 1 hour
	// by default. Issuing refuses longer ones, so a retired key's public
	// half needs to stay published only this long, plus CacheMargin.
	MaxTokenLifetime time.Duration
	// CacheMargin is added to the publication of retired keys for skewed
	// clocks and for replicas that learn late of an early retirement; 1
	// hour by default. It must exceed CheckInterval.
	CacheMargin time.Duration
	// CheckInterval is how often Run reloads the keys, makes the ones
	// needed and deletes expired ones; 1 minute by default.
	CheckInterval time.Duration
	// JWKSMaxAge is the Cache-Control max-age of the JWK Set; 15 minutes
	// by default.
	JWKSMaxAge time.Duration
	// InternalAudience is the "aud" of internal tokens;
	// identity.InternalAudience by default.
	InternalAudience string
	// InternalTokenLifetime is the lifetime of internal tokens that do not
	// ask for another; 5 minutes by default.
	InternalTokenLifetime time.Duration
	// AccessTokenLifetime is the lifetime of access tokens that do not ask
	// for another; 15 minutes by default.
	AccessTokenLifetime time.Duration
	// MaxTokenBytes caps a signed token's length, so that every token
	// issued fits verifiers' limit; identity.DefaultMaxTokenBytes by
	// default.
	MaxTokenBytes int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives key life-cycle events and Run's errors; nil means
	// slog.Default(). No key material is ever logged.
	Logger *slog.Logger
}

// withDefaults returns o with zero fields set to their defaults, or an
// error if the result is inconsistent.
func (o Options) withDefaults() (Options, error) {
	if o.Algorithm == "" {
		o.Algorithm = DefaultAlgorithm
	}
	if o.RSABits == 0 {
		o.RSABits = DefaultRSABits
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&o.RotateEvery, DefaultRotateEvery}, {&o.PublishAhead, DefaultPublishAhead},
		{&o.MaxTokenLifetime, DefaultMaxTokenLifetime}, {&o.CacheMargin, DefaultCacheMargin},
		{&o.CheckInterval, DefaultCheckInterval}, {&o.JWKSMaxAge, DefaultJWKSMaxAge},
		{&o.InternalTokenLifetime, DefaultInternalTokenLifetime}, {&o.AccessTokenLifetime, DefaultAccessTokenLifetime},
	} {
		if *d.v < 0 {
			return o, fmt.Errorf("durations must not be negative, got %v", *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if o.InternalAudience == "" {
		o.InternalAudience = identity.InternalAudience
	}
	if o.MaxTokenBytes == 0 {
		o.MaxTokenBytes = identity.DefaultMaxTokenBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, o.validate()
}

func (o Options) validate() error {
	u, err := url.Parse(o.Issuer)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("issuer %q must be an absolute http or https URL without query or fragment", o.Issuer)
	case !supported(o.Algorithm):
		return fmt.Errorf("algorithm %q is not supported", o.Algorithm)
	case o.RSABits < identity.MinRSABits || o.RSABits > MaxRSABits:
		return fmt.Errorf("rsa bits %d must be %d to %d", o.RSABits, identity.MinRSABits, MaxRSABits)
	case o.PublishAhead <= o.JWKSMaxAge+o.CheckInterval:
		return fmt.Errorf("publish ahead %v must exceed jwks max-age %v plus check interval %v, or caches may not know a key when it starts signing",
			o.PublishAhead, o.JWKSMaxAge, o.CheckInterval)
	case o.RotateEvery <= o.PublishAhead:
		return fmt.Errorf("rotate every %v must exceed publish ahead %v", o.RotateEvery, o.PublishAhead)
	case o.MaxTokenLifetime > o.RotateEvery:
		return fmt.Errorf("max token lifetime %v must not exceed rotate every %v", o.MaxTokenLifetime, o.RotateEvery)
	case o.CacheMargin <= o.CheckInterval:
		return fmt.Errorf("cache margin %v must exceed check interval %v", o.CacheMargin, o.CheckInterval)
	case o.InternalTokenLifetime > o.MaxTokenLifetime || o.AccessTokenLifetime > o.MaxTokenLifetime:
		return fmt.Errorf("default token lifetimes must not exceed max token lifetime %v", o.MaxTokenLifetime)
	case o.MaxTokenBytes < 0:
		return errors.New("max token bytes must not be negative")
	}
	return nil
}

// retention is how long a key stays published after it retires.
func (o Options) retention() time.Duration { return o.MaxTokenLifetime + o.CacheMargin }
