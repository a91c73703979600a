package ratelimit

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/gateway/ratelimit/redistest"
)

// callLog records what a Limiter reports of its calls to Redis.
type callLog struct {
	mu       sync.Mutex
	calls    int
	failures int
	states   []BreakerState
}

func (c *callLog) observer() Observer {
	return Observer{
		RedisCall: func(_ time.Duration, err error) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.calls++
			if err != nil {
				c.failures++
			}
		},
		BreakerChanged: func(s BreakerState) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.states = append(c.states, s)
		},
	}
}

func (c *callLog) counts() (calls, failures int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls, c.failures
}

func TestLimiterMemoryOnly(t *testing.T) {
	clock := newFakeClock()
	l := New(Options{MaxKeys: 100, Clock: clock.read})
	defer l.Close()
	lim := mustLimit(t, 1, time.Hour, 2)
	out := make([]Decision, 1)
	for i, want := range []bool{true, true, false} {
		res := l.Decide(context.Background(), checksOf(lim, "k"), out)
		if res.Allowed != want || res.Source != SourceMemory {
			t.Fatalf("request %d: got %+v, want allowed %v from memory", i, res, want)
		}
	}
	if l.Breaker() != Closed || l.Redis() != nil {
		t.Error("a memory-only limiter has a breaker or a Redis")
	}
}

// TestLimiterRedisStopsAndRestarts runs a limiter against a Redis server
// of the test's own, stops the server mid-test and starts it again: the
// local floor, warm with what Redis admitted, takes over (failing open);
// the breaker opens after the configured failures and then asks Redis
// nothing; after the cool-down one request probes, and the restarted
// server decides again.
func TestLimiterRedisStopsAndRestarts(t *testing.T) {
	srv := redistest.Start(t)
	clock := newFakeClock()
	var log callLog
	const coolDown = 10 * time.Second
	l := New(Options{
		MaxKeys: 1000,
		Redis: &RedisOptions{Addr: srv.Addr(), KeyPrefix: redistest.Prefix(t, srv.Addr()),
			Timeout: time.Second, PoolSize: 4},
		BreakerFailures: 2,
		BreakerCoolDown: coolDown,
		Clock:           clock.read,
		Observe:         log.observer(),
	})
	defer l.Close()
	ctx := context.Background()
	lim := mustLimit(t, 1, time.Hour, 4)
	out := make([]Decision, 1)
	decide := func() Result { return l.Decide(ctx, checksOf(lim, "k"), out) }

	// Redis decides, and the floor counts what it admits.
	for i := range 2 {
		if res := decide(); !res.Allowed || res.Source != SourceRedis {
			t.Fatalf("request %d with Redis up: got %+v, want admitted by redis", i, res)
		}
	}

	srv.Stop()

	// Two failures open the breaker; meanwhile the floor decides, and
	// it remembers the two requests Redis admitted: two more, not four.
	if res := decide(); !res.Allowed || res.Source != SourceLocal {
		t.Fatalf("first request with Redis down: got %+v, want admitted by the local floor", res)
	}
	if l.Breaker() != Closed {
		t.Fatalf("after one failure: breaker %s, want closed", l.Breaker())
	}
	if res := decide(); !res.Allowed || res.Source != SourceLocal {
		t.Fatalf("second request with Redis down: got %+v, want admitted by the local floor", res)
	}
	if l.Breaker() != Open {
		t.Fatalf("after two failures: breaker %s, want open", l.Breaker())
	}
	if calls, failures := log.counts(); calls != 4 || failures != 2 {
		t.Fatalf("got %d calls, %d failed; want 4 and 2", calls, failures)
	}

	// Open: the floor alone, and no call to Redis at all.
	for i := range 20 {
		if res := decide(); res.Allowed || res.Source != SourceLocal {
			t.Fatalf("request %d while open: got %+v, want refused by the local floor (its burst is used up)", i, res)
		}
	}
	if calls, _ := log.counts(); calls != 4 {
		t.Fatalf("got %d calls to Redis while the breaker was open, want none more (4 in all)", calls)
	}

	// The cool-down passes while Redis is still down: one probe fails
	// and the breaker opens again.
	clock.advance(coolDown)
	decide()
	if calls, failures := log.counts(); calls != 5 || failures != 3 || l.Breaker() != Open {
		t.Fatalf("after a failed probe: %d calls, %d failures, breaker %s; want 5, 3, open", calls, failures, l.Breaker())
	}

	srv.Restart() // empty: no persistence

	// After the next cool-down a probe reaches the restarted server and
	// closes the breaker. A connection the stop broke may fail one probe;
	// each failed probe costs one more cool-down, a few at most.
	var res Result
	for range 5 {
		clock.advance(coolDown)
		if res = decide(); res.Source == SourceRedis {
			break
		}
	}
	if res.Source != SourceRedis || !res.Allowed || l.Breaker() != Closed {
		t.Fatalf("after the restart: got %+v, breaker %s; want admitted by redis (its keys are gone), closed", res, l.Breaker())
	}
	log.mu.Lock()
	states := append([]BreakerState(nil), log.states...)
	log.mu.Unlock()
	if states[0] != Open || states[len(states)-1] != Closed {
		t.Errorf("breaker states: %v, want open first and closed last", states)
	}
}

