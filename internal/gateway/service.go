package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/gateway/upstream"
)

// service is a compiled config.Service: its target pool and its transport.
type service struct {
	name      string
	up        *upstream.Service
	transport *serviceTransport
	timeout   time.Duration
	errCount  map[failureKind]prometheus.Counter
	obs       *serviceObserver
}

func (s *service) errors(k failureKind) prometheus.Counter { return s.errCount[k] }

func (g *Gateway) compileService(sc *config.Service) (*service, error) {
	obs := &serviceObserver{next: g.observer, m: g.m}
	opts := upstream.Options{
		Name:    sc.Name,
		Balance: sc.Balance,
		Outlier: upstream.OutlierOptions{
			ConsecutiveFailures: *sc.Outlier.ConsecutiveFailures,
			BaseEjection:        sc.Outlier.BaseEjection.D(),
			MaxEjectedPercent:   sc.Outlier.MaxEjectedPercent,
		},
		Breaker: upstream.BreakerOptions{
			FailureRatio:     *sc.CircuitBreaker.FailureRatio,
			MinRequests:      sc.CircuitBreaker.MinRequests,
			Window:           sc.CircuitBreaker.Window.D(),
			MinOpenFor:       sc.CircuitBreaker.MinOpenFor.D(),
			OpenFor:          sc.CircuitBreaker.OpenFor.D(),
			HalfOpenRequests: sc.CircuitBreaker.HalfOpenRequests,
		},
		Retry: upstream.RetryOptions{
			Attempts:     sc.Retry.Attempts,
			BudgetRatio:  *sc.Retry.BudgetRatio,
			MinPerSecond: sc.Retry.MinPerSecond,
		},
		Logger:   g.log.With(slog.String("service", sc.Name)),
		Observer: obs,
	}
	for _, t := range sc.Targets {
		u, err := url.Parse(t)
		if err != nil {
			return nil, fmt.Errorf("service %s: target %q: %w", sc.Name, t, err)
		}
		opts.Targets = append(opts.Targets, u)
	}
	if sc.DNS != nil {
		opts.DNS = &upstream.DNSOptions{
			Name:     sc.DNS.Name,
			Port:     sc.DNS.Port,
			Scheme:   sc.DNS.Scheme,
			Refresh:  sc.DNS.Refresh.D(),
			Resolver: g.resolver,
		}
	}
	rt := newHTTPTransport(sc)
	if hc := sc.HealthCheck; hc != nil {
		opts.HealthCheck = &upstream.HealthCheckOptions{
			Path:               hc.Path,
			Interval:           hc.Interval.D(),
			Timeout:            hc.Timeout.D(),
			HealthyThreshold:   hc.HealthyThreshold,
			UnhealthyThreshold: hc.UnhealthyThreshold,
			Client:             &http.Client{Transport: rt, Timeout: hc.Timeout.D()},
		}
	}
	up, err := upstream.New(opts)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", sc.Name, err)
	}
	s := &service{
		name:     sc.Name,
		up:       up,
		timeout:  sc.Timeouts.Request.D(),
		errCount: make(map[failureKind]prometheus.Counter),
		obs:      obs,
	}
	for _, k := range []failureKind{kindConnect, kindTimeout, kindProtocol, kindCircuitOpen, kindNoTarget, kindCanceled, kindBodyTooLarge, kindBodyTimeout} {
		s.errCount[k] = g.m.upstreamErrors.WithLabelValues(sc.Name, string(k))
	}
	s.transport = newServiceTransport(sc, up, rt, g.m.retries.WithLabelValues(sc.Name))
	return s, nil
}

func (s *service) start(ctx context.Context) { s.up.Start(ctx) }

// close stops background checks now and closes idle connections once the
// requests still using this service have had time to finish.
func (s *service) close(grace time.Duration) {
	s.up.Close()
	time.AfterFunc(grace, s.transport.closeIdle)
}

// serviceObserver passes one compiled service's state changes on to the
// metrics observer until a reload retires the service. From then on the
// old service's late events (attempts still finishing) would only
// overwrite the series of its successor of the same name, or recreate
// those of a service that is gone, so they are dropped. It also deletes
// the series of targets that DNS discovery removed.
type serviceObserver struct {
	next upstream.Observer
	m    *metrics

	mu      sync.Mutex // orders every event before retire, and so before the deletions after it
	retired bool
}

func (o *serviceObserver) TargetHealthChanged(service, target string, healthy bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.retired {
		o.next.TargetHealthChanged(service, target, healthy)
	}
}

func (o *serviceObserver) TargetEjectionChanged(service, target string, ejected bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if eo, ok := o.next.(upstream.EjectionObserver); ok && !o.retired {
		eo.TargetEjectionChanged(service, target, ejected)
	}
}

func (o *serviceObserver) BreakerStateChanged(service string, st upstream.BreakerState) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.retired {
		o.next.BreakerStateChanged(service, st)
	}
}

func (o *serviceObserver) PanicRoutingChanged(service string, panicking bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if po, ok := o.next.(upstream.PanicObserver); ok && !o.retired {
		po.PanicRoutingChanged(service, panicking)
	}
}

func (o *serviceObserver) TargetsRemoved(service string, targets []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.retired {
		return
	}
	for _, t := range targets {
		o.m.forgetTarget(service, t)
	}
}

// resync sets the breaker and panic routing gauges of the service to the
// state of up, its compiled successor, which announces only changes: a
// reload calls it for a service it kept, once the old one's observer is
// retired, since the gauges may still show the old one's last state. The
// state is read under o.mu, which every announcement of up takes after the
// change it reports: one that comes later is newer than what was read.
func (o *serviceObserver) resync(name string, up *upstream.Service) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.retired {
		return
	}
	o.next.BreakerStateChanged(name, up.BreakerState())
	if po, ok := o.next.(upstream.PanicObserver); ok {
		po.PanicRoutingChanged(name, up.PanicRouting())
	}
}

// retire stops passing events on; see serviceObserver.
func (o *serviceObserver) retire() {
	o.mu.Lock()
	o.retired = true
	o.mu.Unlock()
}

var (
	_ upstream.EjectionObserver = (*serviceObserver)(nil)
	_ upstream.PanicObserver    = (*serviceObserver)(nil)
	_ upstream.RemovalObserver  = (*serviceObserver)(nil)
)
