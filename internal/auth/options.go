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
	// as the fragment "#reset_code=...", which browsers never send to servers
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
	// IntrospectScope is the client scope that allows introspection at
	// /oauth2/introspect: of any credential for a client of StaffOrgID, of
	// its own organization's API keys, access and refresh tokens for any
	// other client (a credential of another organization, or a session,
	// is answered inactive). Default "auth:introspect".
	IntrospectScope string
	// Audiences are the resource identifiers (RFC 8707) or audiences the
	// token endpoint mints access tokens for: a client may name some of
	// them with the resource or audience parameter, and anything else is
	// invalid_target. The first is the audience of a token whose request
	// names none. Default [DefaultAudience], the one audience every access
	// token had before there was a choice.
	Audiences []string
	// StaffOrgID is the organization of the operator's staff, whose
	// clients may introspect credentials of every organization. Default
	// "": no client may.
	StaffOrgID string
	// ResetLimits bound password reset requests.
	ResetLimits ResetLimitOptions
	// MailQueue configures the queue that sends mail in the background.
	MailQueue MailQueueOptions
	// Throttle configures brute-force throttling.
	Throttle ThrottleOptions
	// Hasher hashes passwords. Default NewPasswordHasher().
	Hasher *PasswordHasher
	// MaxConcurrentHashes bounds the argon2id computations (password
	// checks and new hashes) running at once in the process, each of
	// which holds Hasher.Params.MemoryKiB of memory while it runs. 0
	// takes DefaultMaxConcurrentHashes for Hasher's memory cost: a
	// quarter of the memory the process may use (GOMEMLIMIT, else the
	// cgroup's limit, else physical memory) divided by that cost, at
	// least 2 and at most twice GOMAXPROCS.
	MaxConcurrentHashes int
	// HashWait is how long a sign-in waits for one of
	// MaxConcurrentHashes before it is refused with a *BusyError (503
	// with Retry-After). Default 2 seconds.
	HashWait time.Duration
	// Now returns the current time. Default time.Now.
	Now func() time.Time
	// Logger receives the service's logs. Default slog.Default().
	Logger *slog.Logger
	// Mailer sends password reset mails, always through the service's
	// queue (see MailQueue), never while a request waits. Default: none,
	// every mail fails with ErrNoMailer (a reset link must never reach a
	// log by accident; a LogMailer is for development, chosen on purpose).
	Mailer Mailer
}

// ResetLimitOptions bound password reset requests, counted in the database
// over Window so that every replica sees the same counts:
//
//   - PerClient requests from one client address (default 20 per hour);
//     further ones get ErrThrottled with the time until the oldest counted
//     request leaves the window. The answer depends only on what that
//     address did, never on whether the addresses asked for exist.
//   - PerAddress mails to one e-mail address (default 3 per hour), known
//     or not; further requests are answered exactly as the others but send
//     nothing, so neither the limit nor its answer tells an attacker
//     anything about the address, and nobody can flood a mailbox.
type ResetLimitOptions struct {
	// Window is the period requests are counted over. Default 1 hour.
	Window time.Duration
	// PerAddress is how many requests per address in Window send mail.
	// Default 3.
	PerAddress int
	// PerClient is how many requests per client address in Window are
	// accepted. Default 20.
	PerClient int
}

