package ratelimit

import (
	"context"
	"maps"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portico-gw/portico/internal/gateway/ratelimit/redistest"
)

// testRedis returns a store on addr under a prefix of the test's own.
func testRedis(tb testing.TB, addr string) *Redis {
	tb.Helper()
	r := NewRedis(RedisOptions{Addr: addr, KeyPrefix: redistest.Prefix(tb, addr), Timeout: 2 * time.Second, PoolSize: 8})
	tb.Cleanup(func() { r.Close() })
	return r
}

// serverTime returns the server's clock in microseconds, as the script
// reads it.
func serverTime(tb testing.TB, addr string) int64 {
	tb.Helper()
	tm, err := redistest.Client(tb, addr).Time(context.Background()).Result()
	if err != nil {
		tb.Fatal(err)
	}
	return tm.UnixMicro()
}

func TestRedisDecide(t *testing.T) {
	r := testRedis(t, redistest.Addr(t))
	ctx := context.Background()
	l := mustLimit(t, 1, time.Hour, 3) // nothing refills while the test runs
	out := make([]Decision, 1)
	for i := range 3 {
		ok, err := r.Decide(ctx, checksOf(l, "k"), out)
		if err != nil || !ok || out[0].Remaining != int64(2-i) {
			t.Fatalf("request %d: got %v %+v, %v; want admitted with %d remaining", i, ok, out[0], err, 2-i)
		}
	}
	ok, err := r.Decide(ctx, checksOf(l, "k"), out)
	if err != nil || ok || out[0].Allowed {
		t.Fatalf("fourth: got %v %+v, %v; want refused", ok, out[0], err)
	}
	if ra := out[0].RetryAfter; ra <= 0 || ra > time.Hour {
		t.Errorf("fourth: retry after %s, want within (0, 1h]", ra)
	}
	if ok, _ := r.Decide(ctx, checksOf(l, "other"), out); !ok {
		t.Error("another key: refused, want admitted")
	}
}

// TestRedisDecideIsAllOrNothing checks that a request one limit refuses
// writes nothing, in one script call.
func TestRedisDecideIsAllOrNothing(t *testing.T) {
	addr := redistest.Addr(t)
	r := testRedis(t, addr)
	c := redistest.Client(t, addr)
	ctx := context.Background()
	checks := []Check{
		{Key: []byte("strict"), Limit: mustLimit(t, 1, time.Hour, 1)},
		{Key: []byte("loose"), Limit: mustLimit(t, 1, time.Hour, 5)},
	}
	out := make([]Decision, 2)
	if ok, err := r.Decide(ctx, checks, out); err != nil || !ok {
		t.Fatalf("first: got %v, %v; want admitted", ok, err)
	}
	before, err := c.Get(ctx, r.Key([]byte("loose"))).Result()
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if ok, err := r.Decide(ctx, checks, out); err != nil || ok {
			t.Fatalf("got %v, %v; want refused", ok, err)
		}
		if out[0].Allowed || !out[1].Allowed || out[1].Remaining != 4 {
			t.Fatalf("got %+v, want strict refusing, loose untouched with 4 remaining", out)
		}
	}
	if after, _ := c.Get(ctx, r.Key([]byte("loose"))).Result(); after != before {
		t.Errorf("loose's TAT moved from %s to %s on refused requests", before, after)
	}
}

