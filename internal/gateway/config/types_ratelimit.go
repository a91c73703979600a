package config

import (
	"strings"
	"time"
)

// RateLimits declares the gateway's rate limit policies once, where their
// state is kept, and which of them apply to every route. Routes name more
// with their rate_limits key.
type RateLimits struct {
	// Store keeps the limiters' state: in memory (one replica) or in
	// Redis (shared by every replica).
	Store RateLimitStore `yaml:"store"`
	// Policies are the policies, by name.
	Policies map[string]*RateLimitPolicy `yaml:"policies"`
	// DefaultPolicies apply to every route that does not say
	// skip_default_rate_limits: true. Empty (the default) applies none.
	DefaultPolicies []string `yaml:"default_policies"`
	// IPv6Prefix is how many leading bits of an IPv6 client address the
	// client_address key part counts by, since one subscriber commonly
	// holds a whole /64 and could otherwise take a fresh limit per
	// address. Default 64; 128 counts each address.
	IPv6Prefix int `yaml:"ipv6_prefix"`
}

// RateLimitStore says where rate limit state is kept.
type RateLimitStore struct {
	// Kind is memory (the default: each replica limits on its own) or
	// redis (replicas share every limit).
	Kind string `yaml:"kind"`
	// MaxKeys caps the keys the in-memory limiter tracks: the memory
	// store's, or the local floor beside Redis (and, apart, the keys
	// holding leases). Keys idle long enough to
	// have their whole burst back are dropped first. Default 100000.
	MaxKeys int `yaml:"max_keys"`
	// Redis is the Redis server of kind redis; nil otherwise.
	Redis *RedisStore `yaml:"redis"`
}

// RedisStore is the Redis server shared rate limits are kept in.
type RedisStore struct {
	// Addr is the server's host:port.
	Addr string `yaml:"addr"`
	// Username authenticates with Redis ACLs; empty uses the default user.
	Username string `yaml:"username"`
	// PasswordFile is the absolute path of a file holding the password
	// (one line; surrounding whitespace is ignored), read at start and on
	// reload. Empty sends no password.
	PasswordFile string `yaml:"password_file"`
	// DB is the database number. Default 0.
	DB int `yaml:"db"`
	// KeyPrefix starts every key the gateway writes. Default "portico:rl:".
	KeyPrefix string `yaml:"key_prefix"`
	// Timeout bounds one decision at Redis, connecting included; beyond
	// it the decision counts as a failure. Default 50ms.
	Timeout Duration `yaml:"timeout"`
	// PoolSize caps the connections to Redis per gateway replica. Default 32.
	PoolSize int `yaml:"pool_size"`
	// OnError says what happens while Redis cannot decide (it fails, is
	// too slow, or its breaker is open): open (the default) lets the
	// replica's own in-memory limiter decide alone; closed refuses
	// requests on limited routes with 503.
	OnError string `yaml:"on_error"`
	// Breaker stops asking Redis for a while after it fails repeatedly.
	Breaker RedisBreaker `yaml:"breaker"`
	// LeaseTime bounds the leases of policies with lease: auto: a lease
	// holds at most the requests the policy's rate grants in this time, so
	// that its requests are spent (or given up) within it. Default 100ms.
	LeaseTime Duration `yaml:"lease_time"`
}

// RedisBreaker is the circuit breaker around Redis.
type RedisBreaker struct {
	// Failures is the number of consecutive failed decisions that opens
	// the breaker. Default 3.
	Failures int `yaml:"failures"`
	// CoolDown is how long the breaker stays open, asking Redis nothing,
	// before one request probes it. Default 5s.
	CoolDown Duration `yaml:"cool_down"`
}

// RateLimitPolicy is one rate limit: a key that names whom it counts,
// and a rate with a burst.
type RateLimitPolicy struct {
	// Name is the policy's key in the policies map.
	Name string `yaml:"-"`
	// Key lists what the limit is counted per: subject, api_key,
	// organization, client_address, route, header:NAME, claim:NAME. Two
	// requests share a limit when every part is equal.
	Key []string `yaml:"key"`
	// Rate is the sustained rate, as in 100/s or 600/m.
	Rate Rate `yaml:"rate"`
	// Burst is the number of requests admitted at once after a quiet
	// period. Default: the rate's count.
	Burst int `yaml:"burst"`
	// OnMissing says what happens when a part of the key is absent (no
	// subject on a public route, no such header): client_address (the
	// default) counts that part by the client's address instead; skip
	// leaves the request out of this policy.
	OnMissing string `yaml:"on_missing"`
	// Lease is, with the Redis store, how many of a key's requests a
	// replica takes from Redis at once, to spend in memory: auto (the
	// default) takes a tenth of the burst, at most what the rate grants
	// in store.redis.lease_time, and at least 1; off (or 1) asks Redis for
	// every request; a number takes that many, at most the burst. Only
	// with kind redis.
	Lease string `yaml:"lease"`
}

