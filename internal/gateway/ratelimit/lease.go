package ratelimit

import (
	"hash/maphash"
	"math"
	"sync"
	"time"
)

// AutoLease is the lease size of lease: auto for a limit: a tenth of its
// burst, and no more than its rate grants in leaseTime, at least 1. A
// limit of a few requests a minute (the credential endpoints') gets
// leases of 1: every request is decided at Redis, as without leases.
func AutoLease(l Limit, leaseTime time.Duration) int64 {
	if l.interval <= 0 {
		return 1
	}
	n := min(l.Burst()/autoLeaseBurstShare, int64(leaseTime/time.Microsecond)/l.interval)
	return max(1, n)
}

// autoLeaseBurstShare: an automatic lease takes at most 1/autoLeaseBurstShare
// of a key's burst, so that the leases of a few replicas leave most of it
// at Redis, and what a lease gives up is a small part of it.
const autoLeaseBurstShare = 10

// leaseTable holds, per key, the lease a Limiter took from Redis: a run of
// consecutive GCRA slots of the key, each the time one request uses up,
// that Redis reserved for this replica alone. A slot is spent by one
// request no later than the slot's own time; a slot whose time has passed
// is lost. Each spent slot is one that Redis would have given a request
// arriving then, so what every replica spends from its leases, together
// with what Redis decides itself, is a sequence of requests the limit
// admits: leases never let the replicas exceed it, in any window.
type leaseTable struct {
	seed     maphash.Seed
	perShard int
	shards   [numShards]leaseShard
}

type leaseShard struct {
	mu sync.Mutex
	m  map[uint64]lease
	_  [48]byte // keeps neighbouring locks off one cache line
}

// lease is one key's run of slots, in the Limiter's clock (microseconds).
type lease struct {
	limit Limit // the limit it was taken under; another limit drops it
	start int64 // slot 0's time
	n     int64 // the slots
	next  int64 // the first slot not spent or given up
	// fetching says a lease for the key is being taken from Redis: the
	// key's other requests meanwhile ask Redis for one request each,
	// rather than take leases that would push each other out.
	fetching bool
}

// end is the time the last slot passes.
func (e *lease) end() int64 { return e.start + e.n*e.limit.interval }

func newLeaseTable(maxKeys int) *leaseTable {
	t := &leaseTable{seed: maphash.MakeSeed(), perShard: max(1, (maxKeys+numShards-1)/numShards)}
	for i := range t.shards {
		t.shards[i].m = make(map[uint64]lease)
	}
	return t
}

func (t *leaseTable) hash(key []byte) uint64 { return maphash.Bytes(t.seed, key) }

func (t *leaseTable) shardOf(h uint64) *leaseShard { return &t.shards[h>>(64-shardBits)] }

// The outcomes of leaseTable.take.
const (
	// leaseServed: a slot of the key's lease admits the request.
	leaseServed = iota
	// leaseFetch: the key has no usable lease; the caller asks Redis for
	// one, and must then install or drop it.
	leaseFetch
	// leaseSingle: another request is taking the key's lease; the caller
	// asks Redis for this request alone.
	leaseSingle
)

// taken identifies a slot take spent, so that it can be given back.
type taken struct {
	start, slot int64
}

// take spends the next usable slot of the lease of key hash h under limit
// l at now, filling d with the decision the slot gives, or says what the
// caller must ask Redis for instead.
func (t *leaseTable) take(h uint64, l Limit, now int64, d *Decision) (int, taken) {
	s := t.shardOf(h)
	s.mu.Lock()
	e, ok := s.m[h]
	if ok && e.limit == l {
		if j := e.usable(now); j < e.n {
			// The slot's time is where the key's TAT would be, had this
			// replica's lease held only the slots spent so far: the
			// decision reports what Redis would have for this request.
			// It always admits (a slot not passed, within the tolerance
			// when Redis granted it); the check keeps a broken invariant
			// from admitting.
			if dd := l.Decide(e.start+j*l.interval, now); dd.Allowed {
				e.next = j + 1
				s.m[h] = e
				s.mu.Unlock()
				*d = dd
				return leaseServed, taken{start: e.start, slot: j}
			}
		}
		if e.fetching {
			s.mu.Unlock()
			return leaseSingle, taken{}
		}
	}
	if !ok && len(s.m) >= t.perShard {
		t.evict(s, now)
	}
	s.m[h] = lease{limit: l, fetching: true}
	s.mu.Unlock()
	return leaseFetch, taken{}
}

// usable returns the first slot at or after next whose time has not
// passed at now; n when none is left.
func (e *lease) usable(now int64) int64 {
	j := e.next
	if e.n == 0 {
		return 0
	}
	if late := now - e.start; late > 0 {
		// Slot j's time is start + j×T; the first not before now is the
		// ceiling of late ÷ T.
		j = max(j, (late+e.limit.interval-1)/e.limit.interval)
	}
	return min(j, e.n)
}

// giveBack returns a slot take spent for a request that was refused after
// all (another limit of the request refused it), when it is still the
// last slot spent; otherwise the slot is lost, which only admits less.
func (t *leaseTable) giveBack(h uint64, l Limit, tk taken) {
	s := t.shardOf(h)
	s.mu.Lock()
	if e, ok := s.m[h]; ok && e.limit == l && e.start == tk.start && e.next == tk.slot+1 {
		e.next = tk.slot
		s.m[h] = e
	}
	s.mu.Unlock()
}

// install keeps the lease Redis granted for key hash h: n slots from
// start, the first spent by the request that asked for it, at now.
func (t *leaseTable) install(h uint64, l Limit, start, n, now int64) {
	s := t.shardOf(h)
	s.mu.Lock()
	if n <= 1 {
		if e, ok := s.m[h]; ok && e.fetching {
			delete(s.m, h)
		}
	} else {
		if _, ok := s.m[h]; !ok && len(s.m) >= t.perShard {
			t.evict(s, now)
		}
		// A lease another request installed meanwhile (the key was
		// evicted while this one was being taken) is replaced: its
		// unspent slots are lost, which only admits less.
		s.m[h] = lease{limit: l, start: start, n: n, next: 1}
	}
	s.mu.Unlock()
}

// drop forgets that a lease for key hash h was being taken: Redis refused
// or failed the request that asked for it.
func (t *leaseTable) drop(h uint64) {
	s := t.shardOf(h)
	s.mu.Lock()
	if e, ok := s.m[h]; ok && e.fetching {
		delete(s.m, h)
	}
	s.mu.Unlock()
}

// len returns the number of keys held.
func (t *leaseTable) len() int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// evict makes room in the full shard s, which the caller holds locked:
// leases whose slots have all passed go, among a few looked at; when none
// has, the one ending first, whose unspent slots are lost (which only
// admits less).
func (t *leaseTable) evict(s *leaseShard, now int64) {
	var victim uint64
	earliest, seen, freed := int64(math.MaxInt64), 0, false
	for k, e := range s.m {
		end := e.end()
		if e.fetching {
			end = math.MaxInt64 - 1 // being taken: the last to go
		}
		if end <= now {
			delete(s.m, k)
			freed = true
		} else if end < earliest {
			victim, earliest = k, end
		}
		if seen++; seen == evictSample {
			break
		}
	}
	if !freed {
		delete(s.m, victim)
	}
}
