package upstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Balancing policies accepted in Options.Balance.
const (
	// RoundRobin cycles through the eligible targets in order.
	RoundRobin = "round_robin"
	// LeastOutstanding picks the less busy of two random eligible targets
	// (power of two choices on in-flight requests).
	LeastOutstanding = "least_outstanding"
)

// Defaults applied by New to fields left at zero. They are the gateway
// configuration's defaults, so a zero field means the same thing in both.
const (
	DefaultDNSRefresh         = 30 * time.Second
	DefaultHealthPath         = "/healthz"
	DefaultHealthInterval     = 5 * time.Second
	DefaultHealthTimeout      = time.Second
	DefaultHealthyThreshold   = 2
	DefaultUnhealthyThreshold = 3
	DefaultBaseEjection       = 30 * time.Second
	DefaultMaxEjectedPercent  = 50
	DefaultBreakerMinRequests = 20
	DefaultBreakerWindow      = 10 * time.Second
	DefaultBreakerMinOpenFor  = time.Second
	DefaultBreakerOpenFor     = 15 * time.Second
	DefaultHalfOpenRequests   = 5
	DefaultRetryAttempts      = 2
)

// Options configure one upstream service. Exactly one of Targets and DNS
// must be set.
type Options struct {
	// Name identifies the service in logs, metrics and errors.
	Name string
	// Targets are static base URLs (scheme://host:port[/base-path]); the
	// scheme must be http or https.
	Targets []*url.URL
	// DNS discovers targets by resolving a name periodically instead.
	DNS *DNSOptions
	// Balance is RoundRobin (the default when empty) or LeastOutstanding.
	Balance string
	// HealthCheck actively probes targets; nil disables active checks.
	HealthCheck *HealthCheckOptions
	// Outlier passively ejects targets that fail consecutively; the zero
	// value disables ejection.
	Outlier OutlierOptions
	// Breaker is the service's circuit breaker; the zero value disables it.
	Breaker BreakerOptions
	// Retry bounds retries; the zero value allows none.
	Retry RetryOptions
	// Logger receives state changes (health, ejection, breaker, discovery).
	// Nil discards them.
	Logger *slog.Logger
	// Observer is told about state changes, for metrics. Nil tells nobody.
	Observer Observer
	// Now is the clock. Nil means time.Now; tests inject their own.
	Now func() time.Time
}

// DNSOptions discover a service's targets by resolving a name.
type DNSOptions struct {
	// Name is resolved to addresses (A and AAAA records, as a Kubernetes
	// headless service publishes them).
	Name string
	// Port is every target's port; it is required.
	Port int
	// Scheme is http (the default when empty) or https.
	Scheme string
	// Refresh is the period between resolutions; each lookup is also
	// bounded by it. Zero means DefaultDNSRefresh (30s).
	Refresh time.Duration
	// Resolver looks names up. Nil means net.DefaultResolver.
	Resolver Resolver
}

// Resolver looks a host name up and returns its addresses. *net.Resolver
// satisfies it.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// HealthCheckOptions configure active health checks: every Interval each
// target gets a GET of Path, and answers 200 to 399 within Timeout count as
// successes.
type HealthCheckOptions struct {
	// Path is requested on each target's scheme and host (not under its
	// base path). Zero means DefaultHealthPath ("/healthz").
	Path string
	// Interval between probes. Zero means DefaultHealthInterval (5s).
	Interval time.Duration
	// Timeout of one probe. Zero means DefaultHealthTimeout (1s).
	Timeout time.Duration
	// HealthyThreshold consecutive successes mark an unhealthy target
	// healthy. Zero means DefaultHealthyThreshold (2).
	HealthyThreshold int
	// UnhealthyThreshold consecutive failures mark a healthy target
	// unhealthy. Zero means DefaultUnhealthyThreshold (3).
	UnhealthyThreshold int
	// Client sends the probes. Nil means a client of the service's own that
	// does not follow redirects (a 3xx answer is healthy); a given client's
	// redirect policy applies as it is.
	Client *http.Client
}