// ThrottleOptions configure brute-force throttling of sign-in. Every
// attempt is counted in the database before its password or code is
// checked, atomically, so concurrent attempts cannot all slip past one
// check; an attempt that turns out right is taken back (it was no
// failure). Each key lets its first Free attempts through and then makes
// every further one wait Base·2^(n−Free) after the key's latest, capped
// at Max:
//
//   - the pair (account, address) is the hard lockout: an attacker
//     guessing one account from one address soon waits Max between
//     guesses (defaults: 5 free, 1 s doubling to 5 min);
//   - the address across accounts catches password spraying, but many
//     people may share an address (an office behind NAT), so it is much
//     looser than the pair (defaults: 100 free, 1 s doubling to 5 min);
//   - the account across addresses slows distributed guessing but is kept
//     short, so an attacker cannot lock the real user out (defaults: 10
//     free, 1 s doubling to 30 s). It applies only to addresses that have
//     failed recently themselves, until the account reaches AccountHard
//     failures (default 100), after which it applies to every address: at
//     worst the real user waits AccountMax;
//   - an identity's second factor, across addresses and challenges, is
//     the bound on guessing a TOTP code once the password is known
//     (defaults: 5 free, 1 s doubling to 1 h, reset after
//     SecondFactorWindow of 24 h without an attempt): a right code takes
//     back only its own count, and a right password nothing of it, so at
//     most 39 codes can be tried in the first day and 24 a day after that
//     (see docs/security.md);
//   - an identity's challenges: at most ChallengeCap (default 10) sign-ins
//     with the right password may ask for the second factor per
//     ChallengeWindow (default 1 h).
//
// The pair, address and account keys reset once they have been quiet for
// Window (default 15 min), so no lockout is permanent. A sign-in that
// succeeds, second factor included, clears its pairs and its identity's
// challenges; nothing else clears a count.
//
// HotAddressFailures and HotAddressWindow make the service warn (at most
// once a HotAddressWindow) when one address makes at least
// HotAddressFailures of the sign-in failures of a HotAddressWindow and
// more than half of them (defaults: 20 in 1 min), counted in each process.
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

	SecondFactorFree   int
	SecondFactorBase   time.Duration
	SecondFactorMax    time.Duration
	SecondFactorWindow time.Duration
	ChallengeCap       int
	ChallengeWindow    time.Duration

	HotAddressFailures int
	HotAddressWindow   time.Duration
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
		HashWait:                2 * time.Second,
		ResetLimits:             ResetLimitOptions{Window: time.Hour, PerAddress: 3, PerClient: 20},
		MailQueue:               DefaultMailQueueOptions(),
	}
}

// DefaultThrottleOptions returns the defaults documented on
// ThrottleOptions.
func DefaultThrottleOptions() ThrottleOptions {
	return ThrottleOptions{
		Window:   15 * time.Minute,
		PairFree: 5, PairBase: time.Second, PairMax: 5 * time.Minute,
		IPFree: 100, IPBase: time.Second, IPMax: 5 * time.Minute,
		AccountFree: 10, AccountBase: time.Second, AccountMax: 30 * time.Second,
		AccountHard: 100,

		SecondFactorFree: 5, SecondFactorBase: time.Second, SecondFactorMax: time.Hour, SecondFactorWindow: 24 * time.Hour,
		ChallengeCap: 10, ChallengeWindow: time.Hour,

		HotAddressFailures: 20, HotAddressWindow: time.Minute,
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
	setDur(&o.HashWait, d.HashWait)
	if o.CookieName == "" {
		o.CookieName = d.CookieName
	}
	if len(o.Audiences) == 0 {
		o.Audiences = []string{DefaultAudience}
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
	setDur(&o.ResetLimits.Window, d.ResetLimits.Window)
	if o.ResetLimits.PerAddress == 0 {
		o.ResetLimits.PerAddress = d.ResetLimits.PerAddress
	}
	if o.ResetLimits.PerClient == 0 {
		o.ResetLimits.PerClient = d.ResetLimits.PerClient
	}
	o.MailQueue = o.MailQueue.withDefaults()
	if o.Hasher == nil {
		o.Hasher = NewPasswordHasher()
	}
	if o.MaxConcurrentHashes <= 0 {
		o.MaxConcurrentHashes = DefaultMaxConcurrentHashes(o.Hasher.Params.MemoryKiB)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Mailer == nil {
		o.Mailer = noMailer{}
	}
	return o
}

func (t ThrottleOptions) withDefaults() ThrottleOptions {
	d := DefaultThrottleOptions()
	for _, f := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&t.Window, d.Window}, {&t.PairBase, d.PairBase}, {&t.PairMax, d.PairMax}, {&t.IPBase, d.IPBase},
		{&t.IPMax, d.IPMax}, {&t.AccountBase, d.AccountBase}, {&t.AccountMax, d.AccountMax},
		{&t.SecondFactorBase, d.SecondFactorBase}, {&t.SecondFactorMax, d.SecondFactorMax},
		{&t.SecondFactorWindow, d.SecondFactorWindow}, {&t.ChallengeWindow, d.ChallengeWindow},
		{&t.HotAddressWindow, d.HotAddressWindow}} {
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	for _, f := range []struct {
		v   *int
		def int
	}{{&t.PairFree, d.PairFree}, {&t.IPFree, d.IPFree}, {&t.AccountFree, d.AccountFree}, {&t.AccountHard, d.AccountHard},
		{&t.SecondFactorFree, d.SecondFactorFree}, {&t.ChallengeCap, d.ChallengeCap},
		{&t.HotAddressFailures, d.HotAddressFailures}} {
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	return t
}