// LeaseSize returns the lease of p: auto, or its size (1 for off). p must
// have been validated.
func (p *RateLimitPolicy) LeaseSize() (n int64, auto bool) {
	switch p.Lease {
	case LeaseAuto, "":
		return 0, true
	case LeaseOff:
		return 1, false
	}
	n, _ = parseDecimal(p.Lease)
	return n, false
}

// Rate limit defaults and values.
const (
	// RateLimitStoreMemory and RateLimitStoreRedis are the values of
	// rate_limits.store.kind.
	RateLimitStoreMemory    = "memory"
	RateLimitStoreRedis     = "redis"
	DefaultRateLimitStore   = RateLimitStoreMemory
	DefaultRateLimitMaxKeys = 100000
	DefaultIPv6Prefix       = 64

	DefaultRedisKeyPrefix       = "portico:rl:"
	DefaultRedisTimeout         = Duration(50 * time.Millisecond)
	DefaultRedisPoolSize        = 32
	DefaultRedisBreakerFailures = 3
	DefaultRedisBreakerCoolDown = Duration(5 * time.Second)
	DefaultRedisLeaseTime       = Duration(100 * time.Millisecond)
	// MaxRedisLeaseTime caps rate_limits.store.redis.lease_time.
	MaxRedisLeaseTime = Duration(10 * time.Second)

	// LeaseAuto and LeaseOff are the words a policy's lease takes besides
	// a number.
	LeaseAuto    = "auto"
	LeaseOff     = "off"
	DefaultLease = LeaseAuto

	// OnErrorOpen and OnErrorClosed are the values of
	// rate_limits.store.redis.on_error.
	OnErrorOpen         = "open"
	OnErrorClosed       = "closed"
	DefaultRedisOnError = OnErrorOpen

	// OnMissingClientAddress and OnMissingSkip are the values of a
	// policy's on_missing.
	OnMissingClientAddress = "client_address"
	OnMissingSkip          = "skip"
	DefaultOnMissing       = OnMissingClientAddress

	// MaxRateLimitsPerRoute caps the policies that apply to one route,
	// defaults included: each costs a key in every decision.
	MaxRateLimitsPerRoute = 8
	// MaxBurstRefill caps the time a policy takes to refill its whole
	// burst (burst × period ÷ count), and so how long a key is kept.
	MaxBurstRefill = 7 * 24 * time.Hour
)

// Key parts of a rate limit policy.
const (
	KeySubject       = "subject"
	KeyAPIKey        = "api_key"
	KeyOrganization  = "organization"
	KeyClientAddress = "client_address"
	KeyRoute         = "route"
	// KeyHeaderPrefix and KeyClaimPrefix start the parts that name a
	// request header or a claim of the caller's internal token.
	KeyHeaderPrefix = "header:"
	KeyClaimPrefix  = "claim:"
)

// rateLimitDefaults fills the rate_limits block, when present.
func rateLimitDefaults(c *Config) {
	rl := c.RateLimits
	if rl == nil {
		return
	}
	setInt(&rl.IPv6Prefix, DefaultIPv6Prefix)
	s := &rl.Store
	setString(&s.Kind, DefaultRateLimitStore)
	setInt(&s.MaxKeys, DefaultRateLimitMaxKeys)
	if r := s.Redis; r != nil {
		setString(&r.KeyPrefix, DefaultRedisKeyPrefix)
		setDuration(&r.Timeout, DefaultRedisTimeout)
		setInt(&r.PoolSize, DefaultRedisPoolSize)
		setString(&r.OnError, DefaultRedisOnError)
		setInt(&r.Breaker.Failures, DefaultRedisBreakerFailures)
		setDuration(&r.Breaker.CoolDown, DefaultRedisBreakerCoolDown)
		setDuration(&r.LeaseTime, DefaultRedisLeaseTime)
	}
	for name, p := range rl.Policies {
		if p == nil {
			continue
		}
		p.Name = name
		if p.Burst == 0 && p.Rate.Count > 0 && p.Rate.Count <= int64(^uint(0)>>1) {
			p.Burst = int(p.Rate.Count)
		}
		setString(&p.OnMissing, DefaultOnMissing)
		if s.Kind == RateLimitStoreRedis {
			// Leases exist only at Redis; with the memory store, a lease
			// given is refused rather than defaulted.
			setString(&p.Lease, DefaultLease)
		}
	}
}

// RouteRateLimits returns the names of the policies that apply to r, in
// the order they are checked: the default policies (unless r skips them),
// then r's own. c must have been validated.
func (c *Config) RouteRateLimits(r *Route) []string {
	var out []string
	if c.RateLimits != nil && !r.SkipDefaultRateLimits {
		out = append(out, c.RateLimits.DefaultPolicies...)
	}
	return append(out, r.RateLimits...)
}

// KeyPartHeader returns the header a key part names, for header:NAME.
func KeyPartHeader(part string) (string, bool) { return strings.CutPrefix(part, KeyHeaderPrefix) }

// KeyPartClaim returns the claim a key part names, for claim:NAME.
func KeyPartClaim(part string) (string, bool) { return strings.CutPrefix(part, KeyClaimPrefix) }
