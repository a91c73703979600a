package upstream

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// probeDrainLimit caps the bytes of a probe's response body read so that
// the connection can be reused; a longer body is abandoned with its
// connection.
const probeDrainLimit = 4 << 10

// CheckHealth probes every target once, concurrently, and applies the
// results. Start calls it every Interval; calling it directly is useful
// before serving and in tests. It does nothing when health checks are off.
func (s *Service) CheckHealth(ctx context.Context) {
	if s.health == nil {
		return
	}
	s.mu.Lock()
	targets := append([]*Target(nil), s.targets...)
	s.mu.Unlock()

	started := s.clock.nanos()
	results := make([]bool, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() { results[i] = s.probe(ctx, t) })
	}
	wg.Wait()
	if ctx.Err() != nil {
		return // probes cut short by shutdown say nothing about targets
	}

	var changed []*Target
	passed := false
	s.mu.Lock()
	for i, t := range targets {
		if t.removed {
			continue
		}
		passed = passed || results[i]
		if s.applyProbeLocked(t, results[i]) {
			changed = append(changed, t)
		}
	}
	var healthy []bool
	if len(changed) > 0 {
		for _, t := range changed {
			healthy = append(healthy, t.healthy)
		}
		s.rebuildLocked(s.clock.nanos())
	}
	s.mu.Unlock()
	for i, t := range changed {
		s.announceHealth(t, healthy[i])
	}
	// A target answering its probes again is the earliest sign that the
	// service is back: let the next request be a trial rather than wait
	// out the breaker's open time.
	if passed && s.breaker != nil && s.breaker.probePassed(started) {
		s.log.Info("upstream health check passed while the circuit breaker was open; admitting trial requests")
	}
}

// applyProbeLocked counts one probe result and reports whether it changed
// the target's health; s.mu must be held.
func (s *Service) applyProbeLocked(t *Target, ok bool) bool {
	if ok {
		t.probeFailed = 0
		t.probeOK++
		if !t.healthy && t.probeOK >= s.health.HealthyThreshold {
			t.healthy = true
			return true
		}
		return false
	}
	t.probeOK = 0
	t.probeFailed++
	if t.healthy && t.probeFailed >= s.health.UnhealthyThreshold {
		t.healthy = false
		return true
	}
	return false
}

// probe sends one health check to t and reports whether it passed.
func (s *Service) probe(ctx context.Context, t *Target) bool {
	ctx, cancel := context.WithTimeout(ctx, s.health.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.probeURL, nil)
	if err != nil {
		s.log.Error("upstream health check request", "target", t.str, "error", err)
		return false
	}
	req.Header.Set("User-Agent", "portico-gateway-health-check")
	resp, err := s.health.Client.Do(req)
	if err != nil {
		s.log.Debug("upstream health check failed", "target", t.str, "error", err)
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, probeDrainLimit))
	_ = resp.Body.Close()
	ok := resp.StatusCode >= 200 && resp.StatusCode < 400
	if !ok {
		s.log.Debug("upstream health check failed", "target", t.str, "status", resp.StatusCode)
	}
	return ok
}

func (s *Service) healthLoop(ctx context.Context) {
	defer s.wg.Done()
	tick := time.NewTicker(s.health.Interval)
	defer tick.Stop()
	for {
		s.CheckHealth(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
