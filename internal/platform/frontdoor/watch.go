package frontdoor

import "time"

// watchGrace is how long a request runs before the front door watches
// its connection for the client leaving.
//
// net/http reads every connection in the background while its request
// is served, so that the request's context ends when the client goes:
// a goroutine, a read that finds nothing, and two deadline changes per
// request. Most requests end long before that could matter. Here a
// timer, made once per connection and reset per request, starts the
// same read only for a request still running after the grace (once its
// body was read to the end: until then the handler reads the
// connection). A client that leaves sooner is noticed when its response
// is written, as it would be by net/http in a pipelined request.
const watchGrace = 5 * time.Millisecond

// armWatch starts the grace of the current request; c.mu is held.
func (c *conn) armWatch(now time.Time) {
	c.busy = now
	c.watchable = true
	c.pipelined = c.br.Buffered() > 0
	if c.pipelined {
		return // the client already sent more: it is still there
	}
	if c.watchTimer == nil {
		c.watchTimer = time.AfterFunc(watchGrace, c.watchFired)
		return
	}
	c.watchTimer.Reset(watchGrace)
}

// disarmWatch stops the grace's timer; c.mu is held.
func (c *conn) disarmWatch() {
	c.watchable = false
	if c.watchTimer != nil {
		c.watchTimer.Stop()
	}
}

// stopWatch stops the grace's timer and, when a watch reads the
// connection (watched), interrupts its read; it returns the channel the
// watch closes on its end, to wait on once c.mu is released. c.mu is held.
func (c *conn) stopWatch(watched bool) chan struct{} {
	c.disarmWatch()
	end := c.watchEnd
	c.watchEnd = nil
	if watched {
		c.rwc.SetReadDeadline(aLongTimeAgo)
	}
	return end
}

// watchFired runs on the timer's goroutine: if the request it was armed
// for still runs, it reads the connection until the client leaves (its
// context then ends) or the request ends (endRequest interrupts the read).
func (c *conn) watchFired() {
	c.mu.Lock()
	if c.state != stateActive || !c.watchable || c.pipelined || time.Since(c.busy) < watchGrace {
		c.mu.Unlock()
		return
	}
	c.state = stateWatched
	end := make(chan struct{})
	c.watchEnd = end
	cancel := c.cancel
	c.rwc.SetReadDeadline(time.Time{})
	c.mu.Unlock()
	defer close(end)

	n, err := c.rwc.Read(c.src.byteBuf[:])
	if n == 1 {
		// The next request's first byte (pipelining): kept for it, and
		// the context does not end, as with net/http.
		c.src.hasByte = true
	}
	if err == nil {
		return
	}
	c.mu.Lock()
	interrupted := c.state != stateWatched // endRequest or hijack
	c.mu.Unlock()
	if interrupted && isTimeout(err) {
		return
	}
	if cancel != nil {
		cancel.Cancel()
	}
}
