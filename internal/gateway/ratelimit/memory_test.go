package ratelimit

import (
	"hash/maphash"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a monotonic clock that moves only when told.
type fakeClock struct{ now atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.now.Store(int64(1000 * time.Hour))
	return c
}

func (c *fakeClock) read() time.Duration     { return time.Duration(c.now.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.now.Add(int64(d)) }

func checksOf(l Limit, keys ...string) []Check {
	cs := make([]Check, len(keys))
	for i, k := range keys {
		cs[i] = Check{Key: []byte(k), Limit: l}
	}
	return cs
}

func TestMemoryDecide(t *testing.T) {
	clock := newFakeClock()
	m := NewMemory(MemoryOptions{MaxKeys: 1000, Clock: clock.read})
	l := mustLimit(t, 1, time.Second, 3)
	out := make([]Decision, 1)
	for i := range 3 {
		if !m.Decide(checksOf(l, "a"), out) || out[0].Remaining != int64(2-i) {
			t.Fatalf("request %d: got %+v, want admitted with %d remaining", i, out[0], 2-i)
		}
	}
	if m.Decide(checksOf(l, "a"), out) || out[0].RetryAfter != time.Second {
		t.Fatalf("fourth request: got %+v, want refused for exactly 1s", out[0])
	}
	if !m.Decide(checksOf(l, "b"), out) {
		t.Fatal("another key: refused, want admitted")
	}
	clock.advance(time.Second)
	if !m.Decide(checksOf(l, "a"), out) || out[0].Remaining != 0 {
		t.Fatalf("after one interval: got %+v, want admitted with 0 remaining", out[0])
	}
}

// TestMemoryDecideIsAllOrNothing checks that a request one limit refuses
// is counted by none.
func TestMemoryDecideIsAllOrNothing(t *testing.T) {
	clock := newFakeClock()
	m := NewMemory(MemoryOptions{MaxKeys: 1000, Clock: clock.read})
	strict := mustLimit(t, 1, time.Minute, 1)
	loose := mustLimit(t, 1, time.Minute, 5)
	checks := []Check{{Key: []byte("strict"), Limit: strict}, {Key: []byte("loose"), Limit: loose}}
	out := make([]Decision, 2)
	if !m.Decide(checks, out) || out[1].Remaining != 4 {
		t.Fatalf("first: got %+v, want admitted by both, loose with 4 remaining", out)
	}
	for range 3 {
		if m.Decide(checks, out) {
			t.Fatal("got admitted, want refused by the strict limit")
		}
		if out[0].Allowed || !out[1].Allowed || out[1].Remaining != 4 {
			t.Fatalf("got %+v, want strict refusing and loose untouched with 4 remaining", out)
		}
	}
	// The loose limit alone still has its four.
	one := make([]Decision, 1)
	for i := range 4 {
		if !m.Decide(checks[1:], one) {
			t.Fatalf("loose alone, request %d: refused", i)
		}
	}
	if m.Decide(checks[1:], one) {
		t.Fatal("loose alone, fifth: admitted, want refused")
	}
}

func TestMemoryEvictionBound(t *testing.T) {
	clock := newFakeClock()
	var evictedLive, evictedIdle atomic.Int64
	m := NewMemory(MemoryOptions{MaxKeys: 256, Clock: clock.read, Evicted: func(live bool) {
		if live {
			evictedLive.Add(1)
		} else {
			evictedIdle.Add(1)
		}
	}})
	l := mustLimit(t, 1, time.Hour, 5) // no key goes idle while the test runs
	out := make([]Decision, 1)
	for i := range 20000 {
		if !m.Decide(checksOf(l, "k"+strconv.Itoa(i)), out) {
			t.Fatalf("key %d: refused, want admitted (a new key)", i)
		}
		if n := m.Len(); n > 256 {
			t.Fatalf("after %d keys: holding %d, want at most 256", i+1, n)
		}
	}
	idle, live := m.Evictions()
	if live == 0 || idle != 0 {
		t.Errorf("got %d idle and %d live evictions, want only live ones (no key was idle)", idle, live)
	}
	if evictedLive.Load() != int64(live) || evictedIdle.Load() != 0 {
		t.Errorf("observer saw %d live, %d idle; store counted %d live", evictedLive.Load(), evictedIdle.Load(), live)
	}

	// Once every key's whole burst is back, making room drops idle keys
	// before any live one: a shard (four keys here) is looked at whole,
	// so each of the 256 idle keys goes as idle, and new keys displace
	// each other only after that.
	clock.advance(6 * time.Hour)
	for i := range 5000 {
		m.Decide(checksOf(l, "fresh"+strconv.Itoa(i)), out)
	}
	if idle2, _ := m.Evictions(); idle2 != 256 {
		t.Errorf("got %d idle evictions, want 256: every idle key, each once", idle2)
	}
	if n := m.Len(); n > 256 {
		t.Errorf("holding %d keys, want at most 256", n)
	}
}

// TestMemoryEvictsTheNearestToIdle checks that when no key is idle, the
// one evicted among those looked at is the one with the most of its burst
// back, so that a heavy user is not the one let off.
func TestMemoryEvictsTheNearestToIdle(t *testing.T) {
	clock := newFakeClock()
	m := NewMemory(MemoryOptions{MaxKeys: 2 * numShards, Clock: clock.read}) // two keys per shard
	l := mustLimit(t, 1, time.Hour, 3)
	heavy := findKeyInShard(m, 0, "heavy")
	light := findKeyInShard(m, 0, "light")
	third := findKeyInShard(m, 0, "third")
	out := make([]Decision, 1)
	for range 3 {
		m.Decide(checksOf(l, heavy), out)
	}
	m.Decide(checksOf(l, light), out)
	m.Decide(checksOf(l, third), out) // the shard is full: one must go
	if idle, live := m.Evictions(); idle != 0 || live != 1 {
		t.Fatalf("got %d idle, %d live evictions, want 0 and 1", idle, live)
	}
	if m.Decide(checksOf(l, heavy), out) {
		t.Error("heavy: admitted a fourth time, want refused (it must not be the one evicted)")
	}
	// light was evicted: it starts afresh, with its whole burst.
	if !m.Decide(checksOf(l, light), out) || out[0].Remaining != 2 {
		t.Errorf("light: got %+v, want admitted with 2 remaining (evicted, so new)", out[0])
	}
}

// hashKey is the hash a key is stored under.
func hashKey(m *Memory, k string) uint64 { return maphash.Bytes(m.seed, []byte(k)) }

// findKeyInShard returns a key starting with prefix whose hash falls in
// shard i.
func findKeyInShard(m *Memory, i int, prefix string) string {
	for n := 0; ; n++ {
		k := prefix + strconv.Itoa(n)
		if m.shardOf(hashKey(m, k)) == &m.shards[i] {
			return k
		}
	}
}

func TestMemoryConcurrentDecisionsAdmitExactlyTheBurst(t *testing.T) {
	clock := newFakeClock()
	m := NewMemory(MemoryOptions{MaxKeys: 1000, Clock: clock.read})
	a := mustLimit(t, 1, time.Hour, 50)
	b := mustLimit(t, 1, time.Hour, 80)
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]Decision, 2)
			for i := range 50 {
				// Both orders of the two keys, so that lock ordering is
				// exercised.
				checks := []Check{{Key: []byte("a"), Limit: a}, {Key: []byte("b"), Limit: b}}
				if (g+i)%2 == 1 {
					checks[0], checks[1] = checks[1], checks[0]
				}
				if m.Decide(checks, out) {
					admitted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got := admitted.Load(); got != 50 {
		t.Errorf("got %d admitted, want exactly 50 (the smaller burst)", got)
	}
}

func TestMemoryRecord(t *testing.T) {
	clock := newFakeClock()
	m := NewMemory(MemoryOptions{MaxKeys: 1000, Clock: clock.read})
	l := mustLimit(t, 1, time.Hour, 3)
	for range 5 { // more than the burst: Record never refuses
		m.Record(checksOf(l, "k"))
	}
	out := make([]Decision, 1)
	if m.Decide(checksOf(l, "k"), out) || out[0].RetryAfter != time.Hour {
		t.Fatalf("after recording past the burst: got %+v, want refused for exactly 1h", out[0])
	}
}

// TestMemoryDecideDoesNotAllocate keeps a decision in memory free of
// allocations, for keys already held and for new ones alike.
func TestMemoryDecideDoesNotAllocate(t *testing.T) {
	m := NewMemory(MemoryOptions{MaxKeys: 100000})
	l := mustLimit(t, 1000, time.Second, 1000)
	keys := make([][]byte, 256)
	for i := range keys {
		keys[i] = []byte("per-address/a11:198.51.100." + strconv.Itoa(i))
	}
	route := []byte("per-route/r5:login")
	checks := make([]Check, 2)
	out := make([]Decision, 2)
	i := 0
	n := testing.AllocsPerRun(1000, func() {
		checks[0] = Check{Key: keys[i%len(keys)], Limit: l}
		checks[1] = Check{Key: route, Limit: l}
		m.Decide(checks, out)
		i++
	})
	if n != 0 {
		t.Errorf("got %v allocations per decision, want 0", n)
	}
}
