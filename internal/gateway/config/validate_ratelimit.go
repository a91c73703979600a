package config

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxRedisTimeout caps rate_limits.store.redis.timeout: a decision waits
// for Redis in the request path, so every request on a limited route
// waits this long while Redis is slow, until the breaker opens.
const MaxRedisTimeout = Duration(time.Second)

// credentialHeaders carry credentials; their values must not become rate
// limit keys, which are kept in Redis and named in logs. api_key and
// subject count callers without the secret.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie"}

// forwardingHeaders carry a client's claimed address; a key part naming
// one would let any client choose its own limit. client_address believes
// them only from server.trusted_proxies.
var forwardingHeaders = []string{
	"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port",
	"X-Forwarded-Prefix", "X-Forwarded-Server", "X-Real-Ip", "X-Client-Ip", "True-Client-Ip",
	"X-Original-Forwarded-For", "X-Cluster-Client-Ip", "Cf-Connecting-Ip",
}

// keyParts are the fixed key parts, for suggestions.
var keyParts = []string{KeySubject, KeyAPIKey, KeyOrganization, KeyClientAddress, KeyRoute}

// rateLimits checks the rate_limits block and the routes' rate_limits
// and skip_default_rate_limits keys.
func (v *validator) rateLimits() {
	rl := v.c.RateLimits
	if rl != nil {
		v.rateLimitStore("rate_limits.store", &rl.Store)
		if rl.IPv6Prefix < 16 || rl.IPv6Prefix > 128 {
			v.errorf("rate_limits.ipv6_prefix", "%d is outside 16 to 128", rl.IPv6Prefix)
		}
		if len(rl.Policies) == 0 {
			v.errorf("rate_limits.policies", "no policies; define at least one, or remove rate_limits")
		}
		names := make([]string, 0, len(rl.Policies))
		for name := range rl.Policies {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			v.rateLimitPolicy(joinKey("rate_limits.policies", name), name, rl.Policies[name])
		}
		if rl.DefaultPolicies != nil {
			if len(rl.DefaultPolicies) == 0 {
				v.errorf("rate_limits.default_policies", "empty list; name the policies every route gets, or leave default_policies out")
			}
			v.policyNames("rate_limits.default_policies", rl.DefaultPolicies, nil)
			if len(rl.DefaultPolicies) > MaxRateLimitsPerRoute {
				v.errorf("rate_limits.default_policies", "%d policies; at most %d may apply to a route", len(rl.DefaultPolicies), MaxRateLimitsPerRoute)
			}
		}
	}
	for i, r := range v.c.Routes {
		if r != nil {
			v.routeRateLimits(joinIndex("routes", i), r)
		}
	}
}

func (v *validator) rateLimitStore(path string, s *RateLimitStore) {
	switch s.Kind {
	case RateLimitStoreMemory:
		if s.Redis != nil {
			v.errorf(path+".redis", "given, but %s.kind is %s; set kind: %s, or remove redis", path, s.Kind, RateLimitStoreRedis)
		}
	case RateLimitStoreRedis:
		if s.Redis == nil {
			v.errorf(path+".kind", "kind %s needs %s.redis with the server's addr", s.Kind, path)
		}
	default:
		v.errorf(path+".kind", "unknown kind %q; use %s or %s%s", s.Kind, RateLimitStoreMemory, RateLimitStoreRedis,
			didYouMean(s.Kind, []string{RateLimitStoreMemory, RateLimitStoreRedis}))
	}
	if s.MaxKeys < 1 {
		v.errorf(path+".max_keys", "must be at least 1")
	}
	if s.Redis != nil {
		v.redisStore(path+".redis", s.Redis)
	}
}

