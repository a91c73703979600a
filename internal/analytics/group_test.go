package analytics_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/analytics/analyticsstore"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

// gatedStore records the size of each InsertBeacons call of the store it
// wraps, holds the first one until release closes, and fails any call
// whose beacons include the session "poison" (as a store refusing a
// batch would).
type gatedStore struct {
	analytics.Store
	started chan struct{} // closed when the first call has begun
	release chan struct{}

	mu        sync.Mutex
	sizes     []int
	whileHeld []int // sizes of the calls that began while the first was held
	held      bool
}

var errPoison = errors.New("the store refused the batch")

func (s *gatedStore) InsertBeacons(ctx context.Context, bs []analytics.Ingested) ([]analytics.Ingested, error) {
	s.mu.Lock()
	s.sizes = append(s.sizes, len(bs))
	first := len(s.sizes) == 1
	if s.held {
		s.whileHeld = append(s.whileHeld, len(bs))
	}
	s.held = s.held || first
	s.mu.Unlock()
	if first {
		close(s.started)
		<-s.release
		s.mu.Lock()
		s.held = false
		s.mu.Unlock()
	}
	for i := range bs {
		if bs[i].SessionID == "poison" {
			return nil, errPoison
		}
	}
	return s.Store.InsertBeacons(ctx, bs)
}

// gatedPreparer is a gatedStore that is an analytics.Preparer: a
// prepared insert is the gated store's InsertBeacons, so the same calls
// are counted and held, and it counts the groups prepared.
type gatedPreparer struct {
	*gatedStore
	prepared atomic.Int64
}

func (p *gatedPreparer) PrepareBeacons(bs []analytics.Ingested) (analytics.PreparedInsert, error) {
	p.prepared.Add(1)
	return gatedInsert{p.gatedStore, bs}, nil
}

type gatedInsert struct {
	s  *gatedStore
	bs []analytics.Ingested
}

func (i gatedInsert) Insert(ctx context.Context) ([]analytics.Ingested, error) {
	return i.s.InsertBeacons(ctx, i.bs)
}

func (s *gatedStore) calls() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sizes)
}

// groupFixture is a GroupCommit of one writer and at most max beacons
// over a real store behind a gatedStore, whose first insert (of one
// beacon, session "a") is running and held when it returns.
//
// Over a Preparer (prep), the GroupCommit takes the next group while an
// insert runs: the fixture then queues a lead batch (one beacon, session
// "lead") and waits until it is taken and prepared, so that the batches
// a test queues next wait together, as they do without one. check
// counts the lead's call and beacon.
type groupFixture struct {
	t     *testing.T
	gate  *gatedStore
	prep  *gatedPreparer // nil: the store is no Preparer
	g     *analytics.GroupCommit
	first chan error
	lead  <-chan groupAnswer
}

// groupModes runs a test over a store that is a Preparer and one that is
// not.
func groupModes(t *testing.T, test func(t *testing.T, prep bool)) {
	t.Run("inserts", func(t *testing.T) { test(t, false) })
	t.Run("prepared", func(t *testing.T) { test(t, true) })
}

func newGroupFixture(t *testing.T, be sqldbtest.Backend, max int, prep bool) *groupFixture {
	return newLedFixture(t, be, analytics.GroupOptions{MaxBeacons: max, Writers: 1}, prep)
}

// newLedFixture is newGroupFixture with the options o.
func newLedFixture(t *testing.T, be sqldbtest.Backend, o analytics.GroupOptions, prep bool) *groupFixture {
	f := newGroupFixtureOptions(t, be, o, prep)
	if prep {
		lead := make(chan groupAnswer, 1)
		go func() {
			stored, err := f.g.InsertBeacons(t.Context(), groupBeacons("lead", 1))
			lead <- groupAnswer{stored, err}
		}()
		f.lead = lead
		waitFor(t, "the lead batch taken and prepared", func() bool {
			return f.g.Queued() == 0 && f.prep.prepared.Load() == 2
		})
	}
	return f
}

