package authn

import (
	"fmt"
	"testing"
	"time"
)

func TestCacheShards(t *testing.T) {
	for _, tc := range []struct{ max, shards, perShard int }{
		{1, 1, 1}, {3, 1, 3}, {511, 1, 511}, {512, 2, 256}, {DefaultMaxEntries, 64, DefaultMaxEntries / 64}, {1 << 30, 64, 1 << 24},
	} {
		c := newCache(tc.max)
		if len(c.shards) != tc.shards || c.shards[0].max != tc.perShard {
			t.Errorf("max %d: got %d shards of %d, want %d of %d", tc.max, len(c.shards), c.shards[0].max, tc.shards, tc.perShard)
		}
	}
}

func TestCacheBounded(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	const max = 2000
	c := newCache(max)
	for i := range 20 * max {
		k := keyOf(Credential{Kind: KindAPIKey, Value: fmt.Sprintf("ptc_%d", i)})
		s := c.shard(&k)
		s.mu.Lock()
		s.putLocked(&entry{key: k, until: now.Add(time.Minute)}, now)
		s.mu.Unlock()
		if i%max == 0 {
			// Keep some entries hot, as real traffic does.
			s.get(&k, now)
		}
	}
	if got := c.len(); got > max || got < max*9/10 {
		t.Errorf("got %d entries, want at most %d and not far below", got, max)
	}
	for i := range c.shards {
		s := &c.shards[i]
		n := 0
		for e := s.head; e != nil; e = e.next {
			if s.m[e.key] != e {
				t.Fatalf("shard %d: list and map disagree", i)
			}
			n++
		}
		if n != len(s.m) {
			t.Fatalf("shard %d: got %d listed, %d mapped", i, n, len(s.m))
		}
	}
}

func TestCacheSweepsExpired(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	c := newCache(100)
	s := &c.shards[0]
	put := func(v string, until time.Time) {
		k := keyOf(Credential{Kind: KindSession, Value: v})
		s.mu.Lock()
		s.putLocked(&entry{key: k, until: until}, now)
		s.mu.Unlock()
	}
	for i := range 3 {
		put(fmt.Sprint("old", i), now.Add(time.Second))
	}
	now = now.Add(time.Second)
	put("new", now.Add(time.Second))
	if got := c.len(); got != 1 {
		t.Errorf("got %d entries, want 1: expired ones go as new ones come", got)
	}
}

func TestKeyOfSeparatesKinds(t *testing.T) {
	a := keyOf(Credential{Kind: KindBearer, Value: "ptc_x"})
	b := keyOf(Credential{Kind: KindAPIKey, Value: "ptc_x"})
	if a == b {
		t.Error("got the same key for two kinds, want different ones")
	}
}
