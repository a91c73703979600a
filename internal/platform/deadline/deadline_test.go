package deadline

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

type valueKey struct{}

// Before anything waits on it, the context reports its deadline, its
// parent's values and, by the clock, its end.
func TestLazyDeadline(t *testing.T) {
	parent := context.WithValue(context.Background(), valueKey{}, "v")
	ctx, cancel := WithTimeout(parent, time.Hour)
	defer cancel()
	d, ok := ctx.Deadline()
	if !ok || time.Until(d) < 59*time.Minute {
		t.Fatalf("Deadline %v %v", d, ok)
	}
	if ctx.Value(valueKey{}) != "v" || ctx.Err() != nil {
		t.Fatalf("Value %v, Err %v", ctx.Value(valueKey{}), ctx.Err())
	}
	if ctx.(*Ctx).armed.Load() != nil {
		t.Fatal("armed without anything waiting")
	}

	// A parent's earlier deadline is the deadline.
	early, cancelEarly := context.WithTimeout(context.Background(), time.Minute)
	defer cancelEarly()
	want, _ := early.Deadline()
	inner, cancelInner := WithTimeout(early, time.Hour)
	defer cancelInner()
	if got, _ := inner.Deadline(); !got.Equal(want) {
		t.Fatalf("Deadline %v, want the parent's %v", got, want)
	}

	past, cancelPast := WithDeadline(context.Background(), time.Now().Add(-time.Millisecond))
	defer cancelPast()
	if !errors.Is(past.Err(), context.DeadlineExceeded) {
		t.Fatalf("past deadline: Err %v", past.Err())
	}
	select {
	case <-past.Done():
	default:
		t.Fatal("past deadline: Done not closed")
	}
	if context.Cause(past) != context.DeadlineExceeded {
		t.Fatalf("past deadline: Cause %v", context.Cause(past))
	}
}

// Waiting on Done arms a timer: Done closes at the deadline.
func TestDoneAtDeadline(t *testing.T) {
	ctx, cancel := WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done never closed")
	}
	if ctx.Err() != context.DeadlineExceeded || context.Cause(ctx) != context.DeadlineExceeded {
		t.Fatalf("Err %v, Cause %v", ctx.Err(), context.Cause(ctx))
	}
}

func TestCancel(t *testing.T) {
	t.Run("before Done", func(t *testing.T) {
		ctx, cancel := WithTimeout(context.Background(), time.Hour)
		cancel()
		if ctx.Err() != context.Canceled {
			t.Fatalf("Err %v", ctx.Err())
		}
		<-ctx.Done() // closed: it would block otherwise
		if context.Cause(ctx) != context.Canceled {
			t.Fatalf("Cause %v", context.Cause(ctx))
		}
	})
	t.Run("after Done", func(t *testing.T) {
		ctx, cancel := WithTimeout(context.Background(), time.Hour)
		done := ctx.Done()
		cancel()
		<-done
		if ctx.Err() != context.Canceled {
			t.Fatalf("Err %v", ctx.Err())
		}
	})
}

// The parent's end is the context's, whether it came before or after
// Done was asked for, with the parent's cause.
func TestParentEnds(t *testing.T) {
	why := errors.New("client left")
	for _, early := range []bool{false, true} {
		parent, cancelParent := context.WithCancelCause(context.Background())
		ctx, cancel := WithTimeout(parent, time.Hour)
		var done <-chan struct{}
		if early {
			done = ctx.Done()
		}
		cancelParent(why)
		if ctx.Err() != context.Canceled {
			t.Fatalf("early %v: Err %v", early, ctx.Err())
		}
		if !early {
			done = ctx.Done()
		}
		<-done
		if context.Cause(ctx) != why {
			t.Fatalf("early %v: Cause %v", early, context.Cause(ctx))
		}
		cancel()
	}
}

// The first error Err answers is the one it keeps answering.
func TestErrSticky(t *testing.T) {
	parent, cancelParent := context.WithCancel(context.Background())
	ctx, cancel := WithDeadline(parent, time.Now().Add(-time.Second))
	defer cancel()
	if ctx.Err() != context.DeadlineExceeded {
		t.Fatalf("Err %v", ctx.Err())
	}
	cancelParent()
	cancel()
	if ctx.Err() != context.DeadlineExceeded {
		t.Fatalf("after the parent and cancel: Err %v, want still DeadlineExceeded", ctx.Err())
	}
}

// Contexts derived from it end with it, without a goroutine each.
func TestDerived(t *testing.T) {
	ctx, cancel := WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	children := deriveWithoutGoroutines(t, ctx, 100)
	ran := make(chan struct{})
	context.AfterFunc(ctx, func() { close(ran) })
	for _, c := range children {
		<-c.Done()
		if c.Err() != context.DeadlineExceeded {
			t.Fatalf("derived: Err %v", c.Err())
		}
	}
	<-ran
}

// deriveWithoutGoroutines derives n cancelable contexts from ctx, checks
// that they did not start a goroutine each, and returns them; they are
// cancelled when the test ends.
func deriveWithoutGoroutines(t *testing.T, ctx context.Context, n int) []context.Context {
	t.Helper()
	before := runtime.NumGoroutine()
	children := make([]context.Context, n)
	for i := range children {
		var c context.CancelFunc
		children[i], c = context.WithCancel(ctx)
		t.Cleanup(c)
	}
	if g := runtime.NumGoroutine(); g > before+n/2 {
		t.Fatalf("%d goroutines for %d derived contexts, %d before", g, n, before)
	}
	return children
}