// newGroupFixtureWriters is newGroupFixture with writers, without a lead
// batch.
func newGroupFixtureWriters(t *testing.T, be sqldbtest.Backend, max, writers int, prep bool) *groupFixture {
	return newGroupFixtureOptions(t, be, analytics.GroupOptions{MaxBeacons: max, Writers: writers}, prep)
}

func newGroupFixtureOptions(t *testing.T, be sqldbtest.Backend, o analytics.GroupOptions, prep bool) *groupFixture {
	store, err := analyticsstore.Open(t.Context(), be.Open(t))
	if err != nil {
		t.Fatal(err)
	}
	f := &groupFixture{t: t, gate: &gatedStore{Store: store, started: make(chan struct{}), release: make(chan struct{})},
		first: make(chan error, 1)}
	var wrapped analytics.Store = f.gate
	if prep {
		f.prep = &gatedPreparer{gatedStore: f.gate}
		wrapped = f.prep
	}
	f.g = analytics.NewGroupCommit(wrapped, o)
	go func() {
		_, err := f.g.InsertBeacons(t.Context(), groupBeacons("a", 1))
		f.first <- err
	}()
	<-f.gate.started
	return f
}

// waitFor waits until cond holds, failing the test after ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s, still waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// queue starts an insert of bs and waits until it is queued; its answer
// arrives on the returned channel.
func (f *groupFixture) queue(ctx context.Context, bs []analytics.Ingested) <-chan groupAnswer {
	f.t.Helper()
	before := f.g.Queued()
	prepared := f.preparedGroups()
	ch := make(chan groupAnswer, 1)
	go func() {
		stored, err := f.g.InsertBeacons(ctx, bs)
		ch <- groupAnswer{stored, err}
	}()
	// Queued, or taken at once by an idle preparer or writer.
	for f.g.Queued() == before && f.preparedGroups() == prepared && len(ch) == 0 {
		time.Sleep(time.Millisecond)
	}
	return ch
}

// preparedGroups returns how many groups the store prepared (0 when it
// is no Preparer).
func (f *groupFixture) preparedGroups() int64 {
	if f.prep == nil {
		return 0
	}
	return f.prep.prepared.Load()
}

type groupAnswer struct {
	stored []analytics.Ingested
	err    error
}

var groupT0 = time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour)

// groupBeacons returns n beacons of session, sequences 1 to n.
func groupBeacons(session string, n int) []analytics.Ingested {
	out := make([]analytics.Ingested, n)
	for i := range out {
		out[i] = analytics.Ingested{OrgID: "org_g", IntegrationID: "int_g", ReceivedAt: groupT0,
			Beacon: analytics.Beacon{SessionID: session, Sequence: int64(i + 1), Time: groupT0.Add(time.Duration(i) * time.Second),
				ContentID: "c", StreamType: analytics.StreamVOD, Platform: analytics.PlatformWeb,
				Network: analytics.NetworkWiFi, PlayedMS: 1000, StartupMS: -1}}
	}
	return out
}

func storedKeys(bs []analytics.Ingested) []string {
	var out []string
	for _, b := range bs {
		out = append(out, fmt.Sprintf("%s/%d", b.SessionID, b.Sequence))
	}
	return out
}

// check reports a difference between the sizes of the store's calls and
// calls, and between the beacons its hour rollups count and beacons.
func (f *groupFixture) check(calls []int, beacons int64) {
	f.t.Helper()
	if f.lead != nil {
		if a := <-f.lead; a.err != nil || len(a.stored) != 1 {
			f.t.Errorf("lead batch: stored %d, %v", len(a.stored), a.err)
		}
		calls = append([]int{calls[0], 1}, calls[1:]...)
		beacons++
	}
	if got := f.gate.calls(); !slices.Equal(got, calls) {
		f.t.Errorf("store calls of %v beacons, want %v", got, calls)
	}
	if n := groupBeaconTotal(f.t, f.gate.Store); n != beacons {
		f.t.Errorf("hour rollups count %d beacons, want %d", n, beacons)
	}
}

