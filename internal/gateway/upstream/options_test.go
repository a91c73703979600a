package upstream

import (
	"net/url"
	"testing"
	"time"
)

func TestNewRejectsInvalidOptions(t *testing.T) {
	targets := mustURLs(t, "http://10.0.0.1:80")
	dns := &DNSOptions{Name: "svc.local", Port: 80}
	cases := map[string]Options{
		"empty name":             {Targets: targets},
		"neither target nor dns": {Name: "a"},
		"both targets and dns":   {Name: "a", Targets: targets, DNS: dns},
		"unknown balance":        {Name: "a", Targets: targets, Balance: "random"},
		"nil target":             {Name: "a", Targets: []*url.URL{nil}},
		"target without host":    {Name: "a", Targets: mustURLs(t, "http:///base")},
		"ftp target":             {Name: "a", Targets: mustURLs(t, "ftp://10.0.0.1")},
		"duplicate target":       {Name: "a", Targets: mustURLs(t, "http://10.0.0.1:80", "http://10.0.0.1:80")},
		"dns without name":       {Name: "a", DNS: &DNSOptions{Port: 80}},
		"dns without port":       {Name: "a", DNS: &DNSOptions{Name: "svc.local"}},
		"dns bad scheme":         {Name: "a", DNS: &DNSOptions{Name: "svc.local", Port: 80, Scheme: "tcp"}},
		"dns negative refresh":   {Name: "a", DNS: &DNSOptions{Name: "svc.local", Port: 80, Refresh: -1}},
		"health relative path":   {Name: "a", Targets: targets, HealthCheck: &HealthCheckOptions{Path: "healthz"}},
		"health negative":        {Name: "a", Targets: targets, HealthCheck: &HealthCheckOptions{Interval: -1}},
		"outlier negative":       {Name: "a", Targets: targets, Outlier: OutlierOptions{ConsecutiveFailures: -1}},
		"outlier percent > 100":  {Name: "a", Targets: targets, Outlier: OutlierOptions{MaxEjectedPercent: 101}},
		"breaker ratio > 1":      {Name: "a", Targets: targets, Breaker: BreakerOptions{FailureRatio: 1.5}},
		"breaker negative":       {Name: "a", Targets: targets, Breaker: BreakerOptions{FailureRatio: 0.5, OpenFor: -1}},
		"breaker tiny window":    {Name: "a", Targets: targets, Breaker: BreakerOptions{FailureRatio: 0.5, Window: 5}},
		"breaker min open > max": {Name: "a", Targets: targets, Breaker: BreakerOptions{FailureRatio: 0.5, MinOpenFor: time.Minute, OpenFor: time.Second}},
		"breaker min open < 0":   {Name: "a", Targets: targets, Breaker: BreakerOptions{FailureRatio: 0.5, MinOpenFor: -1}},
		"retry negative":         {Name: "a", Targets: targets, Retry: RetryOptions{BudgetRatio: -0.1}},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			if s, err := New(opts); err == nil {
				s.Close()
				t.Fatalf("got no error, want one")
			}
		})
	}
}

func TestNewAppliesDefaults(t *testing.T) {
	o, err := Options{
		Name:        "a",
		DNS:         &DNSOptions{Name: "svc.local", Port: 80},
		HealthCheck: &HealthCheckOptions{},
		Breaker:     BreakerOptions{FailureRatio: 0.5},
	}.withDefaults()
	if err != nil {
		t.Fatalf("withDefaults: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"balance", o.Balance, RoundRobin},
		{"dns scheme", o.DNS.Scheme, "http"},
		{"dns refresh", o.DNS.Refresh, DefaultDNSRefresh},
		{"health path", o.HealthCheck.Path, DefaultHealthPath},
		{"health interval", o.HealthCheck.Interval, DefaultHealthInterval},
		{"health timeout", o.HealthCheck.Timeout, DefaultHealthTimeout},
		{"healthy threshold", o.HealthCheck.HealthyThreshold, DefaultHealthyThreshold},
		{"unhealthy threshold", o.HealthCheck.UnhealthyThreshold, DefaultUnhealthyThreshold},
		{"outlier off", o.Outlier.ConsecutiveFailures, 0},
		{"base ejection", o.Outlier.BaseEjection, DefaultBaseEjection},
		{"max ejected percent", o.Outlier.MaxEjectedPercent, DefaultMaxEjectedPercent},
		{"breaker min requests", o.Breaker.MinRequests, DefaultBreakerMinRequests},
		{"breaker window", o.Breaker.Window, DefaultBreakerWindow},
		{"breaker min open for", o.Breaker.MinOpenFor, DefaultBreakerMinOpenFor},
		{"breaker open for", o.Breaker.OpenFor, DefaultBreakerOpenFor},
		{"half open requests", o.Breaker.HalfOpenRequests, DefaultHalfOpenRequests},
		{"retry attempts", o.Retry.Attempts, 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestMinOpenForDefaultsToShortOpenFor(t *testing.T) {
	o, err := Options{Name: "a", Targets: mustURLs(t, "http://10.0.0.1:80"), Breaker: BreakerOptions{FailureRatio: 0.5, OpenFor: 300 * time.Millisecond}}.withDefaults()
	if err != nil {
		t.Fatalf("withDefaults: %v", err)
	}
	if got, want := o.Breaker.MinOpenFor, 300*time.Millisecond; got != want {
		t.Errorf("min open for: got %v, want open for's %v", got, want)
	}
}

func TestZeroGuardsAreOff(t *testing.T) {
	s := mustNew(t, Options{Name: "a", Targets: mustURLs(t, "http://10.0.0.1:80")})
	for range 100 {
		pickOnce(t, s, Failure)
	}
	if got := s.Snapshot(); got.Breaker != Closed || !got.Targets[0].Eligible {
		t.Fatalf("got %+v, want closed breaker and eligible target", got)
	}
	if got := s.MaxAttempts(); got != 1 {
		t.Errorf("MaxAttempts: got %d, want 1", got)
	}
	if s.AllowRetry() {
		t.Errorf("AllowRetry: got true, want false")
	}
}
