// Package config holds the gateway's configuration: its types, every
// default, a strict YAML loader that reports problems with file:line:column,
// and the validation rules that run before a configuration may serve traffic.
package config

import "time"

// Config is one gateway configuration file, decoded and with defaults
// applied. The zero value is not usable; obtain one from Load or Parse.
type Config struct {
	// Version is the configuration format version. Only 1 exists.
	Version int `yaml:"version"`
	// Server holds the public listener's settings and limits.
	Server Server `yaml:"server"`
	// Admin holds the admin listener (/healthz, /readyz, /metrics, pprof).
	Admin Admin `yaml:"admin"`
	// Log holds logging settings.
	Log Log `yaml:"log"`
	// Tracing holds OpenTelemetry settings; tracing export is off when
	// the endpoint is empty.
	Tracing Tracing `yaml:"tracing"`
	// Auth configures how the gateway authenticates callers through the
	// auth service. Nil means the gateway authenticates nobody, and then
	// no route may carry requirements.
	Auth *Auth `yaml:"auth"`
	// Services are the upstreams, by name.
	Services map[string]*Service `yaml:"services"`
	// Routes are matched by method, host and path; order does not matter
	// because matching picks the most specific route.
	Routes []*Route `yaml:"routes"`
	// RateLimits declares rate limit policies and where their state is
	// kept; nil limits nothing.
	RateLimits *RateLimits `yaml:"rate_limits" json:",omitempty"`

	// Source is the file the configuration was read from, if any.
	Source string `yaml:"-"`
}

// Server configures the public listener.
type Server struct {
	// Listen is the public address, host:port. Default ":8080".
	Listen string `yaml:"listen"`
	// ReadHeaderTimeout bounds reading a request's line and headers. Default 10s.
	ReadHeaderTimeout Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request including its body.
	// Zero (the default) means no limit beyond the route timeout, so that
	// long uploads stream.
	ReadTimeout Duration `yaml:"read_timeout"`
	// WriteTimeout bounds writing a response. Zero (the default) means no
	// limit, so that server-sent events and downloads stream.
	WriteTimeout Duration `yaml:"write_timeout"`
	// IdleTimeout closes keep-alive connections idle this long. Default 120s.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// ShutdownGrace is how long in-flight requests may run after shutdown
	// starts. Default 30s.
	ShutdownGrace Duration `yaml:"shutdown_grace"`
	// ShutdownDelay is how long readiness reports false before the listener
	// stops accepting, so load balancers notice. Default 0.
	ShutdownDelay Duration `yaml:"shutdown_delay"`
	// MaxConnections caps concurrently open client connections; further
	// connections wait in the kernel backlog. Default 10000; 0 means no cap.
	MaxConnections int `yaml:"max_connections"`
	// MaxRequestLine caps the request line (method, target, version) in
	// bytes; longer ones get 414. Default 8 KiB.
	MaxRequestLine Size `yaml:"max_request_line"`
	// MaxHeaderBytes caps the request line plus headers; larger ones get
	// 431. Default 64 KiB.
	MaxHeaderBytes Size `yaml:"max_header_bytes"`
	// MaxHeaderCount caps the number of header fields; more get 431. Default 100.
	MaxHeaderCount int `yaml:"max_header_count"`
	// MaxBody is the default request body cap; larger bodies get 413.
	// Default 1 MiB. Routes may override it.
	MaxBody Size `yaml:"max_body"`
	// BodyReadTimeout is the longest wait for the next bytes of a request
	// body, as nginx's client_body_timeout; a client that stalls longer
	// gets 408 and the upstream request is aborted. Default 60s.
	BodyReadTimeout Duration `yaml:"body_read_timeout"`
	// MinBodyRate is the lowest average rate, in bytes per second, at which
	// a request body must arrive, counting only the time the gateway waits
	// for it, once the first BodyReadTimeout of waiting has passed; a
	// slower body gets 408. Zero (the default) turns the check off.
	MinBodyRate Size `yaml:"min_body_rate"`
	// UnderscoreHeaders says what happens to request header fields whose
	// names contain "_", which CGI-style services fold into "-" (so
	// X_Forwarded_For would pass for X-Forwarded-For): drop (the default)
	// removes them, reject answers 400, pass forwards them.
	UnderscoreHeaders string `yaml:"underscore_headers"`
	// TrustedProxies lists CIDRs whose X-Forwarded-* and Forwarded headers
	// are believed. Empty (the default) trusts nobody.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// AccessLog writes one log line per request. Default true.
	AccessLog *bool `yaml:"access_log"`
	// AccessLogFlush is how often buffered access log lines are written.
	// Default 1s; 0 writes each line at once. Lines are also written when
	// 64 KiB are waiting, and at shutdown.
	AccessLogFlush Duration `yaml:"access_log_flush"`
	// H2C accepts cleartext HTTP/2 from clients with prior knowledge; an
	// "Upgrade: h2c" request is served as HTTP/1.1. Default false.
	H2C bool `yaml:"h2c"`
	// FrontDoor serves plain HTTP/1.1 requests on the gateway's own
	// connection loop (internal/platform/frontdoor) instead of net/http's,
	// which costs a request less CPU; other connections (HTTP/1.0,
	// upgrades, chunked uploads, h2c) stay net/http's. No effect with
	// TLS. Default true.
	FrontDoor *bool `yaml:"front_door"`
	// TLS serves the listener over TLS (types_tls.go); nil (the default)
	// serves cleartext HTTP.
	TLS *TLS `yaml:"tls" json:",omitempty"`
}

