package config

import (
	"strings"
	"time"
)

// Defaults, each documented on the field it fills. A non-pointer field
// left at its zero value takes its default; pointer fields tell an explicit
// zero from an absent key.
const (
	DefaultListen            = ":8080"
	DefaultReadHeaderTimeout = Duration(10 * time.Second)
	DefaultIdleTimeout       = Duration(120 * time.Second)
	DefaultShutdownGrace     = Duration(30 * time.Second)
	DefaultMaxConnections    = 10000
	DefaultMaxRequestLine    = 8 * KiB
	DefaultMaxHeaderBytes    = 64 * KiB
	DefaultMaxHeaderCount    = 100
	DefaultMaxBody           = 1 * MiB
	DefaultBodyReadTimeout   = Duration(60 * time.Second)
	DefaultAccessLog         = true
	DefaultAccessLogFlush    = Duration(time.Second)

	// UnderscoreDrop, UnderscoreReject and UnderscorePass are the values of
	// server.underscore_headers.
	UnderscoreDrop           = "drop"
	UnderscoreReject         = "reject"
	UnderscorePass           = "pass"
	DefaultUnderscoreHeaders = UnderscoreDrop

	DefaultAdminListen = "127.0.0.1:9090"
	// AdminOff as admin.listen disables the admin listener.
	AdminOff = "off"

	DefaultLogLevel  = "info"
	DefaultLogFormat = "json"

	DefaultSampleRatio = 1.0
	DefaultServiceName = "portico-gateway"

	BalanceRoundRobin       = "round_robin"
	BalanceLeastOutstanding = "least_outstanding"
	DefaultBalance          = BalanceRoundRobin

	DefaultDNSScheme  = "http"
	DefaultDNSRefresh = Duration(30 * time.Second)

	DefaultDialTimeout           = Duration(2 * time.Second)
	DefaultResponseHeaderTimeout = Duration(30 * time.Second)
	DefaultRequestTimeout        = Duration(60 * time.Second)

	DefaultMaxIdlePerHost  = 256
	DefaultPoolIdleTimeout = Duration(90 * time.Second)

	DefaultHealthPath               = "/healthz"
	DefaultHealthInterval           = Duration(5 * time.Second)
	DefaultHealthTimeout            = Duration(1 * time.Second)
	DefaultHealthyThreshold         = 2
	DefaultUnhealthyThreshold       = 3
	DefaultOutlierFailures          = 5
	DefaultOutlierBaseEjection      = Duration(30 * time.Second)
	DefaultOutlierMaxEjectedPercent = 50

	DefaultBreakerFailureRatio     = 0.5
	DefaultBreakerMinRequests      = 20
	DefaultBreakerWindow           = Duration(10 * time.Second)
	DefaultBreakerMinOpenFor       = Duration(time.Second)
	DefaultBreakerOpenFor          = Duration(15 * time.Second)
	DefaultBreakerHalfOpenRequests = 5

	DefaultRetryAttempts     = 2
	DefaultRetryBudgetRatio  = 0.2
	DefaultRetryMinPerSecond = 10

	DefaultMaxResponseHeaderBytes = 64 * KiB

	DefaultCORSMaxAge = Duration(10 * time.Minute)

	DefaultAuthCookieName  = "__Host-portico_session"
	DefaultAuthCSRFHeader  = "Portico-CSRF"
	DefaultAuthCacheTTL    = Duration(10 * time.Second)
	DefaultAuthNegativeTTL = Duration(2 * time.Second)
	DefaultAuthMaxEntries  = 100000
	DefaultAuthTimeout     = Duration(2 * time.Second)
	// AuthJWKSPath is where below auth.url the auth service publishes its
	// keys, the default of auth.jwks_url.
	AuthJWKSPath = "/.well-known/jwks.json"
)

