package config

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// cors checks a route's CORS settings.
func (v *validator) cors(path string, c *CORS, r *Route) {
	creds := c.AllowCredentials
	if len(c.AllowOrigins) == 0 {
		v.errorf(path+".allow_origins", "missing; list the origins allowed, such as https://app.example.com")
	}
	seen := map[string]int{}
	for i, o := range c.AllowOrigins {
		p := joinIndex(path+".allow_origins", i)
		if j, dup := seen[o]; dup {
			v.errorf(p, "%q is listed twice (also %s)", o, joinIndex(path+".allow_origins", j))
			continue
		}
		seen[o] = i
		if o == "*" {
			if len(c.AllowOrigins) > 1 {
				v.errorf(p, "\"*\" allows every origin and cannot be combined with others")
			}
			if creds {
				v.errorf(p, "\"*\" cannot be used with allow_credentials: true; browsers refuse credentialed responses to any origin, so list the origins")
			}
			continue
		}
		if msg := checkOrigin(o); msg != "" {
			v.errorf(p, "%s", msg)
		}
	}
	v.corsTokens(path+".allow_methods", c.AllowMethods, creds, "method")
	for i, m := range c.AllowMethods {
		if m != "*" && len(r.Methods) > 0 && validToken(m) && !slices.Contains(r.Methods, m) {
			v.errorf(joinIndex(path+".allow_methods", i), "%s is not one of the route's methods (%s)", m, strings.Join(r.Methods, ", "))
		}
	}
	v.corsTokens(path+".allow_headers", c.AllowHeaders, creds, "header name")
	v.corsTokens(path+".expose_headers", c.ExposeHeaders, creds, "header name")
	v.positive(path+".max_age", c.MaxAge)
}

// corsTokens checks a list of methods or header names, where "*" is a
// wildcard unless credentials are allowed.
func (v *validator) corsTokens(path string, list []string, creds bool, what string) {
	for i, s := range list {
		p := joinIndex(path, i)
		switch {
		case s == "*" && creds:
			v.errorf(p, "\"*\" is taken literally when allow_credentials is true; list the %ss", what)
		case s != "*" && !validToken(s):
			v.errorf(p, "%q is not a valid %s", s, what)
		}
	}
}

// checkOrigin checks a serialised origin, scheme://host[:port], as browsers
// send it. It returns a message saying what is wrong, or "".
func checkOrigin(o string) string {
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || scheme == "" || rest == "" {
		return fmt.Sprintf("%q is not an origin; write scheme://host[:port], as in https://app.example.com", o)
	}
	if o != strings.ToLower(o) {
		return fmt.Sprintf("%q must be lower case, as browsers send origins", o)
	}
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		if !('a' <= c && c <= 'z' || i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return fmt.Sprintf("%q has an invalid scheme", o)
		}
	}
	if strings.ContainsAny(rest, "/?#@") {
		if strings.HasSuffix(rest, "/") && !strings.ContainsAny(rest[:len(rest)-1], "/?#@") {
			return fmt.Sprintf("%q must not end in a slash; an origin has no path", o)
		}
		return fmt.Sprintf("%q must be only scheme://host[:port], without path, query, fragment or user", o)
	}
	host, port := rest, ""
	if h, p, err := net.SplitHostPort(rest); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]") {
		host = rest[1 : len(rest)-1]
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return fmt.Sprintf("%q: port must be a number from 1 to 65535", o)
		}
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		return fmt.Sprintf("%q names the default port; browsers leave it out, so write %s://%s", o, scheme, strings.TrimSuffix(rest, ":"+port))
	}
	if validHostname(host) {
		return ""
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Zone() == "" && (a.Is4() || strings.HasPrefix(rest, "[")) {
		return ""
	}
	return fmt.Sprintf("%q: host %q is neither an IP address nor a host name", o, host)
}
