package gateway

import (
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the gateway's Prometheus series. They live as long as the
// process: reloads reuse them, so counters never reset on a config change.
type metrics struct {
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	inflight       prometheus.Gauge
	upstreamErrors *prometheus.CounterVec
	retries        *prometheus.CounterVec
	breakerState   *prometheus.GaugeVec
	targetHealthy  *prometheus.GaugeVec
	targetEjected  *prometheus.GaugeVec
	reloads        *prometheus.CounterVec
	reloadTime     prometheus.Gauge
	rejected       *prometheus.CounterVec
	exchanges      *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	const ns, sub = "portico", "gateway"
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "requests_total",
			Help: "Requests answered, by route and status code.",
		}, []string{"route", "service", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "request_duration_seconds",
			Help:    "Time from reading the request headers to the end of the response, by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "service"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "inflight_requests",
			Help: "Requests being served now.",
		}),
		upstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "upstream_errors_total",
			Help: "Failed upstream exchanges, by service and kind (connect, timeout, protocol, circuit_open, no_target, canceled, body_too_large, status_5xx).",
		}, []string{"service", "kind"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "upstream_retries_total",
			Help: "Retries of idempotent requests after connection failures, by service.",
		}, []string{"service"}),
		breakerState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "circuit_breaker_state",
			Help: "Circuit breaker state per service: 0 closed, 1 half-open, 2 open.",
		}, []string{"service"}),
		targetHealthy: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "target_healthy",
			Help: "1 when a service target passes its active health checks, 0 when it fails them.",
		}, []string{"service", "target"}),
		targetEjected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "target_ejected",
			Help: "1 while a service target is ejected after consecutive failures, else 0.",
		}, []string{"service", "target"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "config_reloads_total",
			Help: "Configuration reloads, by result (success, failure).",
		}, []string{"result"}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last configuration that was loaded and is serving.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "rejected_requests_total",
			Help: "Requests refused before reaching a service, by reason (bad_path, uri_too_long, headers_too_large, body_too_large, no_route, method_not_allowed, unauthenticated, ambiguous_credentials, forbidden, auth_unavailable).",
		}, []string{"reason"}),
		exchanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "auth_exchanges_total",
			Help: "Credential exchanges, by outcome (hit, negative_hit, miss, shared, invalid).",
		}, []string{"outcome"}),
	}
	reg.MustRegister(m.requests, m.duration, m.inflight, m.upstreamErrors, m.retries,
		m.breakerState, m.targetHealthy, m.targetEjected, m.reloads, m.reloadTime, m.rejected, m.exchanges)
	return m
}

// routeMetrics caches a route's series so the hot path does no label
// hashing: one histogram observer and one counter per status code, created
// on first use.
type routeMetrics struct {
	route, service string
	duration       prometheus.Observer
	requests       *prometheus.CounterVec
	codes          [600]atomic.Pointer[prometheus.Counter]
}

func (m *metrics) forRoute(route, service string) *routeMetrics {
	return &routeMetrics{
		route:    route,
		service:  service,
		duration: m.duration.WithLabelValues(route, service),
		requests: m.requests,
	}
}

func (rm *routeMetrics) observe(code int, seconds float64) {
	rm.duration.Observe(seconds)
	if code < 0 || code >= len(rm.codes) {
		rm.requests.WithLabelValues(rm.route, rm.service, strconv.Itoa(code)).Inc()
		return
	}
	c := rm.codes[code].Load()
	if c == nil {
		cc := rm.requests.WithLabelValues(rm.route, rm.service, strconv.Itoa(code))
		c = &cc
		rm.codes[code].Store(c)
	}
	(*c).Inc()
}
