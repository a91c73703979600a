// Package gateway is Portico's public entry point: it routes requests by
// method, host and path to upstream services, proxies them streaming in both
// directions, and applies limits, CORS, retries, circuit breaking, metrics,
// traces and access logs, all driven by one configuration that can be
// replaced atomically while serving.
package gateway

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/gateway/router"
	"github.com/portico-gw/portico/internal/gateway/upstream"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// Options are the gateway's dependencies. Logger and Registerer are
// required; a nil TracerProvider disables span creation (traceparent
// headers still pass through untouched).
type Options struct {
	Logger *slog.Logger
	// AccessLog receives one JSON line per request when the configuration
	// asks for access logs; nil discards them.
	AccessLog      io.Writer
	Registerer     prometheus.Registerer
	TracerProvider trace.TracerProvider
	Propagator     propagation.TextMapPropagator
	// AuthWorkloadToken is the gateway's workload token toward the auth
	// service, sent with every credential exchange; it takes precedence
	// over the configuration's auth.workload_token_file. portico all and
	// tests pass an in-process issuer's source,
	// iss.Source(workload.Gateway, workload.Auth). With an auth block,
	// one of the two is required.
	AuthWorkloadToken workload.TokenSource
	// AuthKeys, when set, are the keys internal tokens from the exchange
	// are verified with, instead of a JWKS fetched from auth.jwks_url;
	// for tests.
	AuthKeys identity.KeySource
	// TLS, when set, replaces the configuration's server.tls at start and
	// on every reload; portico all --tls-self-signed gives its generated
	// certificate this way. Its zero fields take config.NewTLS's defaults.
	TLS *config.TLS
	// Files are the filesystems built into the program (embed.FS, or an
	// fs.Sub of one) that static routes name with static.embedded, by
	// name, such as "dashboard". Each is read into memory, its files'
	// entity tags computed, the first time a configuration names it, and
	// kept for later reloads. A configuration naming one that is not here
	// fails to start or reload. Nil registers none.
	Files map[string]fs.FS
}

// Gateway serves the public API. Its configuration is swapped atomically by
// Reload; each request runs entirely on the configuration it started with.
type Gateway struct {
	log          *slog.Logger
	access       *accessLog
	m            *metrics
	rm           *rateMetrics
	stepObserver *stepMetrics
	observer     upstream.Observer
	tracing      bool
	tracer       trace.Tracer
	propagator   propagation.TextMapPropagator
	buffers      *bufferPool
	authToken    workload.TokenSource // Options.AuthWorkloadToken
	authKeys     identity.KeySource   // Options.AuthKeys
	tlsOverride  *config.TLS          // Options.TLS
	tlsm         *tlsMetrics
	files        map[string]fs.FS          // Options.Files
	embedded     map[string]*embeddedFiles // of files, as read; guarded by mu

	ctx    context.Context // parent of background work (health checks, DNS)
	cancel context.CancelFunc

	// resolver looks up the names of DNS-discovered services; nil means
	// net.DefaultResolver. Tests set one before a Reload.
	resolver upstream.Resolver

	mu sync.Mutex // serialises Reload and Close
	rt atomic.Pointer[runtime]
}

// match finds the route of a request. Static routes are a tier below the
// others: they are consulted only when no other route's template matches
// the path, whatever the method. So a file route at /{path...} never
// shadows an API path, and a 405 there lists the API route's own methods.
func (rt *runtime) match(method, host, path string, p *router.Params) (*route, router.Result, []string) {
	return matchTiers(rt.router, rt.files, method, host, path, p)
}

// matchTiers matches in first, then, when no route of first matches the
// path at all, in files.
func matchTiers[T any](first, files *router.Router[T], method, host, path string, p *router.Params) (T, router.Result, []string) {
	v, res, allow := first.Match(method, host, path, p)
	if res != router.NotFound || files.Len() == 0 {
		return v, res, allow
	}
	return files.Match(method, host, path, p)
}

// runtime is one compiled configuration.
type runtime struct {
	cfg    *config.Config
	router *router.Router[*route]
	// files holds the static routes, consulted only for requests whose
	// path no other route matches (see match).
	files     *router.Router[*route]
	services  map[string]*service
	trusted   trustedProxies
	limits    limits
	accessLog bool
	grace     time.Duration
	auth      *authenticator // nil: nobody is authenticated
	tls       *tlsState      // nil: the listener serves cleartext HTTP
	rate      *rateLimiter   // nil: no rate_limits block
	statics   []*staticHandler
}

