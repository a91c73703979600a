package gateway

import (
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-gw/portico/internal/gateway/aggregate"
	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/gateway/h1"
	"github.com/portico-gw/portico/internal/gateway/router"
	"github.com/portico-gw/portico/internal/gateway/upstream"
	"github.com/portico-gw/portico/internal/platform/problem"
	"github.com/portico-gw/portico/internal/platform/requestid"
)

// compilePlan compiles an aggregate route's plan against the services of
// the runtime being built.
func (g *Gateway) compilePlan(rc *config.Route, tmpl *router.Template, services map[string]*service) (*aggregate.Plan, error) {
	names := slices.Sorted(maps.Keys(services))
	opts := aggregate.Options{Observer: g.stepObserver}
	if g.tracing {
		opts.Tracer = g.tracer
		opts.Propagator = g.propagator
	}
	return aggregate.Compile(rc.Aggregate.PlanSpec(rc.Name, tmpl.Params(), names), opts)
}

// compose answers an aggregate route: it reads the caller's body when the
// plan refers to it, runs the plan with the runtime's services and writes
// the composed response (or the problem naming the failed step).
func (g *Gateway) compose(rt *runtime, rte *route, w http.ResponseWriter, r *http.Request, params *router.Params, ident *authn.Result) {
	in := getInput()
	defer putInput(in)
	in.Path = params
	if rte.plan.UsesQuery() {
		in.Query = r.URL.Query()
	}
	in.Header[requestid.Header] = r.Header[requestid.Header]
	if ident != nil {
		in.Identity = ident.ClaimValues
		in.Header["Authorization"] = r.Header["Authorization"] // the internal token
	}
	if !g.tracing {
		if tp := r.Header["Traceparent"]; tp != nil {
			in.Header["Traceparent"] = tp
		}
	}
	if rte.plan.UsesBody() && r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				w.Header().Set("Connection", "close")
				problem.Write(w, r, problem.BodyTooLarge("The request body exceeds the limit of this route."))
				return
			}
			if st := stateOf(w); st.body != nil && st.body.timedOut() {
				st.kind = kindBodyTimeout
				if r.ProtoMajor == 1 {
					w.Header().Set("Connection", "close")
				}
				g.reject(w, r, problem.RequestTimeout("The request body arrived too slowly."), "body_timeout")
				return
			}
			stateOf(w).kind = kindCanceled
			return
		}
		in.Body = body
	}
	res := rte.plan.Execute(r.Context(), in, serviceDoer(rt.services))
	defer res.Release()
	if res.Problem == nil {
		rte.respRules.apply(res.Header)
	}
	if ident != nil && ident.Claims.Staff && r.Header.Get(debugHeader) == "trace" {
		w.Header().Set(traceHeader, stepTrace(res.Steps))
	}
	if st := stateOf(w); st != nil {
		switch {
		case res.Status == aggregate.StatusClientClosedRequest:
			st.kind = kindCanceled
			st.status, st.wroteHeader = statusClientClosed, true
		case res.Problem != nil:
			st.kind = "step_failed"
		case res.Partial:
			st.kind = "partial"
		}
	}
	res.Write(w, r)
}

// inputs holds composition inputs with their header maps: Execute keeps
// nothing of its Input once it returned.
var inputs = sync.Pool{New: func() any { return &aggregate.Input{Header: make(http.Header, 3)} }}

func getInput() *aggregate.Input { return inputs.Get().(*aggregate.Input) }

func putInput(in *aggregate.Input) {
	h := in.Header
	clear(h)
	*in = aggregate.Input{Header: h}
	inputs.Put(in)
}

// debugHeader asks for a timing trace of a composed response; it is
// honoured for the operator's staff only, who get traceHeader back.
const (
	debugHeader = "Portico-Debug"
	traceHeader = "Portico-Trace"
)

// stepTrace lists each step's start (from the start of the plan) and
// duration in milliseconds, with its outcome: a timeline of the plan.
func stepTrace(steps []aggregate.StepOutcome) string {
	var b []byte
	for i, s := range steps {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, s.Step...)
		b = append(b, ";start="...)
		b = strconv.AppendFloat(b, float64(s.Start.Microseconds())/1000, 'f', 3, 64)
		b = append(b, ";dur="...)
		b = strconv.AppendFloat(b, float64(s.Duration.Microseconds())/1000, 'f', 3, 64)
		b = append(b, ";kind="...)
		b = append(b, s.Kind...)
		if s.Calls > 1 {
			b = append(b, ";calls="...)
			b = strconv.AppendInt(b, int64(s.Calls), 10)
		}
	}
	return string(b)
}

// serviceDoer calls the runtime's services for a plan, through the same
// transports (balancing, breaker, retries) that proxied routes use.
type serviceDoer map[string]*service

func (d serviceDoer) Do(ctx context.Context, name string, req *http.Request) (*http.Response, error) {
	s, ok := d[name]
	if !ok {
		return nil, errors.New("unknown service " + name)
	}
	resp, err := s.transport.RoundTrip(req)
	if err != nil {
		return nil, s.callError(ctx, err)
	}
	return resp, nil
}

