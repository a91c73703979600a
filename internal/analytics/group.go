package analytics

import (
	"context"
	"errors"
	"sync"
	"time"
)

// DefaultGroupBeacons is the most beacons a GroupCommit inserts in one
// call of its store.
const DefaultGroupBeacons = 5000

// DefaultGroupWriters is how many calls of its store a GroupCommit makes
// at once.
const DefaultGroupWriters = 2

// DefaultGroupQueue is, in groups of MaxBeacons, how many beacons may
// wait for a GroupCommit's writers: beyond that a batch is refused with
// ErrBusy. Twenty groups are seconds of writes: a burst waits, a
// database that stays behind sheds.
const DefaultGroupQueue = 20

// ErrBusy is a batch a GroupCommit refused because as many beacons as
// its MaxQueued wait to be written already: the database is not keeping
// up, and the batch is better sent again later than queued behind
// seconds of writes.
var ErrBusy = errors.New("too many beacons wait to be written")

// DefaultGroupTimeout bounds one grouped insert. The callers whose batches
// it holds may have gone; none of their deadlines applies to the others.
const DefaultGroupTimeout = 30 * time.Second

// GroupOptions are a GroupCommit's limits; a zero or negative field takes
// its default.
type GroupOptions struct {
	// MaxBeacons is the most beacons of one insert (DefaultGroupBeacons);
	// a larger batch goes alone.
	MaxBeacons int
	// Writers is how many inserts run at once (DefaultGroupWriters), each
	// beyond the first for half of MaxBeacons at least.
	Writers int
	// Timeout bounds one insert (DefaultGroupTimeout).
	Timeout time.Duration
	// MaxQueued is the most beacons that wait for an insert (DefaultGroupQueue
	// times MaxBeacons, and never fewer than MaxBeacons); a batch that
	// would wait beyond it is refused with ErrBusy, unless none waits.
	MaxQueued int
}

// GroupCommit is a Store whose InsertBeacons joins the batches of
// concurrent callers into one call of the store it wraps: one transaction
// for many small batches. Players send a few beacons per request, and a
// transaction's cost is mostly per rollup row, which a larger batch shares
// among more beacons (docs/performance.md).
//
// It adds no wait of its own. A batch that arrives while no insert runs
// is inserted at once; batches that arrive while one runs wait, and go
// together, up to MaxBeacons, in the next insert. Up to Writers inserts
// run at once, one beside another only when it holds half of MaxBeacons
// at least (mayWrite). With a store that is a Preparer, the next group
// is taken and prepared while the insert before it runs, and inserted as
// soon as that one ends.
//
// Each caller gets the beacons of its own batch that were stored, as
// from the store itself: when two batches of a group hold the same key,
// the earlier one's beacon is the one stored, as when the earlier request
// commits first. When a grouped insert of several batches fails, each
// batch is inserted alone, so a batch the store refuses fails only its
// own caller.
//
// Reads go to the wrapped store. A caller whose context ends while its
// batch is queued is answered with the context's error and its batch is
// dropped; once its batch is taken into a group, the insert completes
// (the store is idempotent, so a retry stores nothing twice). A GroupCommit
// needs no closing: its goroutines end when no batch waits.
type GroupCommit struct {
	Store
	o GroupOptions

	prep Preparer // the store's, when it has one

	mu      sync.Mutex
	ended   sync.Cond // on mu: an insert ended
	queue   []*groupEntry
	waiting int // beacons in the queue
	running int // goroutines taking the queue: with a Preparer, the one preparing
	writing int // inserts running
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
	if o.MaxQueued <= 0 {
		o.MaxQueued = DefaultGroupQueue * o.MaxBeacons
	}
	o.MaxQueued = max(o.MaxQueued, o.MaxBeacons)
	g := &GroupCommit{Store: store, o: o}
	g.prep, _ = store.(Preparer)
	g.ended.L = &g.mu
	return g
}

