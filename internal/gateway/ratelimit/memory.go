package ratelimit

import (
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// numShards splits the memory store's keys over this many locks, so that
// concurrent decisions on different keys rarely wait for each other; a
// key's shard is the top shardBits of its hash.
const (
	shardBits = 6
	numShards = 1 << shardBits
)

// evictSample is how many keys a full shard looks at to make room: the
// idle ones among them go, else the one nearest to idle.
const evictSample = 8

// MaxChecks is the number of checks one decision holds without
// allocating; more are allowed but cost an allocation.
const MaxChecks = 8

// Memory keeps limits in this process: one TAT per key, in shards of
// maps from a seeded hash of the key. It holds at most MaxKeys keys: a key
// whose TAT has passed has its whole burst back, the same as a key never
// seen, so such keys are dropped first; when none is idle, the key nearest
// to idle among a few goes. It is safe for concurrent use.
type Memory struct {
	seed     maphash.Seed
	clock    func() time.Duration
	evicted  func(live bool)
	perShard int
	shards   [numShards]shard

	evictedIdle atomic.Uint64
	evictedLive atomic.Uint64
}

type shard struct {
	mu sync.Mutex
	m  map[uint64]int64
	_  [48]byte // keeps neighbouring locks off one cache line
}

// MemoryOptions configure a Memory.
type MemoryOptions struct {
	// MaxKeys caps the keys held; at least numShards are always held.
	MaxKeys int
	// Clock returns monotonic time since an arbitrary origin; nil uses the
	// process's monotonic clock.
	Clock func() time.Duration
	// Evicted, when set, is called for every key dropped to make room,
	// with live false for an idle key; it runs under a shard's lock.
	Evicted func(live bool)
}

// NewMemory returns an empty memory store.
func NewMemory(o MemoryOptions) *Memory {
	m := &Memory{seed: maphash.MakeSeed(), clock: o.Clock, evicted: o.Evicted, perShard: max(1, (o.MaxKeys+numShards-1)/numShards)}
	if m.clock == nil {
		m.clock = monotonic()
	}
	if m.evicted == nil {
		m.evicted = func(bool) {}
	}
	for i := range m.shards {
		m.shards[i].m = make(map[uint64]int64)
	}
	return m
}

// monotonic returns a clock reading the process's monotonic time, which
// never goes back.
func monotonic() func() time.Duration {
	origin := time.Now()
	return func() time.Duration { return time.Since(origin) }
}

// now is the store's time in microseconds.
func (m *Memory) now() int64 { return int64(m.clock() / time.Microsecond) }

// Decide applies every check to its key at once and fills out (as long as
// checks) with the decisions. Either every check admits the request and
// every key's TAT advances, or nothing changes. It reports whether the
// request is admitted.
func (m *Memory) Decide(checks []Check, out []Decision) bool {
	now := m.now()
	var hb [MaxChecks]uint64
	var tb [MaxChecks]int64
	hashes, tats := hb[:0], tb[:0]
	for _, c := range checks {
		hashes = append(hashes, maphash.Bytes(m.seed, c.Key))
	}
	locked := m.lock(hashes)
	for _, h := range hashes {
		tats = append(tats, m.shardOf(h).m[h])
	}
	allowed := settle(checks, tats, now, out, false)
	if allowed {
		for i, h := range hashes {
			m.put(h, out[i].TAT, now)
		}
	}
	m.unlock(locked)
	return allowed
}

// Record counts a request admitted elsewhere (by Redis) against every
// check's key, whatever the limits say here.
func (m *Memory) Record(checks []Check) {
	now := m.now()
	for _, c := range checks {
		h := maphash.Bytes(m.seed, c.Key)
		s := m.shardOf(h)
		s.mu.Lock()
		m.put(h, c.Limit.Force(s.m[h], now), now)
		s.mu.Unlock()
	}
}

// Len returns the number of keys held.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// Evictions returns the number of keys dropped to make room: idle ones,
// whose whole burst was back (nothing lost), and live ones, which start
// afresh when seen again.
func (m *Memory) Evictions() (idle, live uint64) {
	return m.evictedIdle.Load(), m.evictedLive.Load()
}

func (m *Memory) shardOf(h uint64) *shard { return &m.shards[h>>(64-shardBits)] }

// lock locks the shards of hashes in index order, so that decisions over
// several keys never deadlock, and returns the locked shard indexes.
func (m *Memory) lock(hashes []uint64) lockSet {
	var ls lockSet
	for _, h := range hashes {
		ls.add(uint8(h >> (64 - shardBits)))
	}
	for _, i := range ls.idx[:ls.n] {
		m.shards[i].mu.Lock()
	}
	return ls
}

func (m *Memory) unlock(ls lockSet) {
	for _, i := range ls.idx[:ls.n] {
		m.shards[i].mu.Unlock()
	}
}

// lockSet is a sorted set of shard indexes.
type lockSet struct {
	idx [numShards]uint8
	n   int
}

func (ls *lockSet) add(i uint8) {
	j := 0
	for j < ls.n && ls.idx[j] < i {
		j++
	}
	if j < ls.n && ls.idx[j] == i {
		return
	}
	copy(ls.idx[j+1:ls.n+1], ls.idx[j:ls.n])
	ls.idx[j] = i
	ls.n++
}

// put stores tat for h in its shard, which the caller holds locked,
// making room first when the shard is full.
func (m *Memory) put(h uint64, tat, now int64) {
	s := m.shardOf(h)
	if _, ok := s.m[h]; !ok && len(s.m) >= m.perShard {
		m.evict(s, now)
	}
	s.m[h] = tat
}

// evict drops the idle keys among a few of s's (map iteration starts at
// a random place), or, when none is idle, the one with the earliest TAT:
// it has the most of its burst back, so starting it afresh gives away the
// least.
func (m *Memory) evict(s *shard, now int64) {
	var victim uint64
	earliest, seen, freed := int64(math.MaxInt64), 0, false
	for k, tat := range s.m {
		if tat <= now {
			delete(s.m, k)
			m.evictedIdle.Add(1)
			m.evicted(false)
			freed = true
		} else if tat < earliest {
			victim, earliest = k, tat
		}
		if seen++; seen == evictSample {
			break
		}
	}
	if !freed {
		delete(s.m, victim)
		m.evictedLive.Add(1)
		m.evicted(true)
	}
}