func (v *validator) redisStore(path string, r *RedisStore) {
	switch host, port, msg := splitHostPort(r.Addr); {
	case r.Addr == "":
		v.errorf(path+".addr", "missing; give the Redis server's host:port, such as redis.portico.svc:6379")
	case msg != "":
		v.errorf(path+".addr", "%s", strings.Replace(msg, "(as in \":8080\" or \"127.0.0.1:9090\")", "(as in \"redis:6379\")", 1))
	case host == "":
		v.errorf(path+".addr", "%q has no host; write host:port, such as redis:6379", r.Addr)
	case port == "0":
		v.errorf(path+".addr", "%q: port must be a number from 1 to 65535", r.Addr)
	}
	for i := 0; i < len(r.Username); i++ {
		if c := r.Username[i]; c <= ' ' || c == 0x7f {
			v.errorf(path+".username", "must not contain spaces or control characters")
			break
		}
	}
	if f := r.PasswordFile; f != "" {
		switch {
		case strings.ContainsRune(f, 0):
			v.errorf(path+".password_file", "must not contain a NUL byte")
		case !filepath.IsAbs(f):
			v.errorf(path+".password_file", "%q is not an absolute path; give the full path of the file holding the password, "+
				"such as /var/run/secrets/redis/password", f)
		}
	}
	if r.DB < 0 {
		v.errorf(path+".db", "must not be negative")
	}
	switch {
	case r.KeyPrefix == "":
		v.errorf(path+".key_prefix", "must not be empty")
	case len(r.KeyPrefix) > 64:
		v.errorf(path+".key_prefix", "longer than 64 bytes")
	case !validHeaderValue(r.KeyPrefix):
		v.errorf(path+".key_prefix", "must not contain control characters")
	}
	if v.positive(path+".timeout", r.Timeout) && r.Timeout > MaxRedisTimeout {
		v.errorf(path+".timeout", "%s is longer than %s: every request on a limited route would wait that long while Redis is slow", r.Timeout, MaxRedisTimeout)
	}
	if r.PoolSize < 1 {
		v.errorf(path+".pool_size", "must be at least 1")
	}
	switch r.OnError {
	case OnErrorOpen, OnErrorClosed:
	default:
		v.errorf(path+".on_error", "unknown value %q; use %s (the replica's own limiter decides) or %s (refuse with 503)%s",
			r.OnError, OnErrorOpen, OnErrorClosed, didYouMean(r.OnError, []string{OnErrorOpen, OnErrorClosed}))
	}
	if r.Breaker.Failures < 1 {
		v.errorf(path+".breaker.failures", "must be at least 1")
	}
	v.positive(path+".breaker.cool_down", r.Breaker.CoolDown)
	if v.positive(path+".lease_time", r.LeaseTime) && r.LeaseTime > MaxRedisLeaseTime {
		v.errorf(path+".lease_time", "%s is longer than %s: a lease would keep that much of a key's rate from the other replicas", r.LeaseTime, MaxRedisLeaseTime)
	}
}

func (v *validator) rateLimitPolicy(path, name string, p *RateLimitPolicy) {
	if !validServiceName(name) {
		v.errorf(path, "invalid policy name %q; use up to %d letters, digits, '-' and '_', starting with a letter or digit", name, MaxServiceNameLen)
	}
	if p == nil {
		v.errorf(path, "missing policy definition")
		return
	}
	v.rateLimitKey(path+".key", p.Key)
	if p.Rate.Count <= 0 || p.Rate.Period <= 0 {
		v.errorf(path+".rate", "missing; write requests per period, such as 100/s or 600/m")
	} else {
		switch {
		case p.Burst < 1:
			v.errorf(path+".burst", "must be at least 1")
		case int64(p.Burst) > int64(MaxBurstRefill/p.Rate.Interval()):
			v.errorf(path+".burst", "%d at %s takes longer than %s to refill; lower the burst or raise the rate",
				p.Burst, p.Rate, shortDuration(MaxBurstRefill))
		}
	}
	switch p.OnMissing {
	case OnMissingClientAddress, OnMissingSkip:
	default:
		v.errorf(path+".on_missing", "unknown value %q; use %s or %s%s", p.OnMissing, OnMissingClientAddress, OnMissingSkip,
			didYouMean(p.OnMissing, []string{OnMissingClientAddress, OnMissingSkip}))
	}
	v.rateLimitLease(path+".lease", p)
}

// rateLimitLease checks a policy's lease.
func (v *validator) rateLimitLease(path string, p *RateLimitPolicy) {
	if p.Lease == "" {
		return
	}
	if v.c.RateLimits.Store.Kind != RateLimitStoreRedis {
		v.errorf(path, "has no effect: leases are taken from Redis, and rate_limits.store.kind is %s; remove it", v.c.RateLimits.Store.Kind)
		return
	}
	switch p.Lease {
	case LeaseAuto, LeaseOff:
		return
	}
	n, ok := parseDecimal(p.Lease)
	switch {
	case !ok && isInteger(p.Lease):
		v.errorf(path, "%s: a lease is at least 1 request (1 is the same as %s)", p.Lease, LeaseOff)
	case !ok:
		v.errorf(path, "unknown value %q; use %s, %s or a number of requests such as 10%s", p.Lease, LeaseAuto, LeaseOff,
			didYouMean(p.Lease, []string{LeaseAuto, LeaseOff}))
	case p.Burst > 0 && n > int64(p.Burst):
		v.errorf(path, "%d is more than the burst (%d): a lease takes at most the whole burst; lower it, or use %s", n, p.Burst, LeaseAuto)
	}
}

// rateLimitKey checks a policy's key parts.
func (v *validator) rateLimitKey(path string, key []string) {
	if len(key) == 0 {
		v.errorf(path, "missing; list what the limit counts per, such as [client_address] or [subject]")
		return
	}
	seen := map[string]int{}
	for i, part := range key {
		p := joinIndex(path, i)
		if !v.keyPart(p, part) {
			continue
		}
		id := part
		if h, ok := KeyPartHeader(part); ok {
			id = KeyHeaderPrefix + canonicalHeader(h)
		}
		if j, dup := seen[id]; dup {
			v.errorf(p, "%q is listed twice (also %s)", part, joinIndex(path, j))
			continue
		}
		seen[id] = i
	}
}

