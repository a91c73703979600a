package auth

import (
	"log/slog"
	"time"
)

// Options configure a Service. A zero field takes the value DefaultOptions
// gives it, so Options{} is a working configuration.
type Options struct {
	// SessionIdleLifetime ends a session that is not used for this long.
	// Default 30 minutes (OWASP's session management guidance allows 15
	// to 30 minutes for ordinary applications).
	SessionIdleLifetime time.Duration
	// SessionAbsoluteLifetime ends every session this long after sign-in,
	// however active. Default 12 hours (a working day).
	SessionAbsoluteLifetime time.Duration
	// CookieName is the session cookie's name. Default
	// "__Host-portico_session": the __Host- prefix makes browsers refuse
	// it unless it is Secure, has Path=/ and no Domain.
	CookieName string
	// AccessTokenLifetime is the life of OAuth access tokens. Default 5
	// minutes.
	AccessTokenLifetime time.Duration
	// InternalTokenLifetime is the life of internal tokens. Default 2
	// minutes.
	InternalTokenLifetime time.Duration
	// ExchangeCacheTTL is the most the gateway may cache an exchange
	// result; it bounds how late a revocation takes effect. Default 30
	// seconds; never more than the internal token's remaining life.
	ExchangeCacheTTL time.Duration
	// RefreshTokenLifetime is the life of each refresh token. Default 30
	// days.
	RefreshTokenLifetime time.Duration
	// RefreshGrace is how long after a refresh token is used a second use
	// of it returns the same successor instead of counting as reuse (which
	// revokes the whole family). Default 10 seconds.
	RefreshGrace time.Duration
	// ChallengeLifetime is how long a sign-in waits for its second factor.
	// Default 5 minutes.
	ChallengeLifetime time.Duration
	// ChallengeMaxAttempts is how many wrong codes burn a challenge.
	// Default 5.
	ChallengeMaxAttempts int
	// ResetTokenLifetime is the life of a password reset token. Default 30
	// minutes.
	ResetTokenLifetime time.Duration
	// ResetURL is the page a reset mail links to; the token is appended
	// as the fragment "#token=...", which browsers never send to servers
	// or in Referer headers. Default "http://localhost:8080/reset-password".
	ResetURL string
	// APIKeyMaxLifetime caps the expiry of new API keys; a request without
	// one gets this. 0 takes the default, 365 days; negative allows keys
	// that never expire.
	APIKeyMaxLifetime time.Duration
	// RequireTOTPForStaff withholds staff rights from identities without a
	// confirmed TOTP authenticator. Default false.
	RequireTOTPForStaff bool
	// TOTPIssuer names the service in authenticator apps. Default
	// "Portico".
	TOTPIssuer string
	// SecretKey, 32 bytes, encrypts TOTP secrets at rest with AES-256-GCM.
	// Nil stores them unencrypted: acceptable only for local use.
	SecretKey []byte
	// IntrospectScope is the client scope that allows introspecting any
	// credential at /oauth2/introspect. Default "auth:introspect".
	IntrospectScope string
	// Throttle configures brute-force throttling.
	Throttle ThrottleOptions
	// Hasher hashes passwords. Default NewPasswordHasher().
	Hasher *PasswordHasher
	// Now returns the current time. Default time.Now.
	Now func() time.Time
	// Logger receives the service's logs. Default slog.Default().
	Logger *slog.Logger
	// Mailer sends password reset mails. Default a LogMailer on Logger.
	Mailer Mailer
}

// ThrottleOptions configure brute-force throttling of sign-in. Failures
// are counted in the database over Window for three keys; each key lets
// its first Free failures through and then makes every further attempt
// wait Base·2^(n−Free) after the key's latest failure, capped at Max:
//
//   - the pair (account, address) is the hard lockout: an attacker
//     guessing one account from one address soon waits Max between
//     guesses (defaults: 5 free, 1 s doubling to 5 min);
//   - the address across accounts catches password spraying (defaults: 20
//     free, 1 s doubling to 15 min);
//   - the account across addresses slows distributed guessing but is kept
//     short, so an attacker cannot lock the real user out (defaults: 10
//     free, 1 s doubling to 30 s). It applies only to addresses that have
//     failed recently themselves, until the account reaches AccountHard
//     failures (default 100), after which it applies to every address: at
//     worst the real user waits AccountMax.
//
// Every delay ends once the failures age out of Window, so no lockout is
// permanent; a successful sign-in clears its pair.
type ThrottleOptions struct {
	Window      time.Duration
	PairFree    int
	PairBase    time.Duration
	PairMax     time.Duration
	IPFree      int
	IPBase      time.Duration
	IPMax       time.Duration
	AccountFree int
	AccountBase time.Duration
	AccountMax  time.Duration
	AccountHard int
}