// Admin configures the admin listener.
type Admin struct {
	// Listen is the admin address. Default "127.0.0.1:9090"; empty string
	// "off" disables it.
	Listen string `yaml:"listen"`
	// Pprof mounts net/http/pprof under /debug/pprof/. Default false.
	Pprof bool `yaml:"pprof"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error. Default info.
	Level string `yaml:"level"`
	// Format is json or text. Default json.
	Format string `yaml:"format"`
}

// Tracing configures OpenTelemetry.
type Tracing struct {
	// OTLPEndpoint is an OTLP/HTTP endpoint URL (http://host:4318). Empty
	// (the default) exports nothing, though traceparent is still propagated.
	OTLPEndpoint string `yaml:"otlp_endpoint"`
	// SampleRatio is the ratio of new traces sampled. Default 1.0; parent
	// decisions are honoured.
	SampleRatio *float64 `yaml:"sample_ratio"`
	// ServiceName is the resource service.name. Default "portico-gateway".
	ServiceName string `yaml:"service_name"`
}

// Auth configures authentication of callers. With it, every route is
// authenticated unless it says public: true.
type Auth struct {
	// URL is the auth service's base URL; the gateway posts credentials to
	// its /internal/v1/exchange endpoint.
	URL string `yaml:"url"`
	// Issuer is the auth service's issuer: the "iss" every internal token
	// from the exchange must carry, exactly as auth writes it (its
	// --issuer; in portico all, the gateway's public URL). Required.
	Issuer string `yaml:"issuer"`
	// JWKSURL is where the auth service publishes the keys internal
	// tokens are verified with. Default URL + "/.well-known/jwks.json".
	JWKSURL string `yaml:"jwks_url"`
	// WorkloadTokenFile is the absolute path of the gateway's workload
	// token toward auth: in Kubernetes, its projected ServiceAccount token
	// for audience "portico-auth", re-read when the kubelet rotates it.
	// Every exchange request carries it. Empty (the default) needs the
	// token from the program instead (gateway.Options.AuthWorkloadToken,
	// as portico all gives); with neither, the gateway does not start.
	WorkloadTokenFile string `yaml:"workload_token_file"`
	// CookieName is the session cookie. Default "__Host-portico_session".
	CookieName string `yaml:"cookie_name"`
	// CSRFHeader must be present, with any value, on every request that
	// the session cookie authenticates and whose method is unsafe (not
	// GET, HEAD or OPTIONS): a page of another site can make a browser
	// send the cookie, but not add a header without a CORS preflight,
	// which no route grants other origins unless its cors says so.
	// Default "Portico-CSRF".
	CSRFHeader string `yaml:"csrf_header"`
	// TrustedOrigins are the Origin values such a request may carry (it
	// may also carry none). Default: the origin of Issuer, the gateway's
	// public URL.
	TrustedOrigins []string `yaml:"trusted_origins"`
	// APIKeyHeader, when set, also accepts API keys in this header besides
	// Authorization: Bearer. Default empty.
	APIKeyHeader string `yaml:"api_key_header"`
	// CacheTTL caps how long an exchanged token is reused for the same
	// credential; revocation takes effect within it. Default 10s.
	CacheTTL Duration `yaml:"cache_ttl"`
	// NegativeTTL is how long a refused credential is refused without
	// asking again. Default 2s.
	NegativeTTL Duration `yaml:"negative_ttl"`
	// MaxEntries caps the exchange cache. Default 100000.
	MaxEntries int `yaml:"max_entries"`
	// Timeout bounds one exchange. Default 2s.
	Timeout Duration `yaml:"timeout"`
	// Issuers are identity providers outside Portico whose bearer JWTs
	// the gateway also admits (types_issuers.go). Empty (the default)
	// admits none.
	Issuers []*ExternalIssuer `yaml:"issuers"`
}

// Requirement restricts who may call a route, beyond being authenticated.
type Requirement struct {
	// Tenant names the path parameter holding an organization id; the
	// caller must belong to that organization (staff always may).
	Tenant string `yaml:"tenant"`
	// Roles, when set, require the caller's role in the tenant
	// organization to be one of them (staff always may). Needs tenant.
	Roles []string `yaml:"roles"`
	// Scopes, when set, must all be granted to a machine caller (API key
	// or client); people are governed by roles.
	Scopes []string `yaml:"scopes"`
	// Staff admits only the operator's staff.
	Staff bool `yaml:"staff"`
	// Audience, when set, admits a machine client (OAuth) only with an
	// access token minted for this resource (its aud, requested with the
	// token endpoint's resource or audience parameter). Sessions and API
	// keys carry no audience and are not affected: govern API keys with
	// scopes. nil checks no audience; a pointer, so that an empty value
	// (an environment variable set to "") is an error, not a route open
	// to every audience.
	Audience *string `yaml:"audience"`
}

// Service is one upstream service with one or more targets.
type Service struct {
	// Name is the service's key in the services map.
	Name string `yaml:"-"`
	// Targets are base URLs (scheme://host:port[/base-path]).
	Targets []string `yaml:"targets"`
	// DNS discovers targets by resolving a name periodically instead of
	// listing them; exactly one of Targets and DNS is set.
	DNS *DNS `yaml:"dns"`
	// Balance is round_robin (the default) or least_outstanding (power of
	// two choices on in-flight requests).
	Balance string `yaml:"balance"`
	// H2C speaks cleartext HTTP/2 to targets with prior knowledge. Default false.
	H2C bool `yaml:"h2c"`
	// FastPath sends plain HTTP/1.1 requests to http targets through the
	// gateway's own client, which works on the request's goroutine, rather
	// than net/http's Transport; upgrades, Expect: 100-continue, requests
	// with trailers and https targets keep the Transport. Not with H2C.
	// Default true, unless H2C (see FastPathOn).
	FastPath *bool `yaml:"fast_path"`
	// Timeouts bound each attempt at a target.
	Timeouts Timeouts `yaml:"timeouts"`
	// Pool sizes the connection pool.
	Pool Pool `yaml:"pool"`
	// HealthCheck actively probes targets; nil disables active checks.
	HealthCheck *HealthCheck `yaml:"health_check"`
	// Outlier passively ejects targets that fail consecutively.
	Outlier Outlier `yaml:"outlier"`
	// CircuitBreaker opens when too many requests to the service fail.
	CircuitBreaker CircuitBreaker `yaml:"circuit_breaker"`
	// Retry retries idempotent requests that failed to connect.
	Retry Retry `yaml:"retry"`
	// MaxResponseHeaderBytes caps upstream response headers. Default 64 KiB.
	MaxResponseHeaderBytes Size `yaml:"max_response_header_bytes"`
}

// FastPathOn reports whether the service has the fast path: FastPath, or
// when it is unset (a Service not loaded through a Loader), whether the
// service is not H2C.
// FrontDoorOn reports server.front_door, true unless set false.
func (s *Server) FrontDoorOn() bool { return s.FrontDoor == nil || *s.FrontDoor }

func (s *Service) FastPathOn() bool {
	if s.FastPath == nil {
		return !s.H2C
	}
	return *s.FastPath
}

// DNS discovers a service's targets by name.
type DNS struct {
	// Name is resolved for A/AAAA records (a Kubernetes headless service).
	Name string `yaml:"name"`
	// Port is the targets' port.
	Port int `yaml:"port"`
	// Scheme is http (the default) or https.
	Scheme string `yaml:"scheme"`
	// Refresh is the re-resolution period. Default 30s.
	Refresh Duration `yaml:"refresh"`
}

// Timeouts bound parts of one upstream attempt.
type Timeouts struct {
	// Dial bounds connecting to a target. Default 2s.
	Dial Duration `yaml:"dial"`
	// ResponseHeader bounds waiting for response headers after the request
	// is written. Default 30s.
	ResponseHeader Duration `yaml:"response_header"`
	// Request bounds the whole exchange including the response body.
	// Default 60s. A route's timeout, if shorter, wins.
	Request Duration `yaml:"request"`
}

// Pool sizes an upstream connection pool.
type Pool struct {
	// MaxIdlePerHost is the idle keep-alive connections kept per target. Default 256.
	MaxIdlePerHost int `yaml:"max_idle_per_host"`
	// MaxConnsPerHost caps connections per target. Default 0 (no cap).
	MaxConnsPerHost int `yaml:"max_conns_per_host"`
	// IdleTimeout closes idle upstream connections. Default 90s.
	IdleTimeout Duration `yaml:"idle_timeout"`
}

// HealthCheck probes each target periodically.
type HealthCheck struct {
	// Path is requested with GET. Default /healthz.
	Path string `yaml:"path"`
	// Interval between probes. Default 5s.
	Interval Duration `yaml:"interval"`
	// Timeout of one probe. Default 1s.
	Timeout Duration `yaml:"timeout"`
	// HealthyThreshold consecutive successes mark a target healthy. Default 2.
	HealthyThreshold int `yaml:"healthy_threshold"`
	// UnhealthyThreshold consecutive failures mark it unhealthy. Default 3.
	UnhealthyThreshold int `yaml:"unhealthy_threshold"`
}

// Outlier configures passive ejection of failing targets.
type Outlier struct {
	// ConsecutiveFailures ejects a target after this many connection
	// failures or 5xx responses in a row. Default 5; 0 disables ejection.
	ConsecutiveFailures *int `yaml:"consecutive_failures"`
	// BaseEjection is the first ejection's length; repeated ejections grow
	// linearly. Default 30s.
	BaseEjection Duration `yaml:"base_ejection"`
	// MaxEjectedPercent caps the share of targets ejected at once. Default 50.
	MaxEjectedPercent int `yaml:"max_ejected_percent"`
}

// CircuitBreaker configures the per-service breaker.
type CircuitBreaker struct {
	// FailureRatio opens the breaker when failures / requests in the window
	// reach it. Default 0.5; 0 disables the breaker.
	FailureRatio *float64 `yaml:"failure_ratio"`
	// MinRequests in the window before the ratio is considered. Default 20.
	MinRequests int `yaml:"min_requests"`
	// Window is the rolling window. Default 10s.
	Window Duration `yaml:"window"`
	// MinOpenFor is how long the breaker stays open the first time, before
	// trial requests; each time it opens again before it has stayed closed
	// for a whole window, it stays open twice as long as the time before,
	// up to OpenFor. Default 1s, or OpenFor when that is shorter.
	MinOpenFor Duration `yaml:"min_open_for"`
	// OpenFor is the longest the breaker stays open before trial requests.
	// Default 15s.
	OpenFor Duration `yaml:"open_for"`
	// HalfOpenRequests is the number of trial requests in flight at once
	// while half open; the first to succeed closes the breaker. Default 5.
	HalfOpenRequests int `yaml:"half_open_requests"`
}

// Retry configures retries of idempotent requests on connection failures.
type Retry struct {
	// Attempts is the maximum number of tries including the first. Default 2.
	Attempts int `yaml:"attempts"`
	// BudgetRatio caps retries at this share of requests. Default 0.2.
	BudgetRatio *float64 `yaml:"budget_ratio"`
	// MinPerSecond retries are always allowed regardless of ratio. Default 10.
	MinPerSecond int `yaml:"min_per_second"`
}

// Route maps matching requests to a service, an aggregation plan or files.
type Route struct {
	// Name identifies the route in metrics and logs. Default: method and path.
	Name string `yaml:"name"`
	// Methods the route accepts. Empty means every method.
	Methods []string `yaml:"methods"`
	// Host, when set, must equal the request's host (port ignored); a
	// leading "*." matches any single-label subdomain.
	Host string `yaml:"host"`
	// Path is a template: literal segments, {name} segments and an
	// optional trailing {name...} wildcard.
	Path string `yaml:"path"`
	// Service receives matched requests. Exactly one of Service,
	// Aggregate and Static is set.
	Service string `yaml:"service"`
	// Aggregate answers matched requests by composing several service
	// calls into one JSON response instead of proxying to one service.
	Aggregate *Aggregate `yaml:"aggregate"`
	// Static answers matched requests with files (types_static.go)
	// instead of proxying.
	Static *Static `yaml:"static" json:",omitempty"`
	// Rewrite is the upstream path template using the path's parameters.
	// Empty means the matched (normalised) path unchanged.
	Rewrite string `yaml:"rewrite"`
	// StripQuery drops the query string. Default false: the query passes through.
	StripQuery bool `yaml:"strip_query"`
	// Timeout bounds the whole request at this route. Default: the service's.
	Timeout Duration `yaml:"timeout"`
	// MaxBody overrides the server's body cap for this route.
	MaxBody Size `yaml:"max_body"`
	// RequestHeaders changes headers sent upstream.
	RequestHeaders HeaderRules `yaml:"request_headers"`
	// ResponseHeaders changes headers sent to the client.
	ResponseHeaders HeaderRules `yaml:"response_headers"`
	// CORS answers preflights and decorates responses; nil disables CORS.
	CORS *CORS `yaml:"cors"`
	// Public serves the route to anyone even when auth is configured.
	// Default false: with auth configured, callers must authenticate.
	Public bool `yaml:"public"`
	// Require restricts authenticated callers further; nil requires only
	// authentication.
	Require *Requirement `yaml:"require"`
	// Retry overrides the service's retry attempts for this route, when set.
	Retry *int `yaml:"retry_attempts"`
	// HSTS sends Strict-Transport-Security on the route's responses to
	// requests that came over TLS; nil sends none.
	HSTS *HSTS `yaml:"hsts" json:",omitempty"`
	// ClientCert admits only callers with a verified TLS client
	// certificate; nil admits callers with or without one.
	ClientCert *ClientCert `yaml:"client_cert" json:",omitempty"`
	// RateLimits names the rate limit policies that apply to the route
	// besides the default ones.
	RateLimits []string `yaml:"rate_limits" json:",omitempty"`
	// SkipDefaultRateLimits exempts the route from
	// rate_limits.default_policies. Default false.
	SkipDefaultRateLimits bool `yaml:"skip_default_rate_limits" json:",omitempty"`

	// Pos is where the route starts in the source file.
	Pos Position `yaml:"-"`
}

// Aggregate is a composition plan: named steps, each calling one service,
// run concurrently unless one depends on another, merged into one response.
type Aggregate struct {
	// Budget bounds the whole plan; the remaining time is sent to each
	// step's service. Default 10s. The critical path of step timeouts must
	// fit in it.
	Budget Duration `yaml:"budget"`
	// OutcomeField, when set, adds the per-step outcome to the response
	// body under this key. Default: outcomes only in the Portico-Outcome
	// header.
	OutcomeField string `yaml:"outcome_field"`
	// MaxStepBody caps each step's response body unless the step sets its
	// own. Default 1 MiB.
	MaxStepBody Size `yaml:"max_step_body"`
	// MaxFanOut caps the items a for_each step may call for, unless the
	// step sets max_items. Default 100.
	MaxFanOut int `yaml:"max_fan_out"`
	// Steps are the calls, by name.
	Steps []*Step `yaml:"steps"`
}

// Step is one call of an aggregation plan.
type Step struct {
	// Name identifies the step in references, outcomes and metrics.
	Name string `yaml:"name"`
	// Service is called.
	Service string `yaml:"service"`
	// Method of the call. Default GET.
	Method string `yaml:"method"`
	// Path is the call's path template, e.g. /internal/orgs/{path.org}.
	Path string `yaml:"path"`
	// Query parameters, as value templates.
	Query map[string]string `yaml:"query"`
	// Headers sent with the call, as value templates.
	Headers map[string]string `yaml:"headers"`
	// Body is the JSON body sent, built from templates.
	Body *JSONValue `yaml:"body"`
	// DependsOn names steps that must finish first, in addition to those
	// the step's templates refer to.
	DependsOn []string `yaml:"depends_on"`
	// ForEach is a field path to an array in an earlier step's result; the
	// step is called once per item.
	ForEach string `yaml:"for_each"`
	// MaxItems caps the items of a for_each step. Default: max_fan_out.
	MaxItems int `yaml:"max_items"`
	// Concurrency caps the simultaneous calls of a for_each step. Default 4.
	Concurrency int `yaml:"concurrency"`
	// Timeout bounds the step. Default: the rest of the budget (a step
	// others depend on must set one).
	Timeout Duration `yaml:"timeout"`
	// OnFailure is required (the default), optional or fallback.
	OnFailure string `yaml:"on_failure"`
	// Fallback is the value used when a fallback step fails.
	Fallback *JSONValue `yaml:"fallback"`
	// Into places the result under this key of the response.
	Into string `yaml:"into"`
	// Merge merges the result's members into the response's root.
	Merge bool `yaml:"merge"`
	// Select picks a sub-object of the result before shaping.
	Select string `yaml:"select"`
	// Allow keeps only these field paths.
	Allow []string `yaml:"allow"`
	// Deny removes these field paths.
	Deny []string `yaml:"deny"`
	// Rename gives the last segment of a field path a new name.
	Rename map[string]string `yaml:"rename"`
	// MaxBody caps this step's response body. Default: max_step_body.
	MaxBody Size `yaml:"max_body"`
}

// JSONValue is any JSON-compatible value written in YAML: a mapping, a
// sequence, a string, a number, a boolean or null. Numbers keep their text.
type JSONValue struct {
	// V is the value: map[string]any, []any, string, json.Number, bool or nil.
	V any
}

// HeaderRules adds, sets and removes header fields.
type HeaderRules struct {
	// Set replaces a field's values.
	Set map[string]string `yaml:"set"`
	// Add appends a value.
	Add map[string]string `yaml:"add"`
	// Remove deletes fields.
	Remove []string `yaml:"remove"`
}

// CORS configures cross-origin resource sharing for a route.
type CORS struct {
	// AllowOrigins are exact origins, or "*" for any (not with credentials).
	AllowOrigins []string `yaml:"allow_origins"`
	// AllowMethods answered on preflight. Default: the route's methods.
	AllowMethods []string `yaml:"allow_methods"`
	// AllowHeaders answered on preflight.
	AllowHeaders []string `yaml:"allow_headers"`
	// ExposeHeaders readable by scripts.
	ExposeHeaders []string `yaml:"expose_headers"`
	// AllowCredentials allows cookies and authorization.
	AllowCredentials bool `yaml:"allow_credentials"`
	// MaxAge caches preflight results. Default 10m.
	MaxAge Duration `yaml:"max_age"`
}

// Position is a place in a source file.
type Position struct {
	File   string
	Line   int
	Column int
}

// Duration is a time.Duration written in Go's units ("250ms", "1m30s").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Size is a byte count written with an optional unit: B, KB, KiB, MB, MiB,
// GB, GiB (decimal units are powers of 1000, binary of 1024).
type Size int64