// DoHead is Do without an http.Response: on the fast path the response's
// head is read into h and no header map is built.
func (d serviceDoer) DoHead(ctx context.Context, name string, req *http.Request, h *aggregate.Head) (io.ReadCloser, error) {
	s, ok := d[name]
	if !ok {
		return nil, errors.New("unknown service " + name)
	}
	var hh h1.Head
	body, err := s.transport.roundTripHead(req, &hh)
	if err != nil {
		return nil, s.callError(ctx, err)
	}
	*h = aggregate.Head{Status: hh.StatusCode, ContentLength: hh.ContentLength, ContentType: hh.ContentType}
	return body, nil
}

// callError counts a failed call of a composition and makes a refusal
// (open breaker, no target) say so.
func (s *service) callError(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, upstream.ErrCircuitOpen):
		return refusal{err: err, kind: string(kindCircuitOpen)}
	case errors.Is(err, upstream.ErrNoTarget):
		return refusal{err: err, kind: string(kindNoTarget)}
	}
	s.errors(classify(ctx, err)).Inc()
	return err
}

// refusal is a service refusing a call without trying it; the plan maps it
// to 503 with the kind as the reason.
type refusal struct {
	err  error
	kind string
}

func (e refusal) Error() string       { return e.err.Error() }
func (e refusal) Unwrap() error       { return e.err }
func (e refusal) StatusCode() int     { return http.StatusServiceUnavailable }
func (e refusal) FailureKind() string { return e.kind }

// stepMetrics counts aggregation step outcomes per route, step and kind.
type stepMetrics struct {
	outcomes  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	cache     sync.Map // stepKey -> prometheus.Counter
	durations sync.Map // routeStep -> prometheus.Observer
	// gone holds the steps whose series a reload deleted, so that requests
	// still running on the old configuration do not create them again.
	gone atomic.Pointer[map[routeStep]bool]
}

type stepKey struct{ route, step, kind string }

type routeStep struct{ route, step string }

func newStepMetrics(reg prometheus.Registerer) *stepMetrics {
	m := &stepMetrics{
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "portico", Subsystem: "gateway", Name: "aggregate_steps_total",
			Help: "Aggregation step outcomes, by route, step and kind (ok, timeout, status_5xx, not_json, ...).",
		}, []string{"route", "step", "kind"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "portico", Subsystem: "gateway", Name: "aggregate_step_duration_seconds",
			Help:    "Aggregation step durations, by route and step.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "step"}),
	}
	reg.MustRegister(m.outcomes, m.duration)
	return m
}

// StepDone implements aggregate.Observer.
func (m *stepMetrics) StepDone(plan, step string, kind aggregate.Kind, d time.Duration) {
	k := stepKey{plan, step, string(kind)}
	c, ok := m.cache.Load(k)
	o, ok2 := m.durations.Load(routeStep{plan, step})
	if !ok || !ok2 {
		if m.isGone(plan, step) {
			return
		}
		if !ok {
			c, _ = m.cache.LoadOrStore(k, m.outcomes.WithLabelValues(plan, step, string(kind)))
		}
		if !ok2 {
			o, _ = m.durations.LoadOrStore(routeStep{plan, step}, m.duration.WithLabelValues(plan, step))
		}
		if m.isGone(plan, step) {
			// Retired between the check and the creation: undo it. (Had
			// the retirement come later, its deletions would follow.)
			m.cache.Delete(k)
			m.durations.Delete(routeStep{plan, step})
			m.duration.DeleteLabelValues(plan, step)
			m.outcomes.DeleteLabelValues(plan, step, string(kind))
			return
		}
	}
	c.(prometheus.Counter).Inc()
	o.(prometheus.Observer).Observe(d.Seconds())
}

func (m *stepMetrics) isGone(route, step string) bool {
	g := m.gone.Load()
	return g != nil && (*g)[routeStep{route, step}]
}

// retire deletes the series of every step not in live (the steps of the
// serving configuration's aggregate routes) and forgets their cache.
func (m *stepMetrics) retire(live map[routeStep]bool) {
	gone := make(map[routeStep]bool)
	m.durations.Range(func(k, _ any) bool {
		if rs := k.(routeStep); !live[rs] {
			gone[rs] = true
		}
		return true
	})
	m.cache.Range(func(k, _ any) bool {
		if sk := k.(stepKey); !live[routeStep{sk.route, sk.step}] {
			gone[routeStep{sk.route, sk.step}] = true
		}
		return true
	})
	m.gone.Store(&gone) // before deleting: a StepDone in between creates nothing
	for rs := range gone {
		m.durations.Delete(rs)
		m.duration.DeleteLabelValues(rs.route, rs.step)
		m.outcomes.DeletePartialMatch(prometheus.Labels{"route": rs.route, "step": rs.step})
	}
	m.cache.Range(func(k, _ any) bool {
		if sk := k.(stepKey); gone[routeStep{sk.route, sk.step}] {
			m.cache.Delete(k)
		}
		return true
	})
}

var (
	_ aggregate.HeadDoer = serviceDoer(nil)
	_ aggregate.Observer = (*stepMetrics)(nil)
)
