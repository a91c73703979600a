package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestValidateBuiltInCode checks configurations that were not read from a
// file: problems have paths but no positions, except a route's own.
func TestValidateBuiltInCode(t *testing.T) {
	c := mustParse(t, minimalYAML)
	if err := c.Validate(); err != nil {
		t.Fatalf("parsed config: got %v, want no error", err)
	}
	c.Routes = append(c.Routes, &Route{Name: "extra", Path: "/{a}", Service: "missing", MaxBody: MiB}, nil)
	c.Services["nil"] = nil
	c.Server.Listen = "nowhere"
	c.Server.BodyReadTimeout = 0
	c.Server.MinBodyRate = -1
	c.Server.UnderscoreHeaders = ""
	err := c.Validate()
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %T %v, want Errors", err, err)
	}
	want := map[string]bool{
		"server.listen":             true,
		"server.body_read_timeout":  true,
		"server.min_body_rate":      true,
		"server.underscore_headers": true,
		"services.nil":              true,
		"routes[1].service":         true,
		"routes[2]":                 true,
	}
	for _, e := range errs {
		if !want[e.Path] {
			t.Errorf("unexpected error %v", e)
		}
		delete(want, e.Path)
		if e.Pos != (Position{}) {
			t.Errorf("%s: got position %v, want none", e.Path, e.Pos)
		}
	}
	for p := range want {
		t.Errorf("no error for %s in\n%v", p, err)
	}
}

// TestValidateZeroConfig checks that an empty Config is reported, not a panic.
func TestValidateZeroConfig(t *testing.T) {
	err := (&Config{}).Validate()
	if err == nil {
		t.Fatal("got no error, want several")
	}
	for _, want := range []string{"version: missing", "routes: no routes", "services: no services", "server.listen:", "log.level:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got\n%v\nwant a line containing %q", err, want)
		}
	}
}

// TestValidateRouteUsesPos checks that a route error in a parsed config
// revalidated later still points at the route.
func TestValidateRouteUsesPos(t *testing.T) {
	c := mustParse(t, minimalYAML)
	c.Routes[0].Service = "gone"
	err := c.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), "test.yaml:6:5: routes[0].service: no service named \"gone\"") {
		t.Errorf("got %v, want the route's position", err)
	}
}

func TestSameListener(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{":8080", ":8080", true},
		{":8080", "127.0.0.1:8080", true},
		{"127.0.0.1:8080", "127.0.0.2:8080", false},
		{"0.0.0.0:9090", "127.0.0.1:9090", true},
		{"[::]:9090", "127.0.0.1:9090", true},
		{":0", ":0", false},
		{":8080", ":9090", false},
	}
	for _, tc := range cases {
		if got := sameListener(tc.a, tc.b); got != tc.want {
			t.Errorf("sameListener(%q, %q): got %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestCheckOrigin(t *testing.T) {
	valid := []string{"https://app.example.com", "http://localhost:5173", "http://127.0.0.1:8080", "http://[::1]:3000", "capacitor://localhost"}
	for _, o := range valid {
		if msg := checkOrigin(o); msg != "" {
			t.Errorf("%s: got %q, want valid", o, msg)
		}
	}
	invalid := []string{"https://", "://a", "https://a.com/", "HTTPS://a.com", "https://a.com:443", "https://a.com?x", "https://u@a.com", "https://::1", "1http://a", "https://a.com:0"}
	for _, o := range invalid {
		if msg := checkOrigin(o); msg == "" {
			t.Errorf("%s: got valid, want a message", o)
		}
	}
}

// TestBreakerMinOpenForDefault checks that circuit_breaker.min_open_for
// defaults to 1s, or to open_for when that is shorter, so that a short
// open_for set alone stays valid.
func TestBreakerMinOpenForDefault(t *testing.T) {
	cases := []struct {
		breaker     string
		wantMin     Duration
		wantOpenFor Duration
	}{
		{"{}", Duration(time.Second), Duration(15 * time.Second)},
		{"{open_for: 500ms}", Duration(500 * time.Millisecond), Duration(500 * time.Millisecond)},
		{"{open_for: 1m}", Duration(time.Second), Duration(time.Minute)},
		{"{min_open_for: 3s}", Duration(3 * time.Second), Duration(15 * time.Second)},
		{"{min_open_for: 15s}", Duration(15 * time.Second), Duration(15 * time.Second)},
	}
	for _, c := range cases {
		t.Run(c.breaker, func(t *testing.T) {
			yaml := strings.Replace(minimalYAML, "    targets: [http://127.0.0.1:8081]\n",
				"    targets: [http://127.0.0.1:8081]\n    circuit_breaker: "+c.breaker+"\n", 1)
			cb := mustParse(t, yaml).Services["a"].CircuitBreaker
			if cb.MinOpenFor != c.wantMin || cb.OpenFor != c.wantOpenFor {
				t.Errorf("got min_open_for %s, open_for %s; want %s, %s", cb.MinOpenFor, cb.OpenFor, c.wantMin, c.wantOpenFor)
			}
		})
	}
}