// OutlierOptions configure passive ejection: a target whose attempts fail
// ConsecutiveFailures times in a row is ejected for BaseEjection times the
// number of times it has been ejected, as long as no more than
// MaxEjectedPercent of the targets are ejected at once and at least one
// target stays eligible. The count of ejections starts again when a target
// returns and is not ejected again within its last ejection's length.
type OutlierOptions struct {
	// ConsecutiveFailures ejects a target after this many failed attempts
	// in a row. Zero disables ejection (the gateway configuration's default
	// is 5).
	ConsecutiveFailures int
	// BaseEjection is the first ejection's length. Zero means
	// DefaultBaseEjection (30s).
	BaseEjection time.Duration
	// MaxEjectedPercent caps the share of targets ejected at once, rounded
	// down. Zero means DefaultMaxEjectedPercent (50).
	MaxEjectedPercent int
}

// BreakerOptions configure the service's circuit breaker.
type BreakerOptions struct {
	// FailureRatio opens the breaker when failures / requests in the window
	// reach it. Zero disables the breaker (the gateway configuration's
	// default is 0.5).
	FailureRatio float64
	// MinRequests is the number of finished requests the window must hold
	// before the ratio is considered. Zero means DefaultBreakerMinRequests (20).
	MinRequests int
	// Window is the rolling window, kept in ten buckets. Zero means
	// DefaultBreakerWindow (10s).
	Window time.Duration
	// MinOpenFor is how long the breaker rejects after it first opens,
	// before trial requests. Each time it opens again before it has stayed
	// closed for a whole Window (a failed trial included), it rejects for
	// twice as long as the time before, up to OpenFor. Zero means
	// DefaultBreakerMinOpenFor (1s), or OpenFor when that is shorter.
	MinOpenFor time.Duration
	// OpenFor is the longest the breaker rejects before trial requests.
	// Zero means DefaultBreakerOpenFor (15s).
	OpenFor time.Duration
	// HalfOpenRequests is the number of trial requests in flight at once
	// while half-open; the first to succeed closes the breaker, and one
	// that fails before any has succeeded opens it again. Zero means
	// DefaultHalfOpenRequests (5).
	HalfOpenRequests int
}

// RetryOptions bound retries of failed attempts.
type RetryOptions struct {
	// Attempts is the maximum number of tries including the first. Zero
	// means 1 (no retries; the gateway configuration's default is 2).
	Attempts int
	// BudgetRatio lets retries reach this share of requests in the last 10
	// seconds. Zero grants no retries beyond MinPerSecond (the gateway
	// configuration's default is 0.2).
	BudgetRatio float64
	// MinPerSecond retries per second are allowed whatever the ratio. Zero
	// means no floor (the gateway configuration's default is 10).
	MinPerSecond int
}

// Observer is told about state changes of a service, typically to export
// metrics. Calls must not block for long nor call back into the Service:
// BreakerStateChanged and PanicObserver's PanicRoutingChanged are made with
// the lock that orders those changes held, so that they arrive in order and
// a gauge set from them ends on the current state; the others are made
// without locks held.
type Observer interface {
	// TargetHealthChanged reports a target marked healthy or unhealthy by
	// active health checks.
	TargetHealthChanged(service, target string, healthy bool)
	// BreakerStateChanged reports the breaker's new state.
	BreakerStateChanged(service string, state BreakerState)
}

// EjectionObserver is an optional extension of Observer: when the Observer
// also implements it, it is told when a target is ejected and when it
// returns.
type EjectionObserver interface {
	TargetEjectionChanged(service, target string, ejected bool)
}

// PanicObserver is an optional extension of Observer: when the Observer
// also implements it, it is told when the service starts sending requests
// to all of its targets because none is eligible (panic routing), and when
// a target is eligible again.
type PanicObserver interface {
	PanicRoutingChanged(service string, panicking bool)
}

// RemovalObserver is an optional extension of Observer: when the Observer
// also implements it, it is told which targets a DNS refresh removed, after
// they stopped receiving requests, so that what it keeps per target (such
// as metric series) can go. Static targets are never removed.
type RemovalObserver interface {
	TargetsRemoved(service string, targets []string)
}

