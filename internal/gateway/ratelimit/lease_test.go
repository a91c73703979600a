package ratelimit

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/gateway/ratelimit/redistest"
)

// TestLeaseOfOneIsDecide checks that a lease of one is Decide, and that
// a larger lease grants what fits within the tolerance and no more.
func TestLeaseOfOneIsDecide(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		l := mustLimit(t, 1+rng.Int64N(1000), time.Duration(1+rng.Int64N(60))*time.Second, 1+rng.Int64N(100))
		now := 1000*sec + rng.Int64N(100*sec)
		tat := now + rng.Int64N(2*l.tolerance+1) - l.tolerance/2
		want := 1 + rng.Int64N(50)
		d, one := l.Decide(tat, now), l.Lease(tat, now, 1)
		if one.Allowed != d.Allowed || d.Allowed && one.Granted != 1 {
			t.Fatalf("Lease(%d, %d, 1) = %+v, Decide = %+v", tat, now, one, d)
		}
		one.Granted = 0
		if one != d {
			t.Fatalf("Lease(%d, %d, 1) = %+v, want Decide's %+v", tat, now, one, d)
		}
		g := l.Lease(tat, now, want)
		if g.Allowed != d.Allowed {
			t.Fatalf("Lease(%d, %d, %d) admitted %v, Decide %v", tat, now, want, g.Allowed, d.Allowed)
		}
		if !g.Allowed {
			continue
		}
		end := l.LeaseTAT(g)
		switch {
		case g.Granted < 1 || g.Granted > want:
			t.Fatalf("granted %d of %d", g.Granted, want)
		case end-now > l.tolerance:
			t.Fatalf("lease of %d ends %dµs ahead, beyond the tolerance %d", g.Granted, end-now, l.tolerance)
		case g.Granted < want && end+l.interval-now <= l.tolerance:
			t.Fatalf("granted %d of %d, but one more fits", g.Granted, want)
		}
		g.Granted, g.TAT = 0, d.TAT
		if g != d {
			t.Fatalf("Lease(%d, %d, %d) reports %+v for the request, want Decide's %+v", tat, now, want, g, d)
		}
	}
}

// TestAutoLease checks the automatic sizes: exact (1) for the credential
// endpoints' few requests a minute, a tenth of the burst, at most the
// rate × the lease time.
func TestAutoLease(t *testing.T) {
	for _, c := range []struct {
		count  int64
		period time.Duration
		burst  int64
		want   int64
	}{
		{10, time.Minute, 5, 1},
		{60, time.Minute, 20, 1},
		{100, time.Second, 100, 10},
		{100, time.Second, 1000, 10},
		{1000, time.Second, 100, 10},
		{1000000, time.Second, 1000000, 100000},
		{1, time.Hour, 40, 1}, // the rate grants nothing in 100ms
	} {
		if got := AutoLease(mustLimit(t, c.count, c.period, c.burst), 100*time.Millisecond); got != c.want {
			t.Errorf("%d per %s, burst %d: lease %d, want %d", c.count, c.period, c.burst, got, c.want)
		}
	}
}