// TestLimiterFailsClosed checks that with FailClosed nothing is decided
// while Redis is down, and that the refusal says when Redis is asked
// again.
func TestLimiterFailsClosed(t *testing.T) {
	srv := redistest.Start(t)
	clock := newFakeClock()
	const coolDown = 7 * time.Second
	l := New(Options{
		MaxKeys:         1000,
		Redis:           &RedisOptions{Addr: srv.Addr(), KeyPrefix: "t:", Timeout: time.Second, PoolSize: 4},
		FailClosed:      true,
		BreakerFailures: 1,
		BreakerCoolDown: coolDown,
		Clock:           clock.read,
	})
	defer l.Close()
	lim := mustLimit(t, 1, time.Hour, 4)
	out := make([]Decision, 1)
	if res := l.Decide(context.Background(), checksOf(lim, "k"), out); !res.Allowed || res.Source != SourceRedis {
		t.Fatalf("with Redis up: got %+v, want admitted by redis", res)
	}
	srv.Stop()
	res := l.Decide(context.Background(), checksOf(lim, "k"), out)
	if res.Allowed || res.Source != SourceNone || res.RetryAfter != coolDown {
		t.Fatalf("with Redis down: got %+v, want refused by none, retry after %s", res, coolDown)
	}
	clock.advance(3 * time.Second)
	res = l.Decide(context.Background(), checksOf(lim, "k"), out)
	if res.Source != SourceNone || res.RetryAfter != 4*time.Second {
		t.Fatalf("3s later: got %+v, want refused by none, retry after 4s", res)
	}
}

// TestLimiterSlowRedis pauses the server (CLIENT PAUSE): a decision that
// gets no answer within the timeout is a failure, and the floor decides.
func TestLimiterSlowRedis(t *testing.T) {
	srv := redistest.Start(t)
	clock := newFakeClock()
	var log callLog
	l := New(Options{
		MaxKeys:         1000,
		Redis:           &RedisOptions{Addr: srv.Addr(), KeyPrefix: "t:", Timeout: 50 * time.Millisecond, PoolSize: 4},
		BreakerFailures: 3,
		BreakerCoolDown: time.Second,
		Clock:           clock.read,
		Observe:         log.observer(),
	})
	defer l.Close()
	lim := mustLimit(t, 1, time.Hour, 4)
	out := make([]Decision, 1)
	ctx := context.Background()
	if res := l.Decide(ctx, checksOf(lim, "k"), out); res.Source != SourceRedis {
		t.Fatalf("before the pause: got %+v, want decided by redis", res)
	}
	c := redistest.Client(t, srv.Addr())
	// Paused far longer than the timeout; the pause ends by itself (its
	// own unpause would wait behind it).
	if err := c.ClientPause(ctx, 3*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	res := l.Decide(ctx, checksOf(lim, "k"), out)
	if res.Source != SourceLocal || !res.Allowed {
		t.Fatalf("while paused: got %+v, want admitted by the local floor", res)
	}
	if calls, failures := log.counts(); calls != 2 || failures != 1 {
		t.Errorf("got %d calls, %d failed; want 2 and 1 (the late one)", calls, failures)
	}
}