// withDefaults validates o and returns a copy with zero fields defaulted.
func (o Options) withDefaults() (Options, error) {
	if o.Name == "" {
		return o, errors.New("service name is empty")
	}
	if (len(o.Targets) == 0) == (o.DNS == nil) {
		return o, errors.New("exactly one of targets and dns must be set")
	}
	switch o.Balance {
	case "":
		o.Balance = RoundRobin
	case RoundRobin, LeastOutstanding:
	default:
		return o, fmt.Errorf("unknown balance policy %q", o.Balance)
	}
	if o.DNS != nil {
		d := *o.DNS
		if d.Name == "" {
			return o, errors.New("dns name is empty")
		}
		if d.Port <= 0 || d.Port > 65535 {
			return o, fmt.Errorf("dns port %d out of range", d.Port)
		}
		if d.Scheme == "" {
			d.Scheme = "http"
		}
		if d.Scheme != "http" && d.Scheme != "https" {
			return o, fmt.Errorf("dns scheme %q is not http or https", d.Scheme)
		}
		if d.Refresh < 0 {
			return o, errors.New("dns refresh is negative")
		}
		d.Refresh = orDuration(d.Refresh, DefaultDNSRefresh)
		o.DNS = &d
	}
	if o.HealthCheck != nil {
		h := *o.HealthCheck
		if h.Path == "" {
			h.Path = DefaultHealthPath
		}
		if h.Path[0] != '/' {
			return o, fmt.Errorf("health check path %q does not start with /", h.Path)
		}
		if h.Interval < 0 || h.Timeout < 0 || h.HealthyThreshold < 0 || h.UnhealthyThreshold < 0 {
			return o, errors.New("health check interval, timeout and thresholds must not be negative")
		}
		h.Interval = orDuration(h.Interval, DefaultHealthInterval)
		h.Timeout = orDuration(h.Timeout, DefaultHealthTimeout)
		h.HealthyThreshold = orInt(h.HealthyThreshold, DefaultHealthyThreshold)
		h.UnhealthyThreshold = orInt(h.UnhealthyThreshold, DefaultUnhealthyThreshold)
		o.HealthCheck = &h
	}
	out := &o.Outlier
	if out.ConsecutiveFailures < 0 || out.BaseEjection < 0 || out.MaxEjectedPercent < 0 || out.MaxEjectedPercent > 100 {
		return o, errors.New("outlier: consecutive failures and base ejection must not be negative, max ejected percent must be 0..100")
	}
	out.BaseEjection = orDuration(out.BaseEjection, DefaultBaseEjection)
	out.MaxEjectedPercent = orInt(out.MaxEjectedPercent, DefaultMaxEjectedPercent)
	br := &o.Breaker
	if br.FailureRatio < 0 || br.FailureRatio > 1 || br.MinRequests < 0 || br.Window < 0 || br.MinOpenFor < 0 || br.OpenFor < 0 || br.HalfOpenRequests < 0 {
		return o, errors.New("breaker: failure ratio must be 0..1 and other fields must not be negative")
	}
	br.MinRequests = orInt(br.MinRequests, DefaultBreakerMinRequests)
	br.Window = orDuration(br.Window, DefaultBreakerWindow)
	br.OpenFor = orDuration(br.OpenFor, DefaultBreakerOpenFor)
	br.MinOpenFor = orDuration(br.MinOpenFor, min(DefaultBreakerMinOpenFor, br.OpenFor))
	if br.MinOpenFor > br.OpenFor {
		return o, fmt.Errorf("breaker min open for %v is longer than open for %v", br.MinOpenFor, br.OpenFor)
	}
	br.HalfOpenRequests = orInt(br.HalfOpenRequests, DefaultHalfOpenRequests)
	if br.Window < windowBuckets {
		return o, fmt.Errorf("breaker window %v is shorter than %d ns", br.Window, windowBuckets)
	}
	re := &o.Retry
	if re.Attempts < 0 || re.BudgetRatio < 0 || re.MinPerSecond < 0 {
		return o, errors.New("retry: attempts, budget ratio and min per second must not be negative")
	}
	re.Attempts = orInt(re.Attempts, 1)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

func orDuration(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func orInt(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}
