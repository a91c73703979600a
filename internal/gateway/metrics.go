package gateway

import (
	"strconv"
	"sync"
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
	panicRouting   *prometheus.GaugeVec
	reloads        *prometheus.CounterVec
	reloadTime     prometheus.Gauge
	rejected       *prometheus.CounterVec
	exchanges      *prometheus.CounterVec
	outsideTokens  *prometheus.CounterVec

	routesMu sync.Mutex
	routes   map[routeKey]*routeMetrics // of the serving routes, and of any compiled since the last sweep
}

func newMetrics(reg prometheus.Registerer) *metrics {
	const ns, sub = "portico", "gateway"
	m := &metrics{
		routes: make(map[routeKey]*routeMetrics),
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
			Help: "Failed upstream exchanges, by service and kind (connect, timeout, protocol, circuit_open, no_target, canceled, body_too_large, body_timeout, status_5xx).",
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
		panicRouting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "upstream_panic_routing",
			Help: "1 while no target of a service is eligible (all unhealthy or ejected) and requests go to all of them, else 0.",
		}, []string{"service"}),
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
			Help: "Requests refused before reaching a service, by reason (bad_path, bad_host, underscore_header, uri_too_long, headers_too_large, body_too_large, body_timeout (composed routes), no_route, method_not_allowed, unauthenticated, ambiguous_credentials, forbidden, not_member, auth_unavailable, client_cert_required, client_cert_refused, rate_limited, rate_limit_unavailable).",
		}, []string{"reason"}),
		exchanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "auth_exchanges_total",
			Help: "Credential exchanges, by outcome (hit, negative_hit, miss, shared, invalid).",
		}, []string{"outcome"}),
		outsideTokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "outside_tokens_total",
			Help: "Bearer tokens checked against auth.issuers (not answered from the exchange cache), by issuer name (empty: none configured matches) and result (accepted, not_jwt, unknown_issuer, refused, unavailable).",
		}, []string{"issuer", "result"}),
	}
	reg.MustRegister(m.requests, m.duration, m.inflight, m.upstreamErrors, m.retries,
		m.breakerState, m.targetHealthy, m.targetEjected, m.panicRouting, m.reloads, m.reloadTime, m.rejected, m.exchanges,
		m.outsideTokens)
	return m
}

// routeMetrics caches a route's series so the hot path does no label
// hashing: one histogram observer and one counter per status code, created
// on first use.
type routeMetrics struct {
	route, service string
	duration       prometheus.Observer
	durations      *prometheus.HistogramVec
	requests       *prometheus.CounterVec
	codes          [600]atomic.Pointer[prometheus.Counter]
	// retired is set when a reload dropped the route (or moved it to
	// another service) and its series were deleted; requests still running
	// on it then create no series again.
	retired atomic.Bool
}

// routeKey names a route's series.
type routeKey struct{ route, service string }

// forRoute returns the series of a route. A route that a reload keeps
// (same name, same service) keeps its routeMetrics, cache included.
func (m *metrics) forRoute(route, service string) *routeMetrics {
	m.routesMu.Lock()
	defer m.routesMu.Unlock()
	k := routeKey{route, service}
	if rm := m.routes[k]; rm != nil {
		return rm
	}
	rm := &routeMetrics{
		route:     route,
		service:   service,
		duration:  m.duration.WithLabelValues(route, service),
		durations: m.duration,
		requests:  m.requests,
	}
	m.routes[k] = rm
	return rm
}

// retireRoutes deletes the series of every route not in live, and
// forgets them: a route added again later starts with new series.
func (m *metrics) retireRoutes(live map[routeKey]bool) {
	m.routesMu.Lock()
	defer m.routesMu.Unlock()
	for k, rm := range m.routes {
		if !live[k] {
			rm.retire()
			delete(m.routes, k)
		}
	}
}

func (rm *routeMetrics) observe(code int, seconds float64) {
	rm.duration.Observe(seconds) // a retired route's observer counts into nothing
	if code < 0 || code >= len(rm.codes) {
		rm.count(code).Inc()
		return
	}
	c := rm.codes[code].Load()
	if c == nil {
		cc := rm.count(code)
		c = &cc
		rm.codes[code].Store(c)
	}
	(*c).Inc()
}

// count returns the counter of code, creating its series unless the route
// is retired. A retirement between the check and the creation is caught
// by the second check: either the reload's deletion comes after the
// creation, or this deletes the series itself.
func (rm *routeMetrics) count(code int) prometheus.Counter {
	if rm.retired.Load() {
		return discard{}
	}
	c := rm.requests.WithLabelValues(rm.route, rm.service, strconv.Itoa(code))
	if rm.retired.Load() {
		rm.requests.DeleteLabelValues(rm.route, rm.service, strconv.Itoa(code))
	}
	return c
}

// retire deletes the route's series; see routeMetrics.retired.
func (rm *routeMetrics) retire() {
	rm.retired.Store(true)
	rm.requests.DeletePartialMatch(prometheus.Labels{"route": rm.route, "service": rm.service})
	rm.durations.DeleteLabelValues(rm.route, rm.service)
}

// forgetService deletes every series of the service name: its errors,
// retries, breaker state, panic routing and targets. Routes' series go with the routes.
func (m *metrics) forgetService(name string) {
	l := prometheus.Labels{"service": name}
	m.upstreamErrors.DeletePartialMatch(l)
	m.retries.DeletePartialMatch(l)
	m.breakerState.DeletePartialMatch(l)
	m.targetHealthy.DeletePartialMatch(l)
	m.targetEjected.DeletePartialMatch(l)
	m.panicRouting.DeletePartialMatch(l)
}

// forgetTarget deletes the series of one target of a service.
func (m *metrics) forgetTarget(service, target string) {
	m.targetHealthy.DeleteLabelValues(service, target)
	m.targetEjected.DeleteLabelValues(service, target)
}

// discard is a counter that counts nowhere.
type discard struct{ prometheus.Counter }

func (discard) Inc()        {}
func (discard) Add(float64) {}
