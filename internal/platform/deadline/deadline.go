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
	c := Timeout(parent, d)
	return c, c.Cancel
}

// WithCancel returns a copy of parent that cancel ends, as
// context.WithCancel does, but that arms nothing (no registration with
// the parent) until something waits on Done.
func WithCancel(parent context.Context) (context.Context, context.CancelFunc) {
	c := Cancelable(parent)
	return c, c.Cancel
}

// Timeout is WithDeadline for a caller that keeps the context and ends it
// with its Cancel method: one allocation, where WithDeadline makes two
// (the context and its cancel function).
func Timeout(parent context.Context, d time.Time) *Ctx {
	if cur, ok := parent.Deadline(); ok && cur.Before(d) {
		d = cur
	}
	return &Ctx{parent: parent, deadline: d, timed: true}
}

// Cancelable is WithCancel for a caller that keeps the context and ends it
// with its Cancel method, in one allocation.
func Cancelable(parent context.Context) *Ctx {
	return &Ctx{parent: parent}
}

// Ctx is the context WithDeadline, WithCancel, Timeout and Cancelable
// return.
type Ctx struct {
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

func (c *Ctx) Deadline() (time.Time, bool) {
	if !c.timed {
		return c.parent.Deadline()
	}
	return c.deadline, true
}

// Done arms the context: from then on a timer and the parent close the
// channel it returns.
func (c *Ctx) Done() <-chan struct{} { return c.arm().ctx.Done() }

func (c *Ctx) Err() error {
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
func (c *Ctx) keep(err error) error {
	c.err.CompareAndSwap(nil, &err)
	return *c.err.Load()
}

// lazyErr is Err before the context is armed.
func (c *Ctx) lazyErr() error {
	if c.canceled.Load() {
		return context.Canceled
	}
	var err error
	if c.timed {
		err = errBefore(c.parent, c.deadline)
	} else {
		err = c.parent.Err()
	}
	if err != nil {
		return err
	}
	// time.Until reads only the monotonic clock (when the deadline has
	// a monotonic reading, as one from time.Now has): half of time.Now.
	if c.timed && time.Until(c.deadline) <= 0 {
		return context.DeadlineExceeded
	}
	return nil
}

// errBefore is parent.Err() for a child whose own deadline d is checked
// against the clock after it: a lazy parent Ctx whose deadline is not
// before d has not passed it unless d has passed too, so for it (and its
// lazy ancestors alike) the clock is not read. A composition's step
// deadline under its budget under the request's context reads the clock
// once per Err, not once per level.
func errBefore(parent context.Context, d time.Time) error {
	p, ok := parent.(*Ctx)
	if !ok || p.timed && p.deadline.Before(d) {
		return parent.Err()
	}
	if e := p.err.Load(); e != nil {
		return *e
	}
	if a := p.armed.Load(); a != nil {
		return a.ctx.Err()
	}
	if p.canceled.Load() {
		return context.Canceled
	}
	return errBefore(p.parent, d)
}

// Value looks key up in the parent, or in the armed context once there
// is one. context.Cause needs no arming: it asks Err first, then the
// nearest cancelable context for a cause, which is the parent's, or
// none, when the parent has not ended.
func (c *Ctx) Value(key any) any {
	if a := c.armed.Load(); a != nil {
		return a.ctx.Value(key)
	}
	return c.parent.Value(key)
}

// Cancel ends the context, as its context.CancelFunc does.
func (c *Ctx) Cancel() {
	c.canceled.Store(true)
	if a := c.armed.Load(); a != nil {
		a.cancel()
	}
}

// arm makes the context.WithDeadline this one stands for, once. It ends
// at once if this one has: its deadline is past, its parent ended, or
// cancel was called.
func (c *Ctx) arm() *armed {
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

func (c *Ctx) String() string {
	if !c.timed {
		return "deadline.WithCancel"
	}
	return "deadline.WithDeadline(" + c.deadline.String() + ")"
}