// TestRedisKeysExpire checks that every key written expires when its
// TAT passes, and that an expired key is a fresh one.
func TestRedisKeysExpire(t *testing.T) {
	addr := redistest.Addr(t)
	r := testRedis(t, addr)
	c := redistest.Client(t, addr)
	ctx := context.Background()
	out := make([]Decision, 1)

	slow := mustLimit(t, 10, time.Minute, 5) // TAT 6 s ahead per request
	for range 5 {
		r.Decide(ctx, checksOf(slow, "slow"), out)
	}
	pttl, err := c.PTTL(ctx, r.Key([]byte("slow"))).Result()
	if err != nil {
		t.Fatal(err)
	}
	if pttl <= 0 || pttl > 30*time.Second {
		t.Errorf("after the whole burst: PTTL %s, want within (0, 30s], the burst's refill", pttl)
	}

	fast := mustLimit(t, 100, time.Second, 1) // TAT 10 ms ahead
	if ok, err := r.Decide(ctx, checksOf(fast, "fast"), out); err != nil || !ok {
		t.Fatalf("fast: got %v, %v", ok, err)
	}
	pttl, _ = c.PTTL(ctx, r.Key([]byte("fast"))).Result()
	if pttl <= 0 || pttl > 10*time.Millisecond {
		t.Errorf("fast: PTTL %s, want within (0, 10ms]", pttl)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Exists(ctx, r.Key([]byte("fast"))).Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("the fast key still exists 10s after its TAT")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRedisClockEdges writes TATs far from the server's clock, as a
// server whose clock stepped would find them.
func TestRedisClockEdges(t *testing.T) {
	addr := redistest.Addr(t)
	r := testRedis(t, addr)
	c := redistest.Client(t, addr)
	ctx := context.Background()
	l := mustLimit(t, 1, time.Minute, 2) // τ = 2 min
	out := make([]Decision, 1)

	// A TAT ten hours ahead (the clock went back): refused for exactly one
	// interval, not ten hours, and the key expires within the tolerance
	// once a request is admitted.
	ahead := strconv.FormatInt(serverTime(t, addr)+10*3600*sec, 10)
	c.Set(ctx, r.Key([]byte("ahead")), ahead, 0)
	ok, err := r.Decide(ctx, checksOf(l, "ahead"), out)
	if err != nil || ok || out[0].RetryAfter != time.Minute {
		t.Fatalf("TAT 10h ahead: got %v %+v, %v; want refused for exactly 1m", ok, out[0], err)
	}

	// A TAT long past (the clock jumped ahead): the whole burst is back.
	c.Set(ctx, r.Key([]byte("behind")), strconv.FormatInt(serverTime(t, addr)-10*3600*sec, 10), 0)
	ok, err = r.Decide(ctx, checksOf(l, "behind"), out)
	if err != nil || !ok || out[0].Remaining != 1 {
		t.Fatalf("TAT 10h behind: got %v %+v, %v; want admitted with 1 remaining", ok, out[0], err)
	}
	if pttl := c.PTTL(ctx, r.Key([]byte("behind"))).Val(); pttl <= 0 || pttl > time.Minute {
		t.Errorf("after it: PTTL %s, want within (0, 1m]", pttl)
	}

	// A key holding something that is not a number is a failure, not a
	// pass.
	c.Set(ctx, r.Key([]byte("junk")), "not a time", 0)
	if _, err := r.Decide(ctx, checksOf(l, "junk"), out); err == nil {
		// tonumber("not a time") is nil: treated as absent. That is a
		// fresh key, which is also acceptable; make sure it was admitted.
		if !out[0].Allowed {
			t.Errorf("junk key: got %+v, want admitted as a fresh key or an error", out[0])
		}
	}
}

// TestRedisLongKeysAreHashed checks that a key too long to write as it
// is (a long header value) is written as its SHA-256, and still counted.
func TestRedisLongKeysAreHashed(t *testing.T) {
	addr := redistest.Addr(t)
	r := testRedis(t, addr)
	long := strings.Repeat("x", 5000)
	k := r.Key([]byte(long))
	if len(k) > 100 || !strings.Contains(k, "#") {
		t.Fatalf("got key %q (%d bytes), want the prefix and a SHA-256", k[:min(len(k), 80)], len(k))
	}
	l := mustLimit(t, 1, time.Hour, 1)
	out := make([]Decision, 1)
	if ok, _ := r.Decide(context.Background(), checksOf(l, long), out); !ok {
		t.Fatal("first: refused")
	}
	if ok, _ := r.Decide(context.Background(), checksOf(l, long), out); ok {
		t.Fatal("second: admitted, want refused")
	}
}

// TestRedisConcurrentClientsShareOneLimit is two gateway replicas, each
// with its own client and pool, racing on one key.
func TestRedisConcurrentClientsShareOneLimit(t *testing.T) {
	addr := redistest.Addr(t)
	prefix := redistest.Prefix(t, addr)
	stores := [2]*Redis{}
	for i := range stores {
		stores[i] = NewRedis(RedisOptions{Addr: addr, KeyPrefix: prefix, Timeout: 2 * time.Second, PoolSize: 8})
		defer stores[i].Close()
	}
	l := mustLimit(t, 1, time.Hour, 40)
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]Decision, 1)
			for range 20 {
				ok, err := stores[g%2].Decide(context.Background(), checksOf(l, "shared"), out)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					admitted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got := admitted.Load(); got != 40 {
		t.Errorf("got %d admitted across both clients, want exactly the burst of 40", got)
	}
}

// TestRedisOneRoundTripPerDecision counts the commands the server ran:
// one EVALSHA per decision, whatever the number of limits, and nothing
// else.
func TestRedisOneRoundTripPerDecision(t *testing.T) {
	srv := redistest.Start(t)
	r := testRedis(t, srv.Addr())
	c := redistest.Client(t, srv.Addr())
	ctx := context.Background()
	checks := []Check{
		{Key: []byte("a"), Limit: mustLimit(t, 1000, time.Second, 1000)},
		{Key: []byte("b"), Limit: mustLimit(t, 1000, time.Second, 1000)},
		{Key: []byte("c"), Limit: mustLimit(t, 1000, time.Second, 1000)},
	}
	out := make([]Decision, 3)
	// The first call finds the script missing (NOSCRIPT) and sends it
	// once with EVAL.
	if _, err := r.Decide(ctx, checks, out); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	var sent atomic.Int64
	r.client.AddHook(countHook{&sent})
	const n = 25
	for range n {
		if _, err := r.Decide(ctx, checks, out); err != nil {
			t.Fatal(err)
		}
	}
	stats, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{}
	for line := range strings.Lines(stats) {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ",")
		calls[strings.TrimPrefix(name, "cmdstat_")], _ = strconv.Atoi(num)
	}
	// The server counts the commands scripts run too: TIME once, and GET
	// and SET once per limit, all inside the one call.
	delete(calls, "config|resetstat")
	delete(calls, "info")
	want := map[string]int{"evalsha": n, "time": n, "get": 3 * n, "set": 3 * n}
	if !maps.Equal(calls, want) {
		t.Errorf("commands run for %d decisions of 3 limits: %v, want %v", n, calls, want)
	}
	if got := sent.Load(); got != n {
		t.Errorf("the client sent %d commands for %d decisions, want %d: one round trip each", got, n, n)
	}
}

// countHook counts the commands a client sends.
type countHook struct{ n *atomic.Int64 }

func (h countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}
func (h countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// TestRedisScriptFlushed: a server that lost the script (restarted,
// flushed) gets it again with the next decisions.
func TestRedisScriptFlushed(t *testing.T) {
	addr := redistest.Start(t).Addr() // a server of its own: flushing is not for a shared one
	r := testRedis(t, addr)
	l := mustLimit(t, 1000, time.Second, 1000)
	out := make([]Decision, 1)
	for range 2 {
		if err := redistest.Client(t, addr).ScriptFlush(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		if ok, err := r.Decide(context.Background(), checksOf(l, "flushed"), out); err != nil || !ok {
			t.Fatalf("decision after SCRIPT FLUSH: %v, %v; want admitted", ok, err)
		}
	}
}
