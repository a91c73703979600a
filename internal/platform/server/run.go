package server

import (
	"context"
	"time"
)

// RunGroup serves every server until ctx is done, then stops them in an
// order load balancers can follow: it lowers health's ready flag (so
// /readyz answers 503), keeps serving for shutdownDelay so that the
// balancers notice and stop sending new requests, and then shuts every
// server down within its own grace. If a server fails to serve before
// that, the others are stopped the same way at once, without the delay.
// RunGroup returns the first error of any server, or nil. health may be
// nil.
func RunGroup(ctx context.Context, shutdownDelay time.Duration, health *Health, servers ...*Server) error {
	// The servers get their own context so they keep serving through the
	// delay after ctx is done.
	serveCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	errc := make(chan error, len(servers))
	for _, s := range servers {
		go func() { errc <- s.Serve(serveCtx) }()
	}

	var first error
	remaining := len(servers)
	delay := shutdownDelay
	select {
	case <-ctx.Done():
	case first = <-errc:
		// A server stopped on its own: serving failed, or someone shut it
		// down directly. Either way the group stops now.
		remaining--
		delay = 0
	}
	if health != nil {
		health.SetReady(false)
	}
	if delay > 0 {
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case first = <-errc:
			remaining--
		}
		timer.Stop()
	}
	stop()
	for ; remaining > 0; remaining-- {
		if err := <-errc; first == nil {
			first = err
		}
	}
	return first
}
