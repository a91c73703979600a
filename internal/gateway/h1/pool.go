package h1

import (
	"context"
	"errors"
	"sync"
	"time"
)

// hostPool holds the connections to one target. A pool left with no
// connection leaves its Client's map (forget), so that the targets a
// service had once (DNS discovery replaces them) are not remembered for
// ever; a request that still holds it gets errPoolGone and asks the
// Client again.
type hostPool struct {
	addr string
	key  string // in the Client's map
	c    *Client
	opts *Options

	mu    sync.Mutex
	idle  []*conn // oldest first
	open  int     // connections, idle or busy
	timer *time.Timer
	armed bool
	// wake is signalled when a connection goes idle or closes, for a
	// request waiting at MaxConnsPerHost.
	wake chan struct{}
	gone bool // out of the Client's map: take no connection of it
}

// errPoolGone is a pool that left its Client's map after the request
// found it.
var errPoolGone = errors.New("h1: host pool gone")

// get returns an idle connection, the newest, or dials a new one.
func (h *hostPool) get(ctx context.Context, c *Client) (*conn, error) {
	for {
		h.mu.Lock()
		if h.gone {
			h.mu.Unlock()
			return nil, errPoolGone
		}
		if n := len(h.idle); n > 0 {
			cn := h.idle[n-1]
			h.idle[n-1] = nil
			h.idle = h.idle[:n-1]
			h.mu.Unlock()
			if time.Since(cn.idleAt) > h.opts.IdleTimeout || !cn.idle.clean() {
				cn.close()
				continue
			}
			cn.reused = true
			return cn, nil
		}
		if h.opts.MaxConnsPerHost <= 0 || h.open < h.opts.MaxConnsPerHost {
			h.open++
			h.mu.Unlock()
			return h.dial(ctx)
		}
		h.mu.Unlock()
		select {
		case <-h.wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (h *hostPool) dial(ctx context.Context) (*conn, error) {
	nc, err := h.opts.Dial(ctx, "tcp", h.addr)
	if err != nil {
		h.closed()
		// The dialer ends a connect at the context's deadline with its
		// own timeout, often before the context's timer has fired.
		return nil, contextErr(ctx, err)
	}
	cn := &conn{nc: nc, h: h, r: NewReader(nc, h.opts.Limits)}
	cn.abort = func() { nc.SetDeadline(longAgo) }
	cn.idle.init(nc)
	cn.ww.init(nc)
	return cn, nil
}

// closed counts a connection gone and wakes a waiter; the pool leaves
// the Client's map when that was its last.
func (h *hostPool) closed() {
	h.mu.Lock()
	h.open--
	empty := h.open == 0 && len(h.idle) == 0
	h.signal()
	h.mu.Unlock()
	if empty {
		h.c.forget(h)
	}
}

// signal wakes a request waiting at MaxConnsPerHost. h.mu is held, so
// that it never comes after forget closed wake.
func (h *hostPool) signal() {
	if h.gone {
		return
	}
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// put pools a connection whose response was read to its end.
func (h *hostPool) put(cn *conn) {
	cn.r.Release()
	cn.idleAt = time.Now()
	h.mu.Lock()
	if len(h.idle) >= h.opts.MaxIdlePerHost {
		h.mu.Unlock()
		cn.close()
		return
	}
	h.idle = append(h.idle, cn)
	if !h.armed {
		h.armed = true
		if h.timer == nil {
			h.timer = time.AfterFunc(h.opts.IdleTimeout, h.expire)
		} else {
			h.timer.Reset(h.opts.IdleTimeout)
		}
	}
	if h.opts.MaxConnsPerHost > 0 {
		h.signal()
	}
	h.mu.Unlock()
}

// expire closes the connections idle longer than IdleTimeout, and comes
// back when the oldest left would expire.
func (h *hostPool) expire() {
	h.closeIdle(time.Now().Add(-h.opts.IdleTimeout))
}

// closeIdle closes the idle connections that went idle before cutoff, or
// all of them for a zero cutoff.
func (h *hostPool) closeIdle(cutoff time.Time) {
	h.mu.Lock()
	n := 0
	for n < len(h.idle) && (cutoff.IsZero() || !h.idle[n].idleAt.After(cutoff)) {
		n++
	}
	gone := make([]*conn, n)
	copy(gone, h.idle[:n])
	rest := copy(h.idle, h.idle[n:])
	clear(h.idle[rest:])
	h.idle = h.idle[:rest]
	h.armed = false
	if rest > 0 {
		h.armed = true
		h.timer.Reset(time.Until(h.idle[0].idleAt.Add(h.opts.IdleTimeout)))
	}
	h.mu.Unlock()
	for _, cn := range gone {
		cn.close()
	}
}