// New compiles cfg and starts the services' background work. cfg must have
// been validated (config.Load does).
func New(cfg *config.Config, o Options) (*Gateway, error) {
	ctx, cancel := context.WithCancel(context.Background())
	g := &Gateway{
		log:     o.Logger,
		m:       newMetrics(o.Registerer),
		ctx:     ctx,
		cancel:  cancel,
		buffers: newBufferPool(),

		authToken: o.AuthWorkloadToken,
		authKeys:  o.AuthKeys,

		tlsOverride: o.TLS,
		files:       o.Files,
		embedded:    map[string]*embeddedFiles{},
	}
	if o.AccessLog == nil {
		o.AccessLog = io.Discard
	}
	g.access = newAccessLog(o.AccessLog, cfg.Server.AccessLogFlush.D())
	g.observer = observer{m: g.m}
	g.stepObserver = newStepMetrics(o.Registerer)
	g.tlsm = newTLSMetrics(o.Registerer, g)
	g.rm = newRateMetrics(o.Registerer, g)
	if o.TracerProvider != nil {
		g.tracing = true
		g.tracer = o.TracerProvider.Tracer("github.com/portico-gw/portico/internal/gateway")
		g.propagator = o.Propagator
		if g.propagator == nil {
			g.propagator = propagation.TraceContext{}
		}
	}
	rt, err := g.compile(cfg, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	g.activate(rt)
	return g, nil
}

// Reload compiles cfg and, if that succeeds, makes it the serving
// configuration. Requests already running finish on the old one. On error
// the old configuration keeps serving.
func (g *Gateway) Reload(cfg *config.Config) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ctx.Err() != nil {
		return fmt.Errorf("gateway closed")
	}
	old := g.rt.Load()
	rt, err := g.compile(cfg, old)
	if err != nil {
		g.m.reloads.WithLabelValues("failure").Inc()
		g.sweepFailed(cfg, old)
		return err
	}
	if old != nil && old.cfg.Server.Listen != cfg.Server.Listen {
		g.log.Warn("server.listen changed; the new address takes effect on restart",
			slog.String("serving", old.cfg.Server.Listen), slog.String("configured", cfg.Server.Listen))
	}
	g.activate(rt)
	g.m.reloads.WithLabelValues("success").Inc()
	if old != nil {
		for _, s := range old.services {
			s.close(old.grace)
		}
		g.sweepRetired(old, rt)
		g.retireTLS(old, rt)
		g.retireRateLimits(old, rt)
		old.closeStatics(old.grace)
		if old.auth != nil && old.auth != rt.auth {
			time.AfterFunc(old.grace, old.auth.client.CloseIdleConnections)
		}
	}
	return nil
}

func (g *Gateway) activate(rt *runtime) {
	for _, s := range rt.services {
		s.start(g.ctx)
	}
	rt.tls.start(g.ctx)
	g.rt.Store(rt)
	g.m.reloadTime.SetToCurrentTime()
}

// Config returns the serving configuration.
func (g *Gateway) Config() *config.Config { return g.rt.Load().cfg }

// Close stops background work. Idle upstream connections close after the
// shutdown grace.
func (g *Gateway) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cancel()
	g.access.close()
	if rt := g.rt.Load(); rt != nil {
		for _, s := range rt.services {
			s.close(0)
		}
		if rt.auth != nil {
			rt.auth.client.CloseIdleConnections()
		}
		if rt.rate != nil {
			rt.rate.lim.Close()
		}
		rt.closeStatics(0)
	}
}

// closeStatics closes the directories of the runtime's static routes
// after grace, when requests still running on it have had their time.
func (rt *runtime) closeStatics(grace time.Duration) {
	for _, s := range rt.statics {
		if grace <= 0 {
			s.close()
			continue
		}
		time.AfterFunc(grace, s.close)
	}
}

