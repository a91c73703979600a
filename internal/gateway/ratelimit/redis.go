package ratelimit

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

//go:embed gcra.lua
var gcraSource string

// gcraScript is the one script every decision runs (EVALSHA, falling back
// to EVAL when the server does not have it yet).
var gcraScript = redis.NewScript(gcraSource)

// maxRedisKey is the longest key written as it is; longer ones (a long
// header value, say) are written as the SHA-256 of the key.
const maxRedisKey = 200

// RedisOptions configure a Redis store.
type RedisOptions struct {
	// Addr is the server's host:port.
	Addr string
	// Username and Password authenticate; both may be empty.
	Username, Password string
	// DB is the database number.
	DB int
	// KeyPrefix starts every key written.
	KeyPrefix string
	// Timeout bounds one decision, connecting included.
	Timeout time.Duration
	// PoolSize caps the connections to the server.
	PoolSize int
}

// Redis keeps limits in a Redis server, shared by every gateway replica
// that uses it. Each decision is one script call, one round trip, whatever
// the number of limits; the time is the server's (TIME), so replicas with
// skewed clocks still count alike. It is safe for concurrent use.
type Redis struct {
	client  *redis.Client
	prefix  string
	timeout time.Duration
}

// NewRedis returns a store on the server o names. It connects lazily: a
// server that is down fails decisions, not the construction.
func NewRedis(o RedisOptions) *Redis {
	c := redis.NewClient(&redis.Options{
		Addr:     o.Addr,
		Username: o.Username,
		Password: o.Password,
		DB:       o.DB,
		// One attempt per decision, bounded by the timeout: a retry would
		// double the wait of every request while Redis is failing, and
		// the breaker, not the client, decides when to try again.
		MaxRetries:            -1,
		DialerRetries:         1,
		DialTimeout:           o.Timeout,
		ReadTimeout:           o.Timeout,
		WriteTimeout:          o.Timeout,
		PoolTimeout:           o.Timeout,
		ContextTimeoutEnabled: true,
		PoolSize:              o.PoolSize,
		Protocol:              2,
		DisableIdentity:       true,
		MaintNotificationsConfig: &maintnotifications.Config{
			Mode: maintnotifications.ModeDisabled,
		},
	})
	return &Redis{client: c, prefix: o.KeyPrefix, timeout: o.Timeout}
}

// Decide applies every check at the server in one script call and fills
// out (as long as checks) with the decisions; see Memory.Decide. A check
// whose Lease is above 1 asks for a lease of that many requests
// (Limit.Lease; out's Granted says how many were granted). A failed or
// late call is an error and decides nothing.
func (r *Redis) Decide(ctx context.Context, checks []Check, out []Decision) (bool, error) {
	allowed, _, err := r.decide(ctx, checks, out)
	return allowed, err
}

// decide is Decide, also returning the server's time of the decision.
func (r *Redis) decide(ctx context.Context, checks []Check, out []Decision) (bool, int64, error) {
	keys := make([]string, len(checks))
	args := make([]any, 0, 3*len(checks))
	leases := false
	for i, c := range checks {
		keys[i] = r.Key(c.Key)
		args = append(args, c.Limit.interval, c.Limit.tolerance, max(c.Lease, 1))
		leases = leases || c.Lease > 1
	}
	// The client leaving must not count as a Redis failure, so the
	// request's cancellation is not passed on; the timeout bounds the wait.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	defer cancel()
	res, err := gcraScript.Run(ctx, r.client, keys, args...).Int64Slice()
	if err != nil {
		return false, 0, err
	}
	n := len(checks)
	if len(res) != 2+2*n {
		return false, 0, fmt.Errorf("ratelimit: script answered %d values for %d keys", len(res), n)
	}
	now := res[1]
	allowed := settle(checks, res[2:2+n], now, out, leases)
	if allowed != (res[0] == 1) {
		// The script and Limit.Decide share their arithmetic; a mismatch
		// is a bug, and the server's word is what was stored.
		return false, 0, errors.New("ratelimit: script and gateway disagree on a decision")
	}
	for i, g := range res[2+n:] {
		want := int64(0)
		if allowed {
			want = max(out[i].Granted, 1)
		}
		if g != want {
			return false, 0, errors.New("ratelimit: script and gateway disagree on a lease")
		}
	}
	return allowed, now, nil
}

// Key returns the Redis key of a check's key.
func (r *Redis) Key(key []byte) string {
	if len(key) > maxRedisKey {
		sum := sha256.Sum256(key)
		return r.prefix + "#" + hex.EncodeToString(sum[:])
	}
	return r.prefix + string(key)
}

// Ping checks that the server answers, within the timeout.
func (r *Redis) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return r.client.Ping(ctx).Err()
}

// Close closes the connections to the server.
func (r *Redis) Close() error { return r.client.Close() }
