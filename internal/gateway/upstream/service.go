package upstream

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// noReturn marks that no ejected target is waiting to return.
const noReturn = math.MaxInt64

// Service is one upstream service: its targets, their state, and the
// service-wide breaker and retry budget. Its methods are safe for
// concurrent use.
type Service struct {
	name        string
	log         *slog.Logger
	observer    Observer
	clock       *clock
	leastOut    bool
	outlier     OutlierOptions
	health      *HealthCheckOptions
	healthPath  *url.URL
	healthOwned *http.Transport // closed on Close when the client is ours
	dns         *DNSOptions
	resolver    Resolver
	breaker     *breaker
	retry       *retryBudget
	maxAttempts int

	eligible   atomic.Pointer[[]*Target] // immutable; swapped on changes
	nextReturn atomic.Int64              // earliest end of an ejection, or noReturn

	// rr is written by every round-robin pick; the padding keeps it off
	// the cache line of the fields every pick only reads.
	_  [64]byte
	rr atomic.Uint64
	_  [56]byte

	// panicking is set while no target is eligible, so that all of them
	// receive requests; it changes under mu.
	panicking atomic.Bool

	mu      sync.Mutex
	targets []*Target // every current target, in a stable order
	started bool
	closed  bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// New validates opts, applies defaults and returns a service ready to
// serve its static targets. A service discovered by DNS has no targets
// until Start (or Resolve) has resolved its name once.
func New(opts Options) (*Service, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("upstream %q: %w", opts.Name, err)
	}
	s := &Service{
		name:        o.Name,
		log:         o.Logger.With("service", o.Name),
		observer:    o.Observer,
		clock:       newClock(o.Now),
		leastOut:    o.Balance == LeastOutstanding,
		outlier:     o.Outlier,
		health:      o.HealthCheck,
		dns:         o.DNS,
		retry:       newRetryBudget(o.Retry),
		maxAttempts: o.Retry.Attempts,
	}
	s.breaker = newBreaker(o.Breaker, s.announceBreaker)
	s.nextReturn.Store(noReturn)
	if h := o.HealthCheck; h != nil {
		if s.healthPath, err = url.Parse(h.Path); err != nil {
			return nil, fmt.Errorf("upstream %q: health check path: %w", o.Name, err)
		}
		if h.Client == nil {
			s.healthOwned = &http.Transport{
				DialContext:         (&net.Dialer{Timeout: h.Timeout}).DialContext,
				TLSHandshakeTimeout: h.Timeout,
				MaxIdleConnsPerHost: 1,
				IdleConnTimeout:     2 * h.Interval,
				ForceAttemptHTTP2:   true,
			}
			h.Client = &http.Client{
				Transport: s.healthOwned,
				CheckRedirect: func(*http.Request, []*http.Request) error {
					return http.ErrUseLastResponse
				},
			}
		}
	}
	if d := o.DNS; d != nil {
		s.resolver = d.Resolver
		if s.resolver == nil {
			s.resolver = net.DefaultResolver
		}
	}
	seen := make(map[string]bool, len(o.Targets))
	for _, u := range o.Targets {
		if u == nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("upstream %q: target %v is not an http or https URL with a host", o.Name, u)
		}
		t := newTarget(u, s.healthPath)
		if seen[t.str] {
			return nil, fmt.Errorf("upstream %q: duplicate target %s", o.Name, t.str)
		}
		seen[t.str] = true
		s.targets = append(s.targets, t)
	}
	s.mu.Lock()
	s.rebuildLocked(s.clock.nanos())
	s.mu.Unlock()
	return s, nil
}

// Name returns the service's name.
func (s *Service) Name() string { return s.name }

// BreakerState returns the circuit breaker's state: Closed when there is no
// breaker.
func (s *Service) BreakerState() BreakerState { return s.breaker.state() }

// PanicRouting reports whether no target is eligible, so that requests go
// to all of them.
func (s *Service) PanicRouting() bool { return s.panicking.Load() }

// RetryAfter returns how much longer the circuit breaker rejects every
// request before it admits a trial: the rest of its current open time, or
// zero when it is not open. It suits a Retry-After header on a request
// Acquire refused with ErrCircuitOpen.
func (s *Service) RetryAfter() time.Duration {
	if s.breaker == nil {
		return 0
	}
	return s.breaker.retryAfter(s.clock.nanos())
}