// InsertBeacons implements Store.
func (g *GroupCommit) InsertBeacons(ctx context.Context, beacons []Ingested) ([]Ingested, error) {
	if len(beacons) == 0 {
		return nil, nil
	}
	e := &groupEntry{ctx: ctx, beacons: beacons, done: make(chan struct{})}
	g.mu.Lock()
	if g.waiting > 0 && g.waiting+len(beacons) > g.o.MaxQueued {
		g.mu.Unlock()
		return nil, ErrBusy
	}
	g.queue = append(g.queue, e)
	g.waiting += len(beacons)
	switch {
	case g.running == 0 && g.prep != nil:
		g.running++
		go g.prepare()
	case g.running == 0, g.prep == nil && g.mayWrite(g.running, g.waiting):
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
				g.waiting -= len(e.beacons)
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

// mayWrite reports whether an insert of n beacons may start while
// writing others run: when none runs, or when fewer than Writers run and
// it holds half a group at least. A transaction's rows are mostly per
// rollup cell, which a larger group shares among more beacons (more so
// for players' small batches), so a second insert of a few batches would
// cost the database more than it saves in waiting.
func (g *GroupCommit) mayWrite(writing, n int) bool {
	return writing == 0 || writing < g.o.Writers && n >= g.o.MaxBeacons/2
}

// flush inserts the queued batches, group after group, until the queue is
// empty (a store that is not a Preparer).
func (g *GroupCommit) flush() {
	for {
		g.mu.Lock()
		// Another writer takes what mayWrite does not let this one take
		// beside it.
		if len(g.queue) == 0 || !g.mayWrite(g.running-1, g.waiting) {
			g.running--
			g.mu.Unlock()
			return
		}
		group, _ := g.take()
		g.mu.Unlock()
		g.insert(group, nil, nil)
	}
}

// prepare prepares the queued batches, group after group, until the queue
// is empty, and hands each prepared group to a goroutine of its own that
// inserts it once mayWrite allows (a Preparer store). So a group is
// prepared while the one before it is written, and the next group is
// taken as soon as this one is handed over: it holds what arrived while
// the insert before it ran.
func (g *GroupCommit) prepare() {
	for {
		g.mu.Lock()
		group, n := g.take()
		if len(group) == 0 {
			g.running--
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		all := joined(group)
		p, err := g.prep.PrepareBeacons(all)
		g.mu.Lock()
		for !g.mayWrite(g.writing, n) {
			g.ended.Wait()
		}
		g.writing++
		g.mu.Unlock()
		go func() {
			if err != nil {
				g.alone(group)
			} else {
				g.insert(group, all, p)
			}
			g.mu.Lock()
			g.writing--
			g.ended.Broadcast()
			g.mu.Unlock()
		}()
	}
}

// joined returns the beacons of a group's batches, in order.
func joined(group []*groupEntry) []Ingested {
	if len(group) == 1 {
		return group[0].beacons
	}
	n := 0
	for _, e := range group {
		n += len(e.beacons)
	}
	all := make([]Ingested, 0, n)
	for _, e := range group {
		all = append(all, e.beacons...)
	}
	return all
}

// take removes the next group from the queue: the first batch, and those
// after it while the group stays within MaxBeacons; it returns the group
// and its beacons. g.mu is held.
func (g *GroupCommit) take() ([]*groupEntry, int) {
	n, total := 0, 0
	for n < len(g.queue) && (n == 0 || total+len(g.queue[n].beacons) <= g.o.MaxBeacons) {
		total += len(g.queue[n].beacons)
		n++
	}
	g.waiting -= total
	group := make([]*groupEntry, n)
	copy(group, g.queue)
	rest := copy(g.queue, g.queue[n:])
	clear(g.queue[rest:])
	g.queue = g.queue[:rest]
	return group, total
}

// insert inserts a group's batches in one call (p, when prepared, whose
// beacons are all) or, when that fails, each alone, and answers every
// caller.
func (g *GroupCommit) insert(group []*groupEntry, all []Ingested, p PreparedInsert) {
	if p == nil {
		all = joined(group)
	}
	ctx, cancel := g.context(group[0])
	var stored []Ingested
	var err error
	if p != nil {
		stored, err = p.Insert(ctx)
	} else {
		stored, err = g.Store.InsertBeacons(ctx, all)
	}
	cancel()
	switch {
	case err != nil && len(group) > 1:
		g.alone(group)
		return
	case len(group) == 1:
		e := group[0]
		e.stored, e.err = stored, err
		close(e.done)
		return
	}
	if len(stored) == len(all) {
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

// alone inserts each batch of a group in a call of its own and answers
// its caller.
func (g *GroupCommit) alone(group []*groupEntry) {
	for _, e := range group {
		g.insert([]*groupEntry{e}, nil, nil)
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