// DefaultOptions returns the defaults documented on Options' fields.
func DefaultOptions() Options {
	return Options{
		SessionIdleLifetime:     30 * time.Minute,
		SessionAbsoluteLifetime: 12 * time.Hour,
		CookieName:              "__Host-portico_session",
		AccessTokenLifetime:     5 * time.Minute,
		InternalTokenLifetime:   2 * time.Minute,
		ExchangeCacheTTL:        30 * time.Second,
		RefreshTokenLifetime:    30 * 24 * time.Hour,
		RefreshGrace:            10 * time.Second,
		ChallengeLifetime:       5 * time.Minute,
		ChallengeMaxAttempts:    5,
		ResetTokenLifetime:      30 * time.Minute,
		ResetURL:                "http://localhost:8080/reset-password",
		APIKeyMaxLifetime:       365 * 24 * time.Hour,
		TOTPIssuer:              "Portico",
		IntrospectScope:         "auth:introspect",
		Throttle:                DefaultThrottleOptions(),
	}
}

// DefaultThrottleOptions returns the defaults documented on
// ThrottleOptions.
func DefaultThrottleOptions() ThrottleOptions {
	return ThrottleOptions{
		Window:   15 * time.Minute,
		PairFree: 5, PairBase: time.Second, PairMax: 5 * time.Minute,
		IPFree: 20, IPBase: time.Second, IPMax: 15 * time.Minute,
		AccountFree: 10, AccountBase: time.Second, AccountMax: 30 * time.Second,
		AccountHard: 100,
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setDur(&o.SessionIdleLifetime, d.SessionIdleLifetime)
	setDur(&o.SessionAbsoluteLifetime, d.SessionAbsoluteLifetime)
	setDur(&o.AccessTokenLifetime, d.AccessTokenLifetime)
	setDur(&o.InternalTokenLifetime, d.InternalTokenLifetime)
	setDur(&o.ExchangeCacheTTL, d.ExchangeCacheTTL)
	setDur(&o.RefreshTokenLifetime, d.RefreshTokenLifetime)
	setDur(&o.RefreshGrace, d.RefreshGrace)
	setDur(&o.ChallengeLifetime, d.ChallengeLifetime)
	setDur(&o.ResetTokenLifetime, d.ResetTokenLifetime)
	setDur(&o.APIKeyMaxLifetime, d.APIKeyMaxLifetime)
	if o.CookieName == "" {
		o.CookieName = d.CookieName
	}
	if o.ChallengeMaxAttempts == 0 {
		o.ChallengeMaxAttempts = d.ChallengeMaxAttempts
	}
	if o.ResetURL == "" {
		o.ResetURL = d.ResetURL
	}
	if o.TOTPIssuer == "" {
		o.TOTPIssuer = d.TOTPIssuer
	}
	if o.IntrospectScope == "" {
		o.IntrospectScope = d.IntrospectScope
	}
	o.Throttle = o.Throttle.withDefaults()
	if o.Hasher == nil {
		o.Hasher = NewPasswordHasher()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Mailer == nil {
		o.Mailer = NewLogMailer(o.Logger)
	}
	return o
}

func (t ThrottleOptions) withDefaults() ThrottleOptions {
	d := DefaultThrottleOptions()
	for _, f := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&t.Window, d.Window}, {&t.PairBase, d.PairBase}, {&t.PairMax, d.PairMax}, {&t.IPBase, d.IPBase},
		{&t.IPMax, d.IPMax}, {&t.AccountBase, d.AccountBase}, {&t.AccountMax, d.AccountMax}} {
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	for _, f := range []struct {
		v   *int
		def int
	}{{&t.PairFree, d.PairFree}, {&t.IPFree, d.IPFree}, {&t.AccountFree, d.AccountFree}, {&t.AccountHard, d.AccountHard}} {
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	return t
}