// TestLeasesConformToTheLimit simulates replicas spending leases from one
// key, with Redis's arithmetic (Limit.Lease) on one TAT, at random times:
// the requests they admit together, replayed in order through Decide on a
// fresh key, are every one admitted. Leases never let the replicas exceed
// the limit in any window, not only in total.
func TestLeasesConformToTheLimit(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		l := mustLimit(t, 1+rng.Int64N(100), time.Second, 1+rng.Int64N(200))
		lease := 2 + rng.Int64N(20)
		replicas := make([]*leaseTable, 1+rng.IntN(4))
		for i := range replicas {
			replicas[i] = newLeaseTable(100)
		}
		key := []byte("k")
		var tat int64 // at Redis
		var admitted []int64
		now := 1000 * sec
		for range 5000 {
			now += rng.Int64N(3 * l.interval / int64(len(replicas)))
			lt := replicas[rng.IntN(len(replicas))]
			h := lt.hash(key)
			var d Decision
			state, _ := lt.take(h, l, now, &d)
			if state == leaseServed {
				admitted = append(admitted, now)
				continue
			}
			want := int64(1)
			if state == leaseFetch {
				want = lease
			}
			g := l.Lease(tat, now, want)
			if !g.Allowed {
				if state == leaseFetch {
					lt.drop(h)
				}
				continue
			}
			tat = l.LeaseTAT(g)
			admitted = append(admitted, now)
			if state == leaseFetch {
				if rng.IntN(10) == 0 {
					continue // the lease is still being taken when the next request comes
				}
				lt.install(h, l, g.TAT-l.interval, g.Granted, now)
			}
		}
		var replay int64
		for i, at := range admitted {
			d := l.Decide(replay, at)
			if !d.Allowed {
				t.Fatalf("seed %d: request %d of %d admitted at %dµs exceeds the limit (%d replicas, leases of %d)",
					seed, i, len(admitted), at, len(replicas), lease)
			}
			replay = d.TAT
		}
		if len(admitted) < 100 {
			t.Fatalf("seed %d: only %d requests admitted; the simulation tests little", seed, len(admitted))
		}
	}
}

// leasingLimiter returns a limiter on addr under a prefix of the test's
// own, whose clock is clock.
func leasingLimiter(tb testing.TB, addr, prefix string, clock *fakeClock, log *callLog) *Limiter {
	tb.Helper()
	l := New(Options{
		MaxKeys:         1000,
		Redis:           &RedisOptions{Addr: addr, KeyPrefix: prefix, Timeout: 2 * time.Second, PoolSize: 8},
		BreakerFailures: 1,
		BreakerCoolDown: time.Minute,
		Clock:           clock.read,
		Observe:         log.observer(),
	})
	tb.Cleanup(func() { l.Close() })
	return l
}

func leased(l Limit, lease int64, keys ...string) []Check {
	cs := checksOf(l, keys...)
	for i := range cs {
		cs[i].Lease = lease
	}
	return cs
}

// TestLimiterLeases checks one limiter's leases against a real Redis: one
// call takes a lease, the requests after it are served from it with the
// RateLimit figures Redis would give, and the next call comes when it is
// spent; Redis holds the whole lease as used.
func TestLimiterLeases(t *testing.T) {
	addr := redistest.Addr(t)
	clock := newFakeClock()
	var log callLog
	l := leasingLimiter(t, addr, redistest.Prefix(t, addr), clock, &log)
	ctx := context.Background()
	lim := mustLimit(t, 1, time.Hour, 25) // nothing refills while the test runs
	out := make([]Decision, 1)
	for i := range 25 {
		res := l.Decide(ctx, leased(lim, 10, "k"), out)
		wantSource := SourceLease
		if i%10 == 0 {
			wantSource = SourceRedis
		}
		if !res.Allowed || res.Source != wantSource || out[0].Remaining != int64(24-i) {
			t.Fatalf("request %d: got %+v, %+v; want admitted by %s with %d remaining", i, res, out[0], wantSource, 24-i)
		}
	}
	// The third lease got the 5 that were left, all spent.
	if res := l.Decide(ctx, leased(lim, 10, "k"), out); res.Allowed || res.Source != SourceRedis {
		t.Fatalf("request 26: got %+v, want refused by redis", res)
	}
	if calls, _ := log.counts(); calls != 4 {
		t.Errorf("%d calls to Redis for 26 decisions with leases of 10, want 4", calls)
	}
	if n := l.Local().Len(); n != 1 {
		t.Errorf("the local floor holds %d keys, want 1", n)
	}
}