// compile builds the runtime of cfg. prev, the serving runtime if any,
// lends its authenticator when the auth block is unchanged.
func (g *Gateway) compile(cfg *config.Config, prev *runtime) (*runtime, error) {
	trusted, err := parseTrustedProxies(cfg.Server.TrustedProxies)
	if err != nil {
		return nil, err
	}
	rt := &runtime{
		cfg:       cfg,
		router:    router.New[*route](),
		files:     router.New[*route](),
		services:  make(map[string]*service, len(cfg.Services)),
		trusted:   trusted,
		limits:    newLimits(&cfg.Server),
		accessLog: cfg.Server.AccessLog == nil || *cfg.Server.AccessLog,
		grace:     cfg.Server.ShutdownGrace.D(),
	}
	fail := func(err error) (*runtime, error) {
		for _, s := range rt.services {
			s.close(0)
		}
		if rt.auth != nil && (prev == nil || rt.auth != prev.auth) {
			rt.auth.client.CloseIdleConnections()
		}
		g.releaseRateLimits(rt, prev)
		rt.closeStatics(0)
		return nil, err
	}
	if rt.tls, err = g.compileTLS(cfg, prev); err != nil {
		return fail(fmt.Errorf("server.tls: %w", err))
	}
	switch {
	case cfg.Auth == nil:
	case prev != nil && prev.auth.reusable(cfg.Auth):
		rt.auth = prev.auth
	default:
		if rt.auth, err = g.newAuthenticator(cfg.Auth); err != nil {
			return fail(fmt.Errorf("auth: %w", err))
		}
	}
	if cfg.RateLimits != nil {
		if rt.rate, err = g.compileRateLimits(cfg, prev); err != nil {
			return fail(err)
		}
	}
	for name, sc := range cfg.Services {
		sc.Name = name
		s, err := g.compileService(sc)
		if err != nil {
			return fail(err)
		}
		rt.services[name] = s
	}
	for _, rc := range cfg.Routes {
		tmpl, err := router.ParseTemplate(rc.Path)
		if err != nil {
			return fail(fmt.Errorf("route %s: %w", rc.Name, err))
		}
		var svc *service
		if rc.Aggregate == nil && rc.Static == nil {
			var ok bool
			if svc, ok = rt.services[rc.Service]; !ok {
				return fail(fmt.Errorf("route %s: unknown service %q", rc.Name, rc.Service))
			}
		}
		r, err := g.compileRoute(rc, svc, &cfg.Server, trusted)
		if err != nil {
			return fail(fmt.Errorf("route %s: %w", rc.Name, err))
		}
		r.authenticate = rt.auth != nil && !rc.Public
		if r.rate, err = rt.rate.forRoute(cfg, rc); err != nil {
			return fail(fmt.Errorf("route %s: %w", rc.Name, err))
		}
		if rc.Aggregate != nil {
			if r.plan, err = g.compilePlan(rc, tmpl, rt.services); err != nil {
				return fail(fmt.Errorf("route %s: %w", rc.Name, err))
			}
		}
		if rc.Static != nil {
			if r.static, err = g.compileStatic(rc, tmpl, &r.respRules); err != nil {
				return fail(fmt.Errorf("route %s: %w", rc.Name, err))
			}
			rt.statics = append(rt.statics, r.static)
		}
		tier := rt.router
		if rc.Static != nil {
			tier = rt.files
		}
		if err := tier.Add(rc.Methods, rc.Host, tmpl, r); err != nil {
			return fail(fmt.Errorf("route %s: %w", rc.Name, err))
		}
	}
	return rt, nil
}

// observer feeds upstream state changes into metrics.
type observer struct{ m *metrics }

func (o observer) TargetHealthChanged(service, target string, healthy bool) {
	v := 0.0
	if healthy {
		v = 1
	}
	o.m.targetHealthy.WithLabelValues(service, target).Set(v)
}

func (o observer) TargetEjectionChanged(service, target string, ejected bool) {
	v := 0.0
	if ejected {
		v = 1
	}
	o.m.targetEjected.WithLabelValues(service, target).Set(v)
}

func (o observer) BreakerStateChanged(service string, s upstream.BreakerState) {
	v := 0.0
	switch s {
	case upstream.HalfOpen:
		v = 1
	case upstream.Open:
		v = 2
	}
	o.m.breakerState.WithLabelValues(service).Set(v)
}

func (o observer) PanicRoutingChanged(service string, panicking bool) {
	v := 0.0
	if panicking {
		v = 1
	}
	o.m.panicRouting.WithLabelValues(service).Set(v)
}

var _ upstream.EjectionObserver = observer{}
var _ upstream.PanicObserver = observer{}
var _ upstream.Observer = observer{}
var _ http.Handler = (*Gateway)(nil)