// newConfig returns the Config a file is decoded into. It carries the
// defaults of the fields whose zero value is itself meaningful (so an
// explicit 0 in the file must survive), which applyDefaults therefore
// leaves alone: server.max_connections, where 0 means no cap, and
// server.access_log_flush, where 0 means no buffering.
func newConfig() *Config {
	return &Config{Server: Server{MaxConnections: DefaultMaxConnections, AccessLogFlush: DefaultAccessLogFlush}}
}

// applyDefaults fills every unset field of a decoded configuration, and
// normalises case where matching is case-insensitive (methods to upper
// case, hosts to lower case). Routes take their service's timeout and retry
// attempts and the server's body cap, so consumers read one effective value.
func applyDefaults(c *Config) {
	s := &c.Server
	setString(&s.Listen, DefaultListen)
	setDuration(&s.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	setDuration(&s.IdleTimeout, DefaultIdleTimeout)
	setDuration(&s.ShutdownGrace, DefaultShutdownGrace)
	setSize(&s.MaxRequestLine, DefaultMaxRequestLine)
	setSize(&s.MaxHeaderBytes, DefaultMaxHeaderBytes)
	setInt(&s.MaxHeaderCount, DefaultMaxHeaderCount)
	setSize(&s.MaxBody, DefaultMaxBody)
	setDuration(&s.BodyReadTimeout, DefaultBodyReadTimeout)
	setString(&s.UnderscoreHeaders, DefaultUnderscoreHeaders)
	setPtr(&s.AccessLog, DefaultAccessLog)
	setPtr(&s.FrontDoor, true)

	setString(&c.Admin.Listen, DefaultAdminListen)
	setString(&c.Log.Level, DefaultLogLevel)
	setString(&c.Log.Format, DefaultLogFormat)
	setPtr(&c.Tracing.SampleRatio, DefaultSampleRatio)
	setString(&c.Tracing.ServiceName, DefaultServiceName)
	if a := c.Auth; a != nil {
		if a.URL != "" {
			setString(&a.JWKSURL, DefaultAuthJWKSURL(a.URL))
		}
		setString(&a.CookieName, DefaultAuthCookieName)
		setString(&a.CSRFHeader, DefaultAuthCSRFHeader)
		if len(a.TrustedOrigins) == 0 {
			if o, ok := originOf(a.Issuer); ok {
				a.TrustedOrigins = []string{o}
			}
		}
		setDuration(&a.CacheTTL, DefaultAuthCacheTTL)
		setDuration(&a.NegativeTTL, DefaultAuthNegativeTTL)
		setInt(&a.MaxEntries, DefaultAuthMaxEntries)
		setDuration(&a.Timeout, DefaultAuthTimeout)
		issuerDefaults(a)
	}

	for name, svc := range c.Services {
		if svc != nil {
			svc.Name = name
			serviceDefaults(svc)
		}
	}
	for _, r := range c.Routes {
		if r != nil {
			routeDefaults(r, c.Services[r.Service], &c.Server)
		}
	}
	rateLimitDefaults(c)
	tlsAndHSTSDefaults(c)
	staticDefaults(c)
}

func serviceDefaults(s *Service) {
	setString(&s.Balance, DefaultBalance)
	if s.DNS != nil {
		setString(&s.DNS.Scheme, DefaultDNSScheme)
		setDuration(&s.DNS.Refresh, DefaultDNSRefresh)
	}
	setDuration(&s.Timeouts.Dial, DefaultDialTimeout)
	setDuration(&s.Timeouts.ResponseHeader, DefaultResponseHeaderTimeout)
	setDuration(&s.Timeouts.Request, DefaultRequestTimeout)
	setInt(&s.Pool.MaxIdlePerHost, DefaultMaxIdlePerHost)
	setDuration(&s.Pool.IdleTimeout, DefaultPoolIdleTimeout)
	if h := s.HealthCheck; h != nil {
		setString(&h.Path, DefaultHealthPath)
		setDuration(&h.Interval, DefaultHealthInterval)
		setDuration(&h.Timeout, DefaultHealthTimeout)
		setInt(&h.HealthyThreshold, DefaultHealthyThreshold)
		setInt(&h.UnhealthyThreshold, DefaultUnhealthyThreshold)
	}
	setPtr(&s.FastPath, !s.H2C)
	setPtr(&s.Outlier.ConsecutiveFailures, DefaultOutlierFailures)
	setDuration(&s.Outlier.BaseEjection, DefaultOutlierBaseEjection)
	setInt(&s.Outlier.MaxEjectedPercent, DefaultOutlierMaxEjectedPercent)
	cb := &s.CircuitBreaker
	setPtr(&cb.FailureRatio, DefaultBreakerFailureRatio)
	setInt(&cb.MinRequests, DefaultBreakerMinRequests)
	setDuration(&cb.Window, DefaultBreakerWindow)
	setDuration(&cb.OpenFor, DefaultBreakerOpenFor)
	if cb.OpenFor > 0 {
		// A short open_for alone must stay valid: the backoff then starts there.
		setDuration(&cb.MinOpenFor, min(DefaultBreakerMinOpenFor, cb.OpenFor))
	} else {
		setDuration(&cb.MinOpenFor, DefaultBreakerMinOpenFor)
	}
	setInt(&cb.HalfOpenRequests, DefaultBreakerHalfOpenRequests)
	setInt(&s.Retry.Attempts, DefaultRetryAttempts)
	setPtr(&s.Retry.BudgetRatio, DefaultRetryBudgetRatio)
	setInt(&s.Retry.MinPerSecond, DefaultRetryMinPerSecond)
	setSize(&s.MaxResponseHeaderBytes, DefaultMaxResponseHeaderBytes)
}

// routeDefaults fills r; svc is nil when r names no existing service, which
// validation reports.
func routeDefaults(r *Route, svc *Service, s *Server) {
	for i, m := range r.Methods {
		r.Methods[i] = strings.ToUpper(m)
	}
	r.Host = strings.ToLower(r.Host)
	if r.Name == "" {
		r.Name = defaultRouteName(r)
	}
	setSize(&r.MaxBody, s.MaxBody)
	if r.Aggregate != nil {
		aggregateDefaults(r)
	}
	if svc != nil && r.Aggregate == nil && r.Static == nil {
		setDuration(&r.Timeout, svc.Timeouts.Request)
		setPtr(&r.Retry, svc.Retry.Attempts)
	}
	if c := r.CORS; c != nil {
		if c.AllowMethods == nil && len(r.Methods) > 0 {
			c.AllowMethods = append([]string(nil), r.Methods...)
		}
		for i, m := range c.AllowMethods {
			c.AllowMethods[i] = strings.ToUpper(m)
		}
		setDuration(&c.MaxAge, DefaultCORSMaxAge)
	}
}

// defaultRouteName is "METHODS path", as in "GET,HEAD /v1/me", with "ANY"
// for a route that accepts every method.
func defaultRouteName(r *Route) string {
	methods := "ANY"
	if len(r.Methods) > 0 {
		methods = strings.Join(r.Methods, ",")
	}
	return methods + " " + r.Path
}

// DefaultAuthJWKSURL returns the default auth.jwks_url for the auth
// service at base: its AuthJWKSPath.
func DefaultAuthJWKSURL(base string) string {
	return strings.TrimSuffix(base, "/") + AuthJWKSPath
}

func setString(p *string, def string) {
	if *p == "" {
		*p = def
	}
}

func setInt(p *int, def int) {
	if *p == 0 {
		*p = def
	}
}

func setDuration(p *Duration, def Duration) {
	if *p == 0 {
		*p = def
	}
}

func setSize(p *Size, def Size) {
	if *p == 0 {
		*p = def
	}
}

func setPtr[T any](p **T, def T) {
	if *p == nil {
		*p = &def
	}
}