// Start starts the background work the service is configured for: it
// resolves a DNS-discovered service's name once before returning, then
// keeps refreshing it; it runs active health checks; and, when the breaker,
// the retry budget or ejection is on and the clock is the real one, it
// publishes the time every tick (a tenth of the finest window bucket, from
// 1ms to 100ms) so that the hot path need not read the clock, at the price
// of counting outcomes and ending ejections up to a tick late. The work
// stops when ctx ends or Close is called. Start does nothing after the
// first call or after Close. A service that is never started still works,
// reading the clock on every attempt.
func (s *Service) Start(ctx context.Context) {
	s.mu.Lock()
	if s.started || s.closed {
		s.mu.Unlock()
		return
	}
	s.started = true
	ctx, s.cancel = context.WithCancel(ctx)
	if s.dns != nil {
		s.wg.Add(1)
	}
	if s.health != nil {
		s.wg.Add(1)
	}
	tick := s.clockTick()
	if tick > 0 {
		s.wg.Add(1)
	}
	s.mu.Unlock()

	if tick > 0 {
		s.clock.startTicking()
		go func() {
			defer s.wg.Done()
			s.clock.tick(ctx, tick)
		}()
	}

	if s.dns != nil {
		_ = s.Resolve(ctx) // a failure is logged; the loop tries again
		go s.refreshLoop(ctx)
	}
	if s.health != nil {
		go s.healthLoop(ctx)
	}
}

// clockTick returns the coarse clock's period, or 0 when the hot path
// reads no clock or the clock is injected.
func (s *Service) clockTick() time.Duration {
	if s.clock.now != nil {
		return 0
	}
	bucket := time.Duration(0)
	if s.retry != nil {
		bucket = retryWindow / windowBuckets
	}
	if s.breaker != nil {
		b := time.Duration(s.breaker.win.width)
		if bucket == 0 || b < bucket {
			bucket = b
		}
	}
	if bucket == 0 && s.outlier.ConsecutiveFailures > 0 {
		bucket = s.outlier.BaseEjection
	}
	if bucket == 0 {
		return 0
	}
	return clockTick(bucket)
}

// Close stops the background work started by Start and waits for it to
// end. It is idempotent. Attempts in flight may still be finished.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.wg.Wait()
	if s.healthOwned != nil {
		s.healthOwned.CloseIdleConnections()
	}
}

// rebuildLocked returns ejected targets whose time is up and publishes the
// set of targets that receive requests; s.mu must be held. It reports the
// targets that returned.
//
// That set is the eligible targets or, when none is eligible, every target
// (panic routing): a service whose targets all fail their health checks or
// were all ejected may still answer, while refusing every request surely
// would not. The breaker keeps guarding the service meanwhile. Panic
// routing starting and ending is announced here, under s.mu, so that the
// announcements arrive in order.
func (s *Service) rebuildLocked(now int64) (returned []*Target) {
	next := int64(noReturn)
	set := make([]*Target, 0, len(s.targets))
	for _, t := range s.targets {
		if t.ejected && now >= t.ejectedUntil {
			t.ejected = false
			t.returnedAt = now
			returned = append(returned, t)
		}
		if t.ejected {
			next = min(next, t.ejectedUntil)
		}
		if t.eligibleLocked() {
			set = append(set, t)
		}
	}
	panicking := len(set) == 0 && len(s.targets) > 0
	if panicking {
		set = append(set, s.targets...)
	}
	s.eligible.Store(&set)
	s.nextReturn.Store(next)
	if panicking != s.panicking.Load() {
		s.panicking.Store(panicking)
		s.announcePanic(panicking)
	}
	return returned
}

// returnEjected brings back the targets whose ejection has ended.
func (s *Service) returnEjected() {
	now := s.clock.nanos()
	s.mu.Lock()
	if now < s.nextReturn.Load() {
		s.mu.Unlock()
		return
	}
	returned := s.rebuildLocked(now)
	s.mu.Unlock()
	s.announceReturned(returned)
}

func (s *Service) announceEjection(t *Target, ejected bool) {
	if o, ok := s.observer.(EjectionObserver); ok {
		o.TargetEjectionChanged(s.name, t.str, ejected)
	}
}

func (s *Service) announceHealth(t *Target, healthy bool) {
	if healthy {
		s.log.Info("upstream target healthy", "target", t.str)
	} else {
		s.log.Warn("upstream target unhealthy", "target", t.str)
	}
	if s.observer != nil {
		s.observer.TargetHealthChanged(s.name, t.str, healthy)
	}
}

// announcePanic logs and reports panic routing starting or ending; it is
// called with s.mu held.
func (s *Service) announcePanic(panicking bool) {
	if panicking {
		s.log.Warn("upstream service has no eligible target; sending requests to all of its targets (panic routing)", "targets", len(s.targets))
	} else {
		s.log.Info("upstream service has an eligible target again; panic routing ended")
	}
	if o, ok := s.observer.(PanicObserver); ok {
		o.PanicRoutingChanged(s.name, panicking)
	}
}

// announceBreaker logs and reports the breaker's new state; the breaker
// calls it with its own lock held, so that the states arrive in order.
func (s *Service) announceBreaker(st BreakerState, openFor time.Duration) {
	if st == Open {
		s.log.Warn("upstream circuit breaker state changed", "state", st.String(), "for", openFor)
	} else {
		s.log.Info("upstream circuit breaker state changed", "state", st.String())
	}
	if s.observer != nil {
		s.observer.BreakerStateChanged(s.name, st)
	}
}
