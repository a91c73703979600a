package analytics

import (
	"context"
	"sync"
	"time"
)

// DefaultGroupBeacons is the most beacons a GroupCommit inserts in one
// call of its store.
const DefaultGroupBeacons = 5000

// DefaultGroupWriters is how many calls of its store a GroupCommit makes
// at once.
const DefaultGroupWriters = 2

// DefaultGroupTimeout bounds one grouped insert. The callers whose batches
// it holds may have gone; none of their deadlines applies to the others.
const DefaultGroupTimeout = 30 * time.Second

// GroupOptions are a GroupCommit's limits; a zero or negative field takes
// its default.
type GroupOptions struct {
	// MaxBeacons is the most beacons of one insert (DefaultGroupBeacons);
	// a larger batch goes alone.
	MaxBeacons int
	// Writers is how many inserts run at once (DefaultGroupWriters).
	Writers int
	// Timeout bounds one insert (DefaultGroupTimeout).
	Timeout time.Duration
}

// GroupCommit is a Store whose InsertBeacons joins the batches of
// concurrent callers into one call of the store it wraps: one transaction
// for many small batches. Players send a few beacons per request, and a
// transaction's cost is mostly per rollup row, which a larger batch shares
// among more beacons (docs/performance.md).
//
// It adds no wait of its own. A batch that arrives while fewer than
// Writers inserts run is inserted at once; batches that arrive while all
// of them run wait, and the next insert to end takes them together, up to
// MaxBeacons. Each caller gets the beacons of its own batch that were
// stored, as from the store itself: when two batches of a group hold the
// same key, the earlier one's beacon is the one stored, as when the
// earlier request commits first. When a grouped insert of several batches
// fails, each batch is inserted alone, so a batch the store refuses fails
// only its own caller.
//
// Reads go to the wrapped store. A caller whose context ends while its
// batch waits is answered with the context's error and its batch is
// dropped; once its batch is being inserted, the insert completes (the
// store is idempotent, so a retry stores nothing twice). A GroupCommit
// needs no closing: its goroutines end when no batch waits.
type GroupCommit struct {
	Store
	o GroupOptions

	mu      sync.Mutex
	queue   []*groupEntry
	running int // flush goroutines taking the queue
}

// groupEntry is one caller's batch and its answer, set before done closes.
type groupEntry struct {
	ctx     context.Context
	beacons []Ingested
	stored  []Ingested
	err     error
	done    chan struct{}
}

// NewGroupCommit returns a GroupCommit over store.
func NewGroupCommit(store Store, o GroupOptions) *GroupCommit {
	if o.MaxBeacons <= 0 {
		o.MaxBeacons = DefaultGroupBeacons
	}
	if o.Writers <= 0 {
		o.Writers = DefaultGroupWriters
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultGroupTimeout
	}
	return &GroupCommit{Store: store, o: o}
}

// InsertBeacons implements Store.
func (g *GroupCommit) InsertBeacons(ctx context.Context, beacons []Ingested) ([]Ingested, error) {
	if len(beacons) == 0 {
		return nil, nil
	}
	e := &groupEntry{ctx: ctx, beacons: beacons, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, e)
	if g.running < g.o.Writers {
		g.running++
		go g.flush()
	}
	g.mu.Unlock()
	select {
	case <-e.done:
		return e.stored, e.err
	case <-ctx.Done():
		g.mu.Lock()
		for i, q := range g.queue {
			if q == e { // still waiting: nothing of it will be stored
				g.queue = append(g.queue[:i], g.queue[i+1:]...)
				break
			}
		}
		g.mu.Unlock()
		return nil, ctx.Err()
	}
}

// Queued returns how many batches wait for an insert to end.
func (g *GroupCommit) Queued() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queue)
}

// flush inserts the queued batches, group after group, until the queue is
// empty.
func (g *GroupCommit) flush() {
	for {
		g.mu.Lock()
		group := g.take()
		if len(group) == 0 {
			g.running--
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		g.insert(group)
	}
}

// take removes the next group from the queue: the first batch, and those
// after it while the group stays within MaxBeacons. g.mu is held.
func (g *GroupCommit) take() []*groupEntry {
	n, total := 0, 0
	for n < len(g.queue) && (n == 0 || total+len(g.queue[n].beacons) <= g.o.MaxBeacons) {
		total += len(g.queue[n].beacons)
		n++
	}
	group := make([]*groupEntry, n)
	copy(group, g.queue)
	rest := copy(g.queue, g.queue[n:])
	clear(g.queue[rest:])
	g.queue = g.queue[:rest]
	return group
}

// insert inserts a group's batches in one call, or each alone when that
// fails, and answers every caller.
func (g *GroupCommit) insert(group []*groupEntry) {
	if len(group) == 1 {
		e := group[0]
		ctx, cancel := g.context(e)
		e.stored, e.err = g.Store.InsertBeacons(ctx, e.beacons)
		cancel()
		close(e.done)
		return
	}
	n := 0
	for _, e := range group {
		n += len(e.beacons)
	}
	all := make([]Ingested, 0, n)
	for _, e := range group {
		all = append(all, e.beacons...)
	}
	ctx, cancel := g.context(group[0])
	stored, err := g.Store.InsertBeacons(ctx, all)
	cancel()
	if err != nil {
		for _, e := range group {
			g.insert([]*groupEntry{e})
		}
		return
	}
	if len(stored) == n {
		// Every beacon was stored, so no key was there twice: each
		// batch's are its own.
		for _, e := range group {
			e.stored = e.beacons
			close(e.done)
		}
		return
	}
	// The store's answer, handed to the batches in group order: a key two
	// batches share was stored from the earlier one.
	keys := make(map[storedKey]bool, len(stored))
	for i := range stored {
		keys[keyOfBeacon(&stored[i])] = true
	}
	for _, e := range group {
		for i := range e.beacons {
			if k := keyOfBeacon(&e.beacons[i]); keys[k] {
				delete(keys, k)
				e.stored = append(e.stored, e.beacons[i])
			}
		}
		close(e.done)
	}
}

// context returns the context of a grouped insert: e's values (a trace,
// say) without its cancellation, bounded by the Timeout.
func (g *GroupCommit) context(e *groupEntry) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(e.ctx), g.o.Timeout)
}

// storedKey is a beacon's identity in the store.
type storedKey struct {
	org, session string
	seq          int64
}

func keyOfBeacon(b *Ingested) storedKey { return storedKey{b.OrgID, b.SessionID, b.Sequence} }