// Done, Err, Value and cancel from many goroutines at once (go test
// -race).
func TestConcurrent(t *testing.T) {
	for range 50 {
		ctx, cancel := WithTimeout(context.Background(), time.Millisecond)
		var wg sync.WaitGroup
		chans := make([]<-chan struct{}, 8)
		for i := range chans {
			wg.Go(func() {
				_ = ctx.Err()
				chans[i] = ctx.Done()
				_ = ctx.Value(valueKey{})
				if i == 3 {
					cancel()
				}
			})
		}
		wg.Wait()
		for _, c := range chans {
			if c != chans[0] {
				t.Fatal("Done returned different channels")
			}
			<-c
		}
		if ctx.Err() == nil {
			t.Fatal("ended, Err nil")
		}
	}
}

// BenchmarkWithTimeout is a request's deadline that nobody waits on: made,
// read, cancelled.
func BenchmarkWithTimeout(b *testing.B) {
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, bc := range []struct {
		name string
		with func(context.Context, time.Duration) (context.Context, context.CancelFunc)
	}{{"lazy", WithTimeout}, {"context", context.WithTimeout}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ctx, cancel := bc.with(parent, time.Second)
				if _, ok := ctx.Deadline(); !ok || ctx.Err() != nil {
					b.Fatal("no deadline")
				}
				cancel()
			}
		})
	}
}

// WithCancel has its parent's deadline, arms nothing until Done, ends by
// cancel or with its parent, and derived contexts attach to it without a
// goroutine each.
func TestWithCancel(t *testing.T) {
	parent, cancelParent := context.WithTimeout(context.WithValue(context.Background(), valueKey{}, "v"), time.Hour)
	defer cancelParent()
	ctx, cancel := WithCancel(parent)
	pd, _ := parent.Deadline()
	if d, ok := ctx.Deadline(); !ok || !d.Equal(pd) {
		t.Fatalf("Deadline %v %v, want the parent's %v", d, ok, pd)
	}
	if ctx.Value(valueKey{}) != "v" || ctx.Err() != nil || ctx.(*Ctx).armed.Load() != nil {
		t.Fatalf("before Done: Value %v, Err %v, armed %v", ctx.Value(valueKey{}), ctx.Err(), ctx.(*Ctx).armed.Load() != nil)
	}
	cancel()
	if ctx.Err() != context.Canceled {
		t.Fatalf("cancelled: Err %v", ctx.Err())
	}
	<-ctx.Done()

	// No deadline of its own, whatever the clock says.
	ctx, cancel = WithCancel(context.Background())
	if _, ok := ctx.Deadline(); ok {
		t.Fatal("a deadline without one set")
	}
	children := deriveWithoutGoroutines(t, ctx, 50)
	cancel()
	for _, c := range children {
		<-c.Done()
	}

	// The parent's end.
	p2, end := context.WithCancel(context.Background())
	ctx, cancel = WithCancel(p2)
	defer cancel()
	end()
	if ctx.Err() != context.Canceled {
		t.Fatalf("parent ended: Err %v", ctx.Err())
	}
}

// Timeout's and Cancelable's Cancel ends them as the cancel function of
// WithDeadline does.
func TestTimeoutAndCancelable(t *testing.T) {
	parent := context.Background()
	c := Timeout(parent, time.Now().Add(time.Hour))
	done := c.Done()
	c.Cancel()
	<-done
	if c.Err() != context.Canceled {
		t.Fatalf("Err %v after Cancel", c.Err())
	}
	past := Timeout(parent, time.Now().Add(-time.Second))
	if past.Err() != context.DeadlineExceeded {
		t.Fatalf("Err %v past the deadline", past.Err())
	}
	k := Cancelable(parent)
	if _, ok := k.Deadline(); ok || k.Err() != nil {
		t.Fatal("Cancelable has a deadline or an error before Cancel")
	}
	k.Cancel()
	if k.Err() != context.Canceled {
		t.Fatalf("Err %v after Cancel", k.Err())
	}
}

// A Ctx under lazy Ctx ancestors reads the clock for its own deadline
// only, and still reports every ancestor's end: cancellation at any level,
// the deadline that the nearest one shares with it, and an armed one's.
func TestNestedErr(t *testing.T) {
	root := Cancelable(context.Background())
	budget := Timeout(root, time.Now().Add(time.Hour))
	step := Timeout(budget, time.Now().Add(time.Minute))
	if step.Err() != nil {
		t.Fatalf("Err %v before any end", step.Err())
	}
	root.Cancel()
	if step.Err() != context.Canceled {
		t.Fatalf("Err %v after the root's Cancel", step.Err())
	}

	// A budget that has passed: the step's deadline, no later, has too.
	budget = Timeout(context.Background(), time.Now().Add(20*time.Millisecond))
	step = Timeout(budget, time.Now().Add(time.Hour))
	if d, _ := step.Deadline(); !d.Equal(budget.deadline) {
		t.Fatalf("step deadline %v, want the budget's %v", d, budget.deadline)
	}
	time.Sleep(30 * time.Millisecond)
	if step.Err() != context.DeadlineExceeded {
		t.Fatalf("Err %v after the budget", step.Err())
	}

	// An armed budget canceled: its context's end is reported.
	budget = Timeout(context.Background(), time.Now().Add(time.Hour))
	<-func() <-chan struct{} { done := budget.Done(); budget.Cancel(); return done }()
	step = Timeout(budget, time.Now().Add(time.Minute))
	if step.Err() != context.Canceled {
		t.Fatalf("Err %v under an armed, canceled budget", step.Err())
	}

	// An ancestor that is not a Ctx is asked as it is.
	parent, cancel := context.WithCancel(context.Background())
	step = Timeout(Timeout(parent, time.Now().Add(time.Hour)), time.Now().Add(time.Minute))
	cancel()
	if step.Err() != context.Canceled {
		t.Fatalf("Err %v under a canceled context.WithCancel", step.Err())
	}
}