func groupBeaconTotal(t *testing.T, s analytics.Store) int64 {
	t.Helper()
	rows, err := s.Sums(t.Context(), analytics.RollupQuery{OrgID: "org_g", Level: analytics.LevelHour,
		Ranges: []analytics.Range{{From: groupT0.Add(-time.Hour), To: groupT0.Add(2 * time.Hour)}}})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, r := range rows {
		n += r.Sums.Beacons
	}
	return n
}

// TestGroupCommit: batches that arrive during an insert go together in
// the next one, each caller learns which of its own beacons were stored,
// and a key two batches share is stored once, from the earlier batch.
func TestGroupCommit(t *testing.T) {
	groupModes(t, testGroupCommit)
}

func testGroupCommit(t *testing.T, prep bool) {
	for _, be := range sqldbtest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			be.Require(t)
			f := newGroupFixture(t, be, 0, prep)
			b := f.queue(t.Context(), groupBeacons("b", 3))
			c := f.queue(t.Context(), append(groupBeacons("c", 2), groupBeacons("b", 2)[1])) // b/2 again
			d := f.queue(t.Context(), groupBeacons("d", 1))
			close(f.gate.release)
			if err := <-f.first; err != nil {
				t.Fatal(err)
			}
			want := map[string][]string{"b": {"b/1", "b/2", "b/3"}, "c": {"c/1", "c/2"}, "d": {"d/1"}}
			for name, ch := range map[string]<-chan groupAnswer{"b": b, "c": c, "d": d} {
				a := <-ch
				if a.err != nil {
					t.Fatalf("%s: %v", name, a.err)
				}
				if got := storedKeys(a.stored); !slices.Equal(got, want[name]) {
					t.Errorf("%s stored %v, want %v", name, got, want[name])
				}
			}
			f.check([]int{1, 7}, 7) // the three queued batches in one call
		})
	}
}

// TestGroupCommitLimits: a group holds at most max beacons, and a batch
// larger than that goes alone.
func TestGroupCommitLimits(t *testing.T) {
	groupModes(t, testGroupCommitLimits)
}

func testGroupCommitLimits(t *testing.T, prep bool) {
	be := sqldbtest.Backends(t)[0]
	be.Require(t)
	f := newGroupFixture(t, be, 5, prep)
	var answers []<-chan groupAnswer
	for i, n := range []int{3, 3, 2, 7, 1} {
		answers = append(answers, f.queue(t.Context(), groupBeacons(fmt.Sprintf("s%d", i), n)))
	}
	close(f.gate.release)
	for _, ch := range answers {
		if a := <-ch; a.err != nil {
			t.Fatal(a.err)
		}
	}
	f.check([]int{1, 3, 5, 7, 1}, 17)
}

// TestGroupCommitIsolatesFailure: when a group's insert fails, each batch
// is inserted alone, so only the refused batch's caller sees the error.
func TestGroupCommitIsolatesFailure(t *testing.T) {
	groupModes(t, testGroupCommitIsolatesFailure)
}

func testGroupCommitIsolatesFailure(t *testing.T, prep bool) {
	be := sqldbtest.Backends(t)[0]
	be.Require(t)
	f := newGroupFixture(t, be, 0, prep)
	b := f.queue(t.Context(), groupBeacons("b", 2))
	p := f.queue(t.Context(), groupBeacons("poison", 1))
	c := f.queue(t.Context(), groupBeacons("c", 2))
	close(f.gate.release)
	if a := <-p; !errors.Is(a.err, errPoison) {
		t.Errorf("poisoned batch: %v, want its own failure", a.err)
	}
	for name, ch := range map[string]<-chan groupAnswer{"b": b, "c": c} {
		if a := <-ch; a.err != nil || len(a.stored) != 2 {
			t.Errorf("%s: stored %d, %v; want both beacons", name, len(a.stored), a.err)
		}
	}
	f.check([]int{1, 5, 2, 1, 2}, 5) // the group, then each batch
}

