package observability

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// NewRegistry returns a Prometheus registry with the Go runtime and process
// collectors registered. Each component builds its own; none uses the
// client library's global registry.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// DurationBuckets are the upper bounds, in seconds, of the request duration
// histogram: 1 ms to 30 s.
func DurationBuckets() []float64 {
	return []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
}

// UnmatchedRoute is the route label of requests for which the route function
// returned "".
const UnmatchedRoute = "unmatched"

// HTTPMetrics records server-side HTTP metrics. Create it with
// NewHTTPMetrics; the zero value is not usable.
type HTTPMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge

	// series caches the children of the vectors per label set, so the hot
	// path neither builds label slices nor hashes label values.
	mu     sync.RWMutex
	series map[seriesKey]*series

	writers sync.Pool // of *statusWriter
}

type seriesKey struct {
	route, method string
	code          int
}

type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// NewHTTPMetrics registers on reg, under namespace:
//   - <ns>_http_requests_total{route,method,code}, a counter;
//   - <ns>_http_request_duration_seconds{route,method}, a classic histogram
//     with DurationBuckets, measured until the handler returns;
//   - <ns>_http_requests_in_flight, a gauge.
//
// It panics if the metrics are already registered on reg, like
// prometheus.MustRegister, since that is a wiring mistake.
func NewHTTPMetrics(reg prometheus.Registerer, namespace string) *HTTPMetrics {
	m := &HTTPMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "http_requests_total",
			Help:      "HTTP requests served, by route, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace,
			Name:      "http_request_duration_seconds",
			Help:      "Time from receiving an HTTP request to the handler returning, by route and method.",
			Buckets:   DurationBuckets(),
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace,
			Name:      "http_requests_in_flight",
			Help:      "HTTP requests being served.",
		}),
		series: make(map[seriesKey]*series),
	}
	m.writers.New = func() any { return new(statusWriter) }
	reg.MustRegister(m.requests, m.duration, m.inFlight)
	return m
}

// Middleware records the metrics of every request next serves. route names
// the request's route for the route label; it is called after next returns,
// so it may read r.Pattern when next is an http.ServeMux (which sets it on
// the request it is given). A nil route uses r.Pattern. An empty name
// becomes UnmatchedRoute. Route names must come from a fixed set (patterns,
// not paths) to keep the number of series bounded; methods outside the
// standard ones are recorded as OTHER for the same reason. Put Recover
// inside Middleware so that a panic is counted as a 500; a request whose
// panic passes through Middleware is not counted.
func (m *HTTPMetrics) Middleware(route func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inFlight.Inc()
		// Deferred so a panic passing through (http.ErrAbortHandler) does
		// not leave the gauge raised; such a request is not counted.
		defer m.inFlight.Dec()
		sw := m.writers.Get().(*statusWriter)
		sw.ResponseWriter, sw.code = w, 0
		next.ServeHTTP(sw, r)
		code := sw.status()
		sw.ResponseWriter = nil
		m.writers.Put(sw)

		name := r.Pattern
		if route != nil {
			name = route(r)
		}
		if name == "" {
			name = UnmatchedRoute
		}
		s := m.lookup(seriesKey{route: name, method: normalizeMethod(r.Method), code: code})
		s.requests.Inc()
		s.duration.Observe(time.Since(start).Seconds())
	})
}

// lookup returns the cached children for k, creating them on first use.
func (m *HTTPMetrics) lookup(k seriesKey) *series {
	m.mu.RLock()
	s, ok := m.series[k]
	m.mu.RUnlock()
	if ok {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.series[k]; ok {
		return s
	}
	s = &series{
		requests: m.requests.WithLabelValues(k.route, k.method, strconv.Itoa(k.code)),
		duration: m.duration.WithLabelValues(k.route, k.method),
	}
	m.series[k] = s
	return s
}

// normalizeMethod returns the standard method names as they are (they are
// constants, so no allocation) and OTHER for anything else.
func normalizeMethod(m string) string {
	switch m {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodHead:
		return http.MethodHead
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPut:
		return http.MethodPut
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodOptions:
		return http.MethodOptions
	case http.MethodConnect:
		return http.MethodConnect
	case http.MethodTrace:
		return http.MethodTrace
	}
	return "OTHER"
}