// TestLimiterLeaseOfOneAsksRedisEveryTime checks that a check without a
// lease behaves as before leases: one call per decision.
func TestLimiterLeaseOfOneAsksRedisEveryTime(t *testing.T) {
	addr := redistest.Addr(t)
	var log callLog
	l := leasingLimiter(t, addr, redistest.Prefix(t, addr), newFakeClock(), &log)
	lim := mustLimit(t, 10, time.Minute, 5) // the credential endpoints'
	lease := AutoLease(lim, 100*time.Millisecond)
	out := make([]Decision, 1)
	for i := range 6 {
		res := l.Decide(context.Background(), leased(lim, lease, "k"), out)
		if res.Allowed != (i < 5) || res.Source != SourceRedis || res.Allowed && out[0].Remaining != int64(4-i) {
			t.Fatalf("request %d: got %+v %+v, want decided at redis", i, res, out[0])
		}
	}
	if calls, _ := log.counts(); calls != 6 {
		t.Errorf("%d calls for 6 decisions, want 6", calls)
	}
	if n := l.leases.len(); n != 0 {
		t.Errorf("%d leases held, want none", n)
	}
}

// TestLimiterLeaseSlotsPass checks that a lease's requests are given up
// as their time passes: a replica that spends a lease slower than the
// rate gets fewer requests from it, and asks Redis again when its last
// request's time has passed.
func TestLimiterLeaseSlotsPass(t *testing.T) {
	addr := redistest.Addr(t)
	clock := newFakeClock()
	var log callLog
	l := leasingLimiter(t, addr, redistest.Prefix(t, addr), clock, &log)
	ctx := context.Background()
	lim := mustLimit(t, 1, time.Minute, 100) // one request a minute
	out := make([]Decision, 1)
	if res := l.Decide(ctx, leased(lim, 10, "k"), out); res.Source != SourceRedis || !res.Allowed {
		t.Fatalf("first: got %+v, want a lease from redis", res)
	}
	// The lease holds the minutes 0 to 9 from now; slot 1 is this
	// minute's next. 3.5 minutes later the slots of minutes 1 to 3 have
	// passed: the request gets minute 4's.
	clock.advance(3*time.Minute + 30*time.Second)
	if res := l.Decide(ctx, leased(lim, 10, "k"), out); res.Source != SourceLease || out[0].Reset != 90*time.Second {
		t.Fatalf("3.5 min later: got %+v %+v, want served from the lease with the key's TAT 1.5 min ahead", res, out[0])
	}
	// Past the last slot: a new lease.
	clock.advance(7 * time.Minute)
	if res := l.Decide(ctx, leased(lim, 10, "k"), out); res.Source != SourceRedis || !res.Allowed {
		t.Fatalf("after the lease's time: got %+v, want a new lease from redis", res)
	}
	if calls, _ := log.counts(); calls != 2 {
		t.Errorf("%d calls, want 2", calls)
	}
}

