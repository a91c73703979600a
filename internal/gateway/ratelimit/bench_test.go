package ratelimit

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/gateway/ratelimit/redistest"
)

// benchKeys are keys shaped as the gateway builds them: a policy's name
// and a client address, a subject, or a route.
func benchKeys(n int) [][]byte {
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = []byte("per-address/a11:198.51." + strconv.Itoa(i/256%256) + "." + strconv.Itoa(i%256))
	}
	return keys
}

// BenchmarkMemoryDecide is one decision of one policy in memory, over
// 10 000 keys (a store that has warmed up: no insertion).
func BenchmarkMemoryDecide(b *testing.B) {
	m := NewMemory(MemoryOptions{MaxKeys: 100000})
	l := mustLimit(b, 1000, time.Second, 1000)
	keys := benchKeys(10000)
	checks := make([]Check, 1)
	out := make([]Decision, 1)
	for _, k := range keys {
		checks[0] = Check{Key: k, Limit: l}
		m.Decide(checks, out)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		checks[0] = Check{Key: keys[i%len(keys)], Limit: l}
		m.Decide(checks, out)
		i++
	}
}

// BenchmarkMemoryDecideTwoPolicies is one decision of two policies (per
// client and per route) in memory.
func BenchmarkMemoryDecideTwoPolicies(b *testing.B) {
	m := NewMemory(MemoryOptions{MaxKeys: 100000})
	l := mustLimit(b, 1000, time.Second, 1000)
	keys := benchKeys(10000)
	route := []byte("per-route/r5:login")
	checks := make([]Check, 2)
	out := make([]Decision, 2)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		checks[0] = Check{Key: keys[i%len(keys)], Limit: l}
		checks[1] = Check{Key: route, Limit: l}
		m.Decide(checks, out)
		i++
	}
}

// BenchmarkMemoryDecideParallel is BenchmarkMemoryDecide from every
// processor at once, to show what the sharded locks buy.
func BenchmarkMemoryDecideParallel(b *testing.B) {
	m := NewMemory(MemoryOptions{MaxKeys: 100000})
	l := mustLimit(b, 1000, time.Second, 1000)
	keys := benchKeys(10000)
	var start atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		checks := make([]Check, 1)
		out := make([]Decision, 1)
		i := int(start.Add(5003)) // each goroutine on other keys
		for pb.Next() {
			checks[0] = Check{Key: keys[i%len(keys)], Limit: l}
			m.Decide(checks, out)
			i += 7
		}
	})
}

// BenchmarkRedisDecide is one decision of two policies at the Redis
// server of PORTICO_TEST_REDIS_ADDR: one script call, one round trip.
func BenchmarkRedisDecide(b *testing.B) {
	addr := redistest.Addr(b)
	r := NewRedis(RedisOptions{Addr: addr, KeyPrefix: redistest.Prefix(b, addr), Timeout: time.Second, PoolSize: 8})
	defer r.Close()
	l := mustLimit(b, 1000, time.Second, 1000)
	keys := benchKeys(1000)
	route := []byte("per-route/r5:login")
	checks := make([]Check, 2)
	out := make([]Decision, 2)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		checks[0] = Check{Key: keys[i%len(keys)], Limit: l}
		checks[1] = Check{Key: route, Limit: l}
		if _, err := r.Decide(ctx, checks, out); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkLimiterLeaseDecide is one decision of one policy at a Redis
// store with leases (the bench's per-subject policy: a million a second,
// leases of AutoLease's 100 000): nearly every decision is served from
// the lease in memory, and counted by the local floor; a call to Redis
// takes the next lease when its slots have passed.
func BenchmarkLimiterLeaseDecide(b *testing.B) {
	addr := redistest.Addr(b)
	var calls atomic.Int64
	l := New(Options{
		MaxKeys: 100000,
		Redis:   &RedisOptions{Addr: addr, KeyPrefix: redistest.Prefix(b, addr), Timeout: time.Second, PoolSize: 8},
		Observe: Observer{RedisCall: func(time.Duration, error) { calls.Add(1) }},
	})
	defer l.Close()
	lim := mustLimit(b, 1000000, time.Second, 1000000)
	checks := []Check{{Key: []byte("per-subject/s:alice"), Limit: lim, Lease: AutoLease(lim, 100*time.Millisecond)}}
	out := make([]Decision, 1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if res := l.Decide(ctx, checks, out); !res.Allowed {
			b.Fatalf("refused: %+v", res)
		}
	}
	b.ReportMetric(float64(calls.Load())/float64(b.N), "redis-calls/op")
}
