package gateway

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-gw/portico/internal/gateway/ratelimit"
)

// rateMetrics are the series of rate limiting. Like the gateway's other
// series they live as long as the process; a policy's go when a reload
// removes it.
type rateMetrics struct {
	decisions     *prometheus.CounterVec
	redisErrors   *prometheus.CounterVec
	redisDuration prometheus.Histogram
	breakerState  prometheus.Gauge
	fallbacks     struct{ local, refused prometheus.Counter }
	evictions     struct{ idle, live prometheus.Counter }
	leases        prometheus.Counter
	leasedReqs    prometheus.Counter
	leaseServed   prometheus.Counter
}

func newRateMetrics(reg prometheus.Registerer, g *Gateway) *rateMetrics {
	const ns, sub = "portico", "gateway"
	m := &rateMetrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "ratelimit_decisions_total",
			Help: "Rate limit decisions, by policy and outcome (allowed; limited: the policy refused the request; unavailable: Redis could not decide and on_error is closed).",
		}, []string{"policy", "outcome"}),
		redisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "ratelimit_redis_errors_total",
			Help: "Rate limit decisions Redis failed, by kind (timeout, error).",
		}, []string{"kind"}),
		redisDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "ratelimit_redis_duration_seconds",
			Help:    "Time of one rate limit decision at Redis (one script call), failures included.",
			Buckets: []float64{.0002, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		breakerState: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "ratelimit_redis_breaker_state",
			Help: "State of the circuit breaker around the rate limit Redis: 0 closed, 1 half-open, 2 open.",
		}),
	}
	fallbacks := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Subsystem: sub, Name: "ratelimit_fallbacks_total",
		Help: "Rate limited requests Redis could not decide, by result (local: the replica's own limiter decided; refused: answered 503, on_error closed).",
	}, []string{"result"})
	m.fallbacks.local = fallbacks.WithLabelValues("local")
	m.fallbacks.refused = fallbacks.WithLabelValues("refused")
	evictions := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Subsystem: sub, Name: "ratelimit_local_evictions_total",
		Help: "Keys the in-memory rate limiter dropped to stay within rate_limits.store.max_keys, by kind (idle: its whole burst was back, nothing lost; live: it starts afresh when seen again).",
	}, []string{"kind"})
	m.evictions.idle = evictions.WithLabelValues("idle")
	m.evictions.live = evictions.WithLabelValues("live")
	m.leases = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: ns, Subsystem: sub, Name: "ratelimit_leases_total",
		Help: "Leases Redis granted: decisions at Redis that took more than one request of a key, to spend in memory.",
	})
	m.leasedReqs = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: ns, Subsystem: sub, Name: "ratelimit_leased_requests_total",
		Help: "Requests the leases Redis granted held, the first of each (spent by the request that took it) included.",
	})
	m.leaseServed = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: ns, Subsystem: sub, Name: "ratelimit_lease_decisions_total",
		Help: "Rate limit decisions served from leases alone, without a call to Redis.",
	})
	keys := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: ns, Subsystem: sub, Name: "ratelimit_local_keys",
		Help: "Keys the in-memory rate limiter holds (the memory store, or the local floor beside Redis).",
	}, func() float64 {
		if rt := g.rt.Load(); rt != nil && rt.rate != nil {
			return float64(rt.rate.lim.Local().Len())
		}
		return 0
	})
	reg.MustRegister(m.decisions, m.redisErrors, m.redisDuration, m.breakerState, fallbacks, evictions, keys,
		m.leases, m.leasedReqs, m.leaseServed)
	return m
}

// redisCall observes one call to Redis.
func (m *rateMetrics) redisCall(d time.Duration, err error) {
	m.redisDuration.Observe(d.Seconds())
	if err == nil {
		return
	}
	kind := "error"
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		kind = "timeout"
	}
	m.redisErrors.WithLabelValues(kind).Inc()
}

func (m *rateMetrics) breakerChanged(s ratelimit.BreakerState) { m.breakerState.Set(float64(s)) }

func (m *rateMetrics) evicted(live bool) {
	if live {
		m.evictions.live.Inc()
		return
	}
	m.evictions.idle.Inc()
}

// leased counts a lease of n requests Redis granted.
func (m *rateMetrics) leased(n int64) {
	m.leases.Inc()
	m.leasedReqs.Add(float64(n))
}

// leaseDecision counts a decision served from leases alone.
func (m *rateMetrics) leaseDecision() { m.leaseServed.Inc() }

// forgetPolicy deletes the series of a policy a reload removed.
func (m *rateMetrics) forgetPolicy(name string) {
	m.decisions.DeletePartialMatch(prometheus.Labels{"policy": name})
}