// TestLimitersWithLeasesShareOneLimit is two replicas, each with its own
// client, pool and leases, racing on one key: together they admit no more
// than its burst, and lose at most one lease each.
func TestLimitersWithLeasesShareOneLimit(t *testing.T) {
	addr := redistest.Addr(t)
	prefix := redistest.Prefix(t, addr)
	var logs [2]callLog
	clock := newFakeClock()
	lims := [2]*Limiter{
		leasingLimiter(t, addr, prefix, clock, &logs[0]),
		leasingLimiter(t, addr, prefix, clock, &logs[1]),
	}
	const burst, lease = 200, 10
	l := mustLimit(t, 1, time.Hour, burst)
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]Decision, 2)
			for i := range 100 {
				// Half the requests also count against a second key
				// without a lease: one script call for both.
				checks := leased(l, lease, "shared")
				if i%2 == 0 {
					checks = append(checks, Check{Key: []byte("other-" + strconv.Itoa(g%2)), Limit: mustLimit(t, 1, time.Hour, 1000)})
				}
				res := lims[g%2].Decide(context.Background(), checks, out)
				if res.Source == SourceLocal || res.Source == SourceNone {
					t.Errorf("got %+v: Redis failed", res)
					return
				}
				if res.Allowed {
					admitted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got := admitted.Load(); got > burst || got < burst-2*(lease-1) {
		t.Errorf("got %d admitted across both replicas, want at most the burst of %d and at least %d", got, burst, burst-2*(lease-1))
	}
}

// TestLimiterLeaseWithStrictPolicy checks a request with a leasing policy
// and a policy without a lease: one script call whenever Redis is asked;
// when the strict policy refuses, the lease's request is put back.
func TestLimiterLeaseWithStrictPolicy(t *testing.T) {
	addr := redistest.Addr(t)
	var log callLog
	l := leasingLimiter(t, addr, redistest.Prefix(t, addr), newFakeClock(), &log)
	loose, strict := mustLimit(t, 1, time.Hour, 100), mustLimit(t, 1, time.Hour, 2)
	checks := []Check{{Key: []byte("loose"), Limit: loose, Lease: 10}, {Key: []byte("strict"), Limit: strict}}
	out := make([]Decision, 2)
	for i, want := range []bool{true, true, false, false} {
		res := l.Decide(context.Background(), checks, out)
		if res.Allowed != want || res.Source != SourceRedis {
			t.Fatalf("request %d: got %+v, want allowed %v by redis", i, res, want)
		}
	}
	if calls, _ := log.counts(); calls != 4 {
		t.Errorf("%d calls for 4 decisions, want one each", calls)
	}
	// The loose key's lease: 10 taken, 2 spent, the refused requests' put
	// back: 8 left.
	for i := range 8 {
		if res := l.Decide(context.Background(), checks[:1], out); res.Source != SourceLease || out[0].Remaining != int64(97-i) {
			t.Fatalf("loose alone, request %d: got %+v %+v, want served from the lease with %d remaining", i, res, out[0], 97-i)
		}
	}
	if res := l.Decide(context.Background(), checks[:1], out); res.Source != SourceRedis {
		t.Fatalf("loose alone after 8: got %+v, want a new lease from redis", res)
	}
}

// TestLimiterLeaseOutlivesRedis stops Redis mid-lease: the lease's
// requests are still served, with no call; once it is spent, the floor,
// which counted them, decides.
func TestLimiterLeaseOutlivesRedis(t *testing.T) {
	srv := redistest.Start(t)
	var log callLog
	l := leasingLimiter(t, srv.Addr(), "t:", newFakeClock(), &log)
	lim := mustLimit(t, 1, time.Hour, 12)
	out := make([]Decision, 1)
	decide := func() Result { return l.Decide(context.Background(), leased(lim, 10, "k"), out) }
	if res := decide(); res.Source != SourceRedis || !res.Allowed {
		t.Fatalf("first: got %+v, want a lease from redis", res)
	}
	srv.Stop()
	for i := range 9 {
		if res := decide(); res.Source != SourceLease || !res.Allowed {
			t.Fatalf("request %d with Redis down: got %+v, want served from the lease", i, res)
		}
	}
	if calls, failures := log.counts(); calls != 1 || failures != 0 || l.Breaker() != Closed {
		t.Fatalf("after the lease: %d calls, %d failures, breaker %s; want 1, 0, closed", calls, failures, l.Breaker())
	}
	// Spent: Redis fails, and the floor knows the 10 used of 12.
	for i, want := range []bool{true, true, false} {
		if res := decide(); res.Source != SourceLocal || res.Allowed != want {
			t.Fatalf("request %d after the lease: got %+v, want allowed %v by the local floor", i, res, want)
		}
	}
	if n := l.leases.len(); n != 0 {
		t.Errorf("%d leases held after Redis failed, want none", n)
	}
}

// TestLeaseTableBound checks that the lease table holds at most its
// bound, dropping leases whose time has passed first.
func TestLeaseTableBound(t *testing.T) {
	lt := newLeaseTable(numShards) // one lease per shard
	lim := mustLimit(t, 1, time.Second, 100)
	now := 1000 * sec
	for i := range 5000 {
		var d Decision
		h := lt.hash([]byte(strconv.Itoa(i)))
		if st, _ := lt.take(h, lim, now, &d); st != leaseFetch {
			t.Fatalf("key %d: got %d, want a fetch", i, st)
		}
		lt.install(h, lim, now, 10, now)
		now += sec
	}
	if n := lt.len(); n > numShards {
		t.Errorf("%d leases held, want at most %d", n, numShards)
	}
}
