package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
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
}

func (s *service) errors(k failureKind) prometheus.Counter { return s.errCount[k] }

func (g *Gateway) compileService(sc *config.Service) (*service, error) {
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
			OpenFor:          sc.CircuitBreaker.OpenFor.D(),
			HalfOpenRequests: sc.CircuitBreaker.HalfOpenRequests,
		},
		Retry: upstream.RetryOptions{
			Attempts:     sc.Retry.Attempts,
			BudgetRatio:  *sc.Retry.BudgetRatio,
			MinPerSecond: sc.Retry.MinPerSecond,
		},
		Logger:   g.log.With(slog.String("service", sc.Name)),
		Observer: g.observer,
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
			Name:    sc.DNS.Name,
			Port:    sc.DNS.Port,
			Scheme:  sc.DNS.Scheme,
			Refresh: sc.DNS.Refresh.D(),
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
	}
	for _, k := range []failureKind{kindConnect, kindTimeout, kindProtocol, kindCircuitOpen, kindNoTarget, kindCanceled, kindBodyTooLarge} {
		s.errCount[k] = g.m.upstreamErrors.WithLabelValues(sc.Name, string(k))
	}
	s.transport = &serviceTransport{name: sc.Name, svc: up, rt: rt, m: g.m}
	return s, nil
}

func (s *service) start(ctx context.Context) { s.up.Start(ctx) }

// close stops background checks now and closes idle connections once the
// requests still using this service have had time to finish.
func (s *service) close(grace time.Duration) {
	s.up.Close()
	time.AfterFunc(grace, s.transport.rt.CloseIdleConnections)
}
