// Package deadline gives a request's work a deadline without a timer.
//
// context.WithTimeout arms a runtime timer and registers the new context
// with its parent for every request, and cancelling it undoes both; on
// the gateway's fast paths that was 3.5 % of a passthrough's CPU and
// 5.6 % of a composition's, which takes one per step. Yet nearly every
// request ends long before its timeout, and nobody waits on the
// context's Done channel meanwhile: the upstream client reads the
// deadline and sets it on the connection, and watches Done only for an
// exchange that outlives a grace.
//
// WithTimeout here returns a context that keeps the deadline and its
// parent and does nothing more until something asks for Done (deriving
// a cancelable context, or context.AfterFunc, asks for it).
// Then, and only then, it arms a context.WithDeadline of the parent, and
// serves Done, Err and Value from it. Until then Err compares the clock
// with the deadline and asks the parent, so it reports the deadline
// however the timer would have, at most as late as the clock is read.
// Err is sticky: once it has answered an error, it answers that one.
//
// WithCancel is the same without a deadline: a context the caller can
// cancel, which makes a context.WithCancel of its parent only when
// something waits on Done. A server gives one to every request.
package deadline

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// WithTimeout returns a copy of parent whose deadline is no later than
// now plus timeout, and the function that cancels it, as
// context.WithTimeout does; see the package's documentation for how it
// differs inside. Call cancel when the work is done.
func WithTimeout(parent context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	return WithDeadline(parent, time.Now().Add(timeout))
}

// WithDeadline is WithTimeout with an instant.
func WithDeadline(parent context.Context, d time.Time) (context.Context, context.CancelFunc) {
	if cur, ok := parent.Deadline(); ok && cur.Before(d) {
		d = cur
	}
	c := &lazyCtx{parent: parent, deadline: d, timed: true}
	return c, c.cancel
}

// WithCancel returns a copy of parent that cancel ends, as
// context.WithCancel does, but that arms nothing (no registration with
// the parent) until something waits on Done.
func WithCancel(parent context.Context) (context.Context, context.CancelFunc) {
	c := &lazyCtx{parent: parent}
	return c, c.cancel
}

type lazyCtx struct {
	parent   context.Context
	deadline time.Time
	timed    bool // deadline is set: WithDeadline, not WithCancel
	canceled atomic.Bool
	err      atomic.Pointer[error] // the first error Err answered
	mu       sync.Mutex            // arming
	armed    atomic.Pointer[armed]
}

type armed struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func (c *lazyCtx) Deadline() (time.Time, bool) {
	if !c.timed {
		return c.parent.Deadline()
	}
	return c.deadline, true
}

// Done arms the context: from then on a timer and the parent close the
// channel it returns.
func (c *lazyCtx) Done() <-chan struct{} { return c.arm().ctx.Done() }

func (c *lazyCtx) Err() error {
	if e := c.err.Load(); e != nil {
		return *e
	}
	var err error
	if a := c.armed.Load(); a != nil {
		err = a.ctx.Err()
	} else {
		err = c.lazyErr()
	}
	if err == nil {
		return nil
	}
	return c.keep(err)
}

// keep stores err as Err's answer unless another was stored first, and
// returns the one stored. A function of its own so that Err's error
// escapes to the heap only when there is one: Err is called on every
// request, nearly always before any end.
func (c *lazyCtx) keep(err error) error {
	c.err.CompareAndSwap(nil, &err)
	return *c.err.Load()
}

// lazyErr is Err before the context is armed.
func (c *lazyCtx) lazyErr() error {
	if c.canceled.Load() {
		return context.Canceled
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if c.timed && !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// Value looks key up in the parent, or in the armed context once there
// is one. context.Cause needs no arming: it asks Err first, then the
// nearest cancelable context for a cause, which is the parent's, or
// none, when the parent has not ended.
func (c *lazyCtx) Value(key any) any {
	if a := c.armed.Load(); a != nil {
		return a.ctx.Value(key)
	}
	return c.parent.Value(key)
}

func (c *lazyCtx) cancel() {
	c.canceled.Store(true)
	if a := c.armed.Load(); a != nil {
		a.cancel()
	}
}

// arm makes the context.WithDeadline this one stands for, once. It ends
// at once if this one has: its deadline is past, its parent ended, or
// cancel was called.
func (c *lazyCtx) arm() *armed {
	if a := c.armed.Load(); a != nil {
		return a
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.armed.Load(); a != nil {
		return a
	}
	a := &armed{}
	if c.timed {
		a.ctx, a.cancel = context.WithDeadline(c.parent, c.deadline)
	} else {
		a.ctx, a.cancel = context.WithCancel(c.parent)
	}
	c.armed.Store(a)
	if c.canceled.Load() { // cancel stores canceled, then loads armed
		a.cancel()
	}
	return a
}

func (c *lazyCtx) String() string {
	if !c.timed {
		return "deadline.WithCancel"
	}
	return "deadline.WithDeadline(" + c.deadline.String() + ")"
}
