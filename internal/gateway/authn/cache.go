package authn

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
)

// key is the cache key of a credential: SHA-256 of its kind, a zero byte
// and its value. The credential itself is never stored.
type key [sha256.Size]byte

// keyOf hashes c. The buffer lives on the stack, so hashing allocates
// nothing for credentials up to its size (every session token, API key
// and usual access token); longer ones, such as an outside provider's JWT
// of a few kilobytes, take keyOfLong, whose larger buffer is zeroed only
// for them.
func keyOf(c Credential) key {
	if len(c.Kind)+1+len(c.Value) > shortKeyLen {
		return keyOfLong(c)
	}
	var buf [shortKeyLen]byte
	b := append(buf[:0], c.Kind...)
	b = append(b, 0)
	b = append(b, c.Value...)
	return sha256.Sum256(b)
}

// keyOfLong is keyOf for credentials up to MaxCredentialLen; longer ones,
// which Exchange refuses before hashing, spill to the heap.
//
//go:noinline
func keyOfLong(c Credential) key {
	var buf [longKeyLen]byte
	b := append(buf[:0], c.Kind...)
	b = append(b, 0)
	b = append(b, c.Value...)
	return sha256.Sum256(b)
}

// shortKeyLen and longKeyLen are keyOf's buffers: the second fits a kind,
// its separator and MaxCredentialLen bytes.
const (
	shortKeyLen = 1024
	longKeyLen  = MaxCredentialLen + 32
)

// entry is one cached exchange. Only used and the list links change after
// it is stored; the links only under its shard's write lock.
type entry struct {
	key     key
	res     Result
	refused bool
	// until is when the entry stops being served.
	until time.Time
	// used is set by hits and cleared by the eviction hand, which gives
	// a used entry a second chance.
	used       atomic.Bool
	prev, next *entry
}

// call is one exchange in flight, shared by every caller that misses on
// its key meanwhile.
type call struct {
	done chan struct{}
	res  Result
	err  error
	// forget, set by Invalidate under the shard's lock, keeps the result
	// out of the cache.
	forget bool
}

// shard is one lock's share of the cache: entries by key, kept in a list
// from oldest to newest, and the calls in flight.
type shard struct {
	mu         sync.RWMutex
	m          map[key]*entry
	calls      map[key]*call
	head, tail *entry
	max        int
	// The padding keeps neighbouring shards' locks on separate cache
	// lines.
	_ [64]byte
}

// cache is a set of shards chosen by the key's first bytes.
type cache struct {
	shards []shard
	mask   uint64
}

// maxShards bounds the shards; minPerShard keeps small caches in few
// shards, so that their bound is exact enough to reason about.
const (
	maxShards   = 64
	minPerShard = 256
)

// sweepPerPut is how many expired entries at the old end a store removes
// on its way, so that dead entries do not wait for the cache to fill.
const sweepPerPut = 4

func newCache(maxEntries int) *cache {
	n := 1
	for n < maxShards && maxEntries/(2*n) >= minPerShard {
		n *= 2
	}
	c := &cache{shards: make([]shard, n), mask: uint64(n - 1)}
	for i := range c.shards {
		c.shards[i].m = make(map[key]*entry)
		c.shards[i].calls = make(map[key]*call)
		c.shards[i].max = maxEntries / n
	}
	return c
}

func (c *cache) shard(k *key) *shard {
	return &c.shards[binary.LittleEndian.Uint64(k[:8])&c.mask]
}

// len returns the number of entries, expired ones included.
func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// get returns the entry of k if it is still served at now.
func (s *shard) get(k *key, now time.Time) *entry {
	s.mu.RLock()
	e := s.m[*k]
	s.mu.RUnlock()
	if e == nil || !now.Before(e.until) {
		return nil
	}
	// Reading first keeps hits on a hot entry from writing its cache line.
	if !e.used.Load() {
		e.used.Store(true)
	}
	return e
}

// freshLocked is get for a caller that holds the write lock.
func (s *shard) freshLocked(k *key, now time.Time) *entry {
	if e := s.m[*k]; e != nil && now.Before(e.until) {
		return e
	}
	return nil
}

// putLocked stores e, replacing the entry of its key, and makes room for
// it; the caller holds the write lock.
func (s *shard) putLocked(e *entry, now time.Time) {
	if old := s.m[e.key]; old != nil {
		s.removeLocked(old)
	}
	for i := 0; i < sweepPerPut && s.head != nil && !now.Before(s.head.until); i++ {
		s.removeLocked(s.head)
	}
	for len(s.m) >= s.max && s.head != nil {
		s.evictLocked(now)
	}
	if s.max > 0 {
		s.pushLocked(e)
	}
}

// evictLocked removes one entry: the oldest that is expired or unused
// since the hand last passed it. Used entries on the way lose their mark
// and move to the new end, so the loop ends within one turn of the list.
func (s *shard) evictLocked(now time.Time) {
	for {
		e := s.head
		if !e.used.Load() || !now.Before(e.until) || e.next == nil {
			s.removeLocked(e)
			return
		}
		e.used.Store(false)
		s.removeLocked(e)
		s.pushLocked(e)
	}
}

// pushLocked adds e to the map and at the new end of the list.
func (s *shard) pushLocked(e *entry) {
	s.m[e.key] = e
	e.prev, e.next = s.tail, nil
	if s.tail != nil {
		s.tail.next = e
	} else {
		s.head = e
	}
	s.tail = e
}

// removeLocked unlinks e and deletes it from the map.
func (s *shard) removeLocked(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		s.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = nil, nil
	delete(s.m, e.key)
}