// TestGroupCommitCanceledWhileWaiting: a caller that gives up while its
// batch waits gets its context's error, and nothing of its batch is
// stored.
func TestGroupCommitCanceledWhileWaiting(t *testing.T) {
	groupModes(t, testGroupCommitCanceledWhileWaiting)
}

func testGroupCommitCanceledWhileWaiting(t *testing.T, prep bool) {
	be := sqldbtest.Backends(t)[0]
	be.Require(t)
	f := newGroupFixture(t, be, 0, prep)
	ctx, cancel := context.WithCancel(t.Context())
	gone := f.queue(ctx, groupBeacons("gone", 3))
	cancel()
	if a := <-gone; !errors.Is(a.err, context.Canceled) {
		t.Errorf("canceled caller: %v, want context.Canceled", a.err)
	}
	if n := f.g.Queued(); n != 0 {
		t.Errorf("%d batches still queued after the cancel", n)
	}
	close(f.gate.release)
	if err := <-f.first; err != nil {
		t.Fatal(err)
	}
	f.check([]int{1}, 1)
}

// echoStore stores everything it is given, taking a while per call so
// that concurrent batches queue and group.
type echoStore struct{ analytics.Store }

func (echoStore) InsertBeacons(_ context.Context, bs []analytics.Ingested) ([]analytics.Ingested, error) {
	time.Sleep(200 * time.Microsecond)
	return bs, nil
}

// BenchmarkGroupCommit measures the grouping's own cost: players'
// batches of 10 beacons from 64 callers at once, over a store that
// stores everything; per batch.
func BenchmarkGroupCommit(b *testing.B) {
	g := analytics.NewGroupCommit(echoStore{}, analytics.GroupOptions{})
	b.SetParallelism(64 / max(1, runtime.GOMAXPROCS(0)))
	var sessions atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			bs := groupBeacons(fmt.Sprintf("s%d", sessions.Add(1)), 10)
			got, err := g.InsertBeacons(b.Context(), bs)
			if err != nil || len(got) != len(bs) {
				b.Errorf("stored %d of %d: %v", len(got), len(bs), err)
				return
			}
		}
	})
}

// ctxStore holds each insert until its context ends or release closes,
// and reports what that context was when called.
type ctxStore struct {
	analytics.Store
	called  chan context.Context
	release chan struct{}
}

func (s *ctxStore) InsertBeacons(ctx context.Context, bs []analytics.Ingested) ([]analytics.Ingested, error) {
	s.called <- ctx
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.release:
		return bs, nil
	}
}

type ctxKey struct{}

// TestGroupCommitContext checks the context of a grouped insert: the
// caller's values, not its cancellation, and the Timeout as its deadline.
func TestGroupCommitContext(t *testing.T) {
	t.Run("caller gone", func(t *testing.T) {
		s := &ctxStore{called: make(chan context.Context, 1), release: make(chan struct{})}
		g := analytics.NewGroupCommit(s, analytics.GroupOptions{Timeout: time.Hour})
		ctx, cancel := context.WithCancel(context.WithValue(t.Context(), ctxKey{}, "trace"))
		answer := make(chan error, 1)
		go func() {
			_, err := g.InsertBeacons(ctx, groupBeacons("a", 2))
			answer <- err
		}()
		ictx := <-s.called
		cancel()
		if err := <-answer; !errors.Is(err, context.Canceled) {
			t.Errorf("caller: %v, want context.Canceled", err)
		}
		if err := ictx.Err(); err != nil {
			t.Errorf("the insert's context ended with its caller's: %v", err)
		}
		if v := ictx.Value(ctxKey{}); v != "trace" {
			t.Errorf("the insert's context lost the caller's values: %v", v)
		}
		d, ok := ictx.Deadline()
		if !ok || time.Until(d) > time.Hour {
			t.Errorf("the insert's deadline is %v (set %v), want within the hour of Timeout", d, ok)
		}
		close(s.release)
	})
	t.Run("timeout", func(t *testing.T) {
		s := &ctxStore{called: make(chan context.Context, 1), release: make(chan struct{})}
		g := analytics.NewGroupCommit(s, analytics.GroupOptions{Timeout: 20 * time.Millisecond})
		answer := make(chan error, 1)
		go func() {
			_, err := g.InsertBeacons(t.Context(), groupBeacons("a", 2))
			answer <- err
		}()
		<-s.called
		select {
		case err := <-answer:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("an insert past the Timeout answered %v, want context.DeadlineExceeded", err)
			}
		case <-time.After(10 * time.Second):
			close(s.release)
			t.Fatal("an insert held past its 20ms Timeout was not ended")
		}
	})
}

