package config

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// Version is the only configuration format version.
const Version = 1

// Validate checks a configuration, decoded or built in code, against every
// rule and returns Errors holding all problems, or nil. It does not apply
// defaults: a Config built in code must set what Parse would have filled.
// Errors carry positions only for configurations that Parse read, and then
// only when Parse itself validates; later calls report paths alone, plus
// the route positions recorded in Route.Pos.
func (c *Config) Validate() error {
	return validate(c, nil)
}

// validator collects the problems of one configuration.
type validator struct {
	c    *Config
	pos  positions
	errs Errors
}

func validate(c *Config, pos positions) error {
	v := &validator{c: c, pos: pos}
	v.top()
	v.server()
	v.admin()
	v.logging()
	v.tracing()
	v.auth()
	v.services()
	v.routes()
	v.rateLimits()
	v.tls()
	return v.errs.err()
}

// errorf records a problem with the key at path.
func (v *validator) errorf(path, format string, args ...any) {
	v.errs = append(v.errs, Error{Pos: v.where(path), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// where returns the position of path, or of its nearest ancestor in the
// file, falling back to the recorded position of the route it belongs to.
func (v *validator) where(path string) Position {
	if p := v.pos.lookup(path); p.Line > 0 {
		return p
	}
	rest, ok := strings.CutPrefix(path, "routes[")
	if !ok {
		return Position{}
	}
	num, _, _ := strings.Cut(rest, "]")
	if i, err := strconv.Atoi(num); err == nil && i >= 0 && i < len(v.c.Routes) && v.c.Routes[i] != nil {
		return v.c.Routes[i].Pos
	}
	return Position{}
}

func (v *validator) top() {
	if v.c.Version != Version {
		if v.c.Version == 0 {
			v.errorf("version", "missing; set version: %d", Version)
		} else {
			v.errorf("version", "unsupported version %d; the only version is %d", v.c.Version, Version)
		}
	}
	if len(v.c.Routes) == 0 {
		v.errorf("routes", "no routes; at least one is needed to serve anything")
	}
	if len(v.c.Services) == 0 && !onlyStatic(v.c.Routes) {
		v.errorf("services", "no services; at least one is needed for routes to send requests to")
	}
}

func (v *validator) server() {
	s := &v.c.Server
	v.listen("server.listen", s.Listen)
	v.positive("server.read_header_timeout", s.ReadHeaderTimeout)
	v.positive("server.idle_timeout", s.IdleTimeout)
	v.positive("server.shutdown_grace", s.ShutdownGrace)
	if s.IdleTimeout > 0 && s.ReadHeaderTimeout > s.IdleTimeout {
		v.errorf("server.read_header_timeout", "%s is longer than server.idle_timeout (%s); an idle keep-alive connection is closed before the next request's headers may time out",
			v.value("server.read_header_timeout", s.ReadHeaderTimeout), s.IdleTimeout)
	}
	if s.ReadTimeout > 0 && s.ReadHeaderTimeout > s.ReadTimeout {
		v.errorf("server.read_header_timeout", "%s is longer than server.read_timeout (%s), which already bounds reading the headers",
			v.value("server.read_header_timeout", s.ReadHeaderTimeout), s.ReadTimeout)
	}
	if s.MaxConnections < 0 {
		v.errorf("server.max_connections", "must not be negative; 0 means no cap")
	}
	v.positiveSize("server.max_request_line", s.MaxRequestLine)
	v.positiveSize("server.max_header_bytes", s.MaxHeaderBytes)
	v.positiveSize("server.max_body", s.MaxBody)
	if s.MaxRequestLine > s.MaxHeaderBytes {
		v.errorf("server.max_request_line", "%s exceeds server.max_header_bytes (%s), which includes the request line",
			v.value("server.max_request_line", s.MaxRequestLine), s.MaxHeaderBytes)
	}
	if s.MaxHeaderCount <= 0 {
		v.errorf("server.max_header_count", "must be at least 1")
	}
	v.positive("server.body_read_timeout", s.BodyReadTimeout)
	if s.MinBodyRate < 0 {
		v.errorf("server.min_body_rate", "must not be negative; 0 turns the check off")
	}
	switch s.UnderscoreHeaders {
	case UnderscoreDrop, UnderscoreReject, UnderscorePass:
	default:
		v.errorf("server.underscore_headers", "unknown value %q; use %s, %s or %s%s", s.UnderscoreHeaders,
			UnderscoreDrop, UnderscoreReject, UnderscorePass,
			didYouMean(s.UnderscoreHeaders, []string{UnderscoreDrop, UnderscoreReject, UnderscorePass}))
	}
	seen := map[netip.Prefix]int{}
	for i, p := range s.TrustedProxies {
		path := joinIndex("server.trusted_proxies", i)
		pfx, ok := v.prefix(path, p)
		if !ok {
			continue
		}
		if j, dup := seen[pfx]; dup {
			v.errorf(path, "%s is listed twice (also server.trusted_proxies[%d])", p, j)
			continue
		}
		seen[pfx] = i
	}
}

// prefix parses a trusted proxy as a CIDR or a single address.
func (v *validator) prefix(path, s string) (netip.Prefix, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			v.errorf(path, "%q: zones are not allowed", s)
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		v.errorf(path, "%q is neither an IP address nor a CIDR such as 10.0.0.0/8", s)
		return netip.Prefix{}, false
	}
	if p.Masked() != p {
		v.errorf(path, "%q has bits set beyond its prefix length; did you mean %s?", s, p.Masked())
		return netip.Prefix{}, false
	}
	return p, true
}

func (v *validator) admin() {
	a := v.c.Admin.Listen
	if a == AdminOff {
		return
	}
	if !v.listen("admin.listen", a) {
		return
	}
	if sameListener(a, v.c.Server.Listen) {
		v.errorf("admin.listen", "%q is also server.listen; the admin listener needs its own port (or %q)", a, AdminOff)
	}
}

// sameListener reports whether two valid listen addresses would bind the
// same port on overlapping hosts; port 0 picks a free port and never clashes.
func sameListener(a, b string) bool {
	ah, ap, _ := splitHostPort(a)
	bh, bp, _ := splitHostPort(b)
	if ap != bp || ap == "0" {
		return false
	}
	return ah == bh || ah == "" || bh == "" || ah == "0.0.0.0" || bh == "0.0.0.0" || ah == "::" || bh == "::"
}

func (v *validator) logging() {
	switch v.c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		v.errorf("log.level", "unknown level %q; use debug, info, warn or error%s", v.c.Log.Level,
			didYouMean(v.c.Log.Level, []string{"debug", "info", "warn", "error"}))
	}
	switch v.c.Log.Format {
	case "json", "text":
	default:
		v.errorf("log.format", "unknown format %q; use json or text", v.c.Log.Format)
	}
}

func (v *validator) tracing() {
	t := &v.c.Tracing
	if t.OTLPEndpoint != "" {
		if msg := checkHTTPURL(t.OTLPEndpoint, true); msg != "" {
			v.errorf("tracing.otlp_endpoint", "%s", msg)
		}
	}
	if r := t.SampleRatio; r != nil && !inUnit(*r) {
		v.errorf("tracing.sample_ratio", "%v is outside [0, 1]", *r)
	}
	if strings.TrimSpace(t.ServiceName) == "" {
		v.errorf("tracing.service_name", "must not be blank")
	}
}

// value describes the value at path for a message, saying when it is a
// default rather than written in the file, so the reader knows to add it.
func (v *validator) value(path string, x fmt.Stringer) string {
	if v.pos != nil {
		if _, ok := v.pos[path]; !ok {
			return "the default " + x.String() + " (set it explicitly)"
		}
	}
	return x.String()
}

// onlyStatic reports whether every route serves files, so that no service
// is needed.
func onlyStatic(routes []*Route) bool {
	for _, r := range routes {
		if r == nil || r.Static == nil {
			return false
		}
	}
	return len(routes) > 0
}

// inUnit reports whether f is in [0, 1].
func inUnit(f float64) bool { return !math.IsNaN(f) && f >= 0 && f <= 1 }

// positive reports a duration that is not positive; durations are never
// negative once decoded, so this catches configurations built in code.
func (v *validator) positive(path string, d Duration) bool {
	if d <= 0 {
		v.errorf(path, "must be a positive duration")
		return false
	}
	return true
}

// positiveSize reports a size that is not positive.
func (v *validator) positiveSize(path string, s Size) bool {
	if s <= 0 {
		v.errorf(path, "must be a positive size")
		return false
	}
	return true
}