// keyPart checks one key part and reports whether it is valid.
func (v *validator) keyPart(path, part string) bool {
	needsAuth := false
	switch {
	case part == KeyClientAddress || part == KeyRoute:
	case part == KeySubject || part == KeyAPIKey || part == KeyOrganization:
		needsAuth = true
	case strings.HasPrefix(part, KeyHeaderPrefix):
		h, _ := KeyPartHeader(part)
		return v.keyHeader(path, h)
	case strings.HasPrefix(part, KeyClaimPrefix):
		c, _ := KeyPartClaim(part)
		if !validClaimName(c) {
			v.errorf(path, "%q: name a claim of the caller's internal token after claim:, using letters, digits, '_', '-' and '.', as in claim:client_id", part)
			return false
		}
		needsAuth = true
	default:
		v.errorf(path, "unknown key part %q; use %s, header:NAME or claim:NAME%s", part,
			strings.Join(keyParts, ", "), didYouMean(part, keyParts))
		return false
	}
	if needsAuth && v.c.Auth == nil {
		v.errorf(path, "%s needs the top-level auth block: without it the gateway knows no caller, and every request would count by its client address", part)
		return false
	}
	return true
}

// keyHeader checks the header a key part names.
func (v *validator) keyHeader(path, h string) bool {
	c := canonicalHeader(h)
	switch {
	case !validToken(h):
		v.errorf(path, "%q is not a valid header name", h)
	case slices.Contains(credentialHeaders, c) || (v.c.Auth != nil && v.c.Auth.APIKeyHeader != "" && c == canonicalHeader(v.c.Auth.APIKeyHeader)):
		v.errorf(path, "%s carries credentials, which must not become keys; count callers with subject or api_key", h)
	case slices.Contains(forwardingHeaders, c):
		v.errorf(path, "%s is written by clients as they please; use client_address, which believes forwarding headers only from server.trusted_proxies", h)
	case strings.HasPrefix(canonicalHeader(strings.ReplaceAll(h, "_", "-")), identityHeaderPrefix):
		v.errorf(path, "%s is removed from every client's request (only the gateway sets %s* headers); use subject or claim:NAME", h, identityHeaderPrefix)
	case strings.Contains(h, "_") && v.c.Server.UnderscoreHeaders != UnderscorePass:
		v.errorf(path, "%s has '_' in its name: such fields never reach the gateway's routes unless server.underscore_headers is %s", h, UnderscorePass)
	default:
		return true
	}
	return false
}

// isInteger reports whether s is a decimal integer, signed or not.
func isInteger(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// validClaimName reports whether s is a claim name: ASCII letters,
// digits, '_', '-' and '.', at most 64 bytes.
func validClaimName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// policyNames checks a list of policy names: each defined and listed
// once. also, when set, are the names that already apply by another list,
// which a name must not repeat.
func (v *validator) policyNames(path string, names []string, also []string) {
	var known []string
	if rl := v.c.RateLimits; rl != nil {
		for n := range rl.Policies {
			known = append(known, n)
		}
		slices.Sort(known)
	}
	seen := map[string]int{}
	for i, n := range names {
		p := joinIndex(path, i)
		switch {
		case n == "":
			v.errorf(p, "must not be empty")
			continue
		case !slices.Contains(known, n):
			v.errorf(p, "no policy named %q in rate_limits.policies%s", n, didYouMean(n, known))
			continue
		case slices.Contains(also, n):
			v.errorf(p, "%q already applies as one of rate_limits.default_policies; remove it here, or set skip_default_rate_limits: true", n)
			continue
		}
		if j, dup := seen[n]; dup {
			v.errorf(p, "%q is listed twice (also %s)", n, joinIndex(path, j))
			continue
		}
		seen[n] = i
	}
}

// routeRateLimits checks a route's rate_limits and
// skip_default_rate_limits.
func (v *validator) routeRateLimits(path string, r *Route) {
	rl := v.c.RateLimits
	var defaults []string
	if rl != nil {
		defaults = rl.DefaultPolicies
	}
	if r.SkipDefaultRateLimits && len(defaults) == 0 {
		v.errorf(path+".skip_default_rate_limits", "has no effect: rate_limits.default_policies names no policy; remove it")
	}
	if r.RateLimits == nil {
		return
	}
	rpath := path + ".rate_limits"
	switch {
	case rl == nil:
		v.errorf(rpath, "needs the top-level rate_limits block, whose policies it names")
		return
	case len(r.RateLimits) == 0:
		v.errorf(rpath, "empty list; name the policies that apply, or leave rate_limits out")
		return
	}
	also := defaults
	if r.SkipDefaultRateLimits {
		also = nil
	}
	v.policyNames(rpath, r.RateLimits, also)
	if n := len(also) + len(r.RateLimits); n > MaxRateLimitsPerRoute {
		v.errorf(rpath, "%d policies apply to the route, defaults included; at most %d may", n, MaxRateLimitsPerRoute)
	}
}