// TestGroupCommitSecondWriter: with two writers, an insert runs beside
// another only when it holds half of MaxBeacons at least; a smaller one
// waits for the running insert to end.
func TestGroupCommitSecondWriter(t *testing.T) {
	groupModes(t, func(t *testing.T, prep bool) {
		be := sqldbtest.Backends(t)[0]
		be.Require(t)
		f := newGroupFixtureWriters(t, be, 4, 2, prep)
		half := make(chan groupAnswer, 1)
		go func() {
			stored, err := f.g.InsertBeacons(t.Context(), groupBeacons("half", 2))
			half <- groupAnswer{stored, err}
		}()
		if a := <-half; a.err != nil || len(a.stored) != 2 { // while the first is held
			t.Fatalf("half a group: stored %d, %v", len(a.stored), a.err)
		}
		small := f.queue(t.Context(), groupBeacons("small", 1))
		close(f.gate.release)
		if err := <-f.first; err != nil {
			t.Fatal(err)
		}
		if a := <-small; a.err != nil || len(a.stored) != 1 {
			t.Fatalf("small batch: stored %d, %v", len(a.stored), a.err)
		}
		f.check([]int{1, 2, 1}, 4)
		f.gate.mu.Lock()
		defer f.gate.mu.Unlock()
		if !slices.Equal(f.gate.whileHeld, []int{2}) {
			t.Errorf("calls of %v beacons began while the first insert ran, want [2]", f.gate.whileHeld)
		}
	})
}

// TestGroupCommitBusy: a batch that would make more than MaxQueued
// beacons wait is refused with ErrBusy, and one that fits still waits;
// when none waits, a batch of any size is taken.
func TestGroupCommitBusy(t *testing.T) {
	groupModes(t, func(t *testing.T, prep bool) {
		be := sqldbtest.Backends(t)[0]
		be.Require(t)
		f := newLedFixture(t, be, analytics.GroupOptions{MaxBeacons: 5, MaxQueued: 5, Writers: 1}, prep)
		b := f.queue(t.Context(), groupBeacons("b", 3))
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second) // queued, it would wait for the release
		_, err := f.g.InsertBeacons(ctx, groupBeacons("c", 3))
		cancel()
		if !errors.Is(err, analytics.ErrBusy) {
			t.Errorf("3 beacons beyond 3 waiting of 5: %v, want ErrBusy", err)
		}
		d := f.queue(t.Context(), groupBeacons("d", 2))
		close(f.gate.release)
		if err := <-f.first; err != nil {
			t.Fatal(err)
		}
		for name, ch := range map[string]<-chan groupAnswer{"b": b, "d": d} {
			if a := <-ch; a.err != nil {
				t.Errorf("%s: %v", name, a.err)
			}
		}
		if stored, err := f.g.InsertBeacons(t.Context(), groupBeacons("big", 7)); err != nil || len(stored) != 7 {
			t.Errorf("7 beacons with none waiting: stored %d, %v", len(stored), err)
		}
		f.check([]int{1, 5, 7}, 13)
	})
}
