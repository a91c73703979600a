package server

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
)

// Health is a component's readiness: a flag the component raises once it
// can serve and lowers when it starts shutting down, plus named checks of
// the dependencies it needs (a database, another service). Create it with
// NewHealth; it is safe for concurrent use.
type Health struct {
	ready atomic.Bool

	mu     sync.RWMutex
	checks map[string]func(context.Context) error
}

// NewHealth returns a Health that is not ready and has no checks.
func NewHealth() *Health {
	return &Health{checks: make(map[string]func(context.Context) error)}
}

// SetReady raises or lowers the ready flag.
func (h *Health) SetReady(ready bool) { h.ready.Store(ready) }

// Ready reports the ready flag; it does not run the checks.
func (h *Health) Ready() bool { return h.ready.Load() }

// AddCheck registers fn under name, replacing any check of that name. fn
// must honour ctx's deadline; it reports a dependency as unusable by
// returning an error.
func (h *Health) AddCheck(name string, fn func(context.Context) error) {
	if name == "" || fn == nil {
		panic("server: AddCheck needs a name and a function")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks[name] = fn
}

// Check runs every check concurrently and returns the failed ones by name,
// or nil when all pass. A check still running when ctx is done fails with
// ctx's error and is left to finish in the background; a check that panics
// fails too.
func (h *Health) Check(ctx context.Context) map[string]error {
	h.mu.RLock()
	checks := maps.Clone(h.checks)
	h.mu.RUnlock()
	if len(checks) == 0 {
		return nil
	}

	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(checks)) // buffered: late checks never block
	for name, fn := range checks {
		go func() {
			defer func() {
				if v := recover(); v != nil {
					results <- result{name, fmt.Errorf("check panicked: %v", v)}
				}
			}()
			results <- result{name, fn(ctx)}
		}()
	}

	var failed map[string]error
	fail := func(name string, err error) {
		if failed == nil {
			failed = make(map[string]error)
		}
		failed[name] = err
	}
	pending := maps.Clone(checks)
	for len(pending) > 0 {
		select {
		case r := <-results:
			delete(pending, r.name)
			if r.err != nil {
				fail(r.name, r.err)
			}
		case <-ctx.Done():
			for name := range pending {
				fail(name, fmt.Errorf("check did not finish: %w", context.Cause(ctx)))
			}
			return failed
		}
	}
	return failed
}
