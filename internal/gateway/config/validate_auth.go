package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"github.com/portico-gw/portico/internal/gateway/router"
)

// identityHeaderPrefix marks the headers that carry identity from the
// gateway to services; the gateway strips a client's copies.
const identityHeaderPrefix = "X-Portico-"

// auth checks the top-level auth block, when present.
func (v *validator) auth() {
	a := v.c.Auth
	if a == nil {
		return
	}
	urlOK := false
	if a.URL == "" {
		v.errorf("auth.url", "missing; give the auth service's base URL, such as http://127.0.0.1:8081")
	} else if msg := checkHTTPURL(a.URL, true); msg != "" {
		v.errorf("auth.url", "%s", msg)
	} else {
		urlOK = true
	}
	if a.Issuer == "" {
		v.errorf("auth.issuer", "missing; give the auth service's issuer, the iss of its internal tokens "+
			"(such as https://auth.example.com; in portico all, the gateway's public URL)")
	} else if msg := checkHTTPURL(a.Issuer, true); msg != "" {
		v.errorf("auth.issuer", "%s", msg)
	}
	switch {
	case a.JWKSURL == "":
		// Only a configuration built in code can get here: Parse
		// derives it from url.
		if urlOK {
			v.errorf("auth.jwks_url", "missing; the auth service publishes its keys at %s", DefaultAuthJWKSURL(a.URL))
		}
	case !urlOK && a.JWKSURL == DefaultAuthJWKSURL(a.URL):
		// Derived from a bad url, which is reported already.
	default:
		if msg := checkHTTPURL(a.JWKSURL, true); msg != "" {
			v.errorf("auth.jwks_url", "%s", msg)
		}
	}
	if f := a.WorkloadTokenFile; f != "" {
		switch {
		case strings.ContainsRune(f, 0):
			v.errorf("auth.workload_token_file", "must not contain a NUL byte")
		case !filepath.IsAbs(f):
			v.errorf("auth.workload_token_file", "%q is not an absolute path; give the full path of the projected token, "+
				"such as /var/run/secrets/portico/auth/token", f)
		}
	}
	if !validToken(a.CookieName) {
		v.errorf("auth.cookie_name", "%q is not a valid cookie name (an HTTP token: letters, digits and !#$%%&'*+-.^_`|~)", a.CookieName)
	}
	if a.APIKeyHeader != "" {
		v.apiKeyHeader("auth.api_key_header", a.APIKeyHeader)
	}
	if c := canonicalHeader(a.CSRFHeader); !validToken(a.CSRFHeader) || slices.Contains(forbiddenHeaders, c) ||
		c == "Cookie" || c == "Authorization" || c == "Origin" || strings.HasPrefix(c, identityHeaderPrefix) {
		v.errorf("auth.csrf_header", "%q cannot be the CSRF header: name a header only scripts of the dashboard send, such as Portico-CSRF", a.CSRFHeader)
	}
	for i, o := range a.TrustedOrigins {
		if got, ok := originOf(o); !ok || got != o {
			v.errorf(fmt.Sprintf("auth.trusted_origins[%d]", i), "%q is not an origin: scheme://host[:port], lower case, no path", o)
		}
	}
	v.positive("auth.cache_ttl", a.CacheTTL)
	v.positive("auth.negative_ttl", a.NegativeTTL)
	v.positive("auth.timeout", a.Timeout)
	if a.MaxEntries < 1 {
		v.errorf("auth.max_entries", "must be at least 1")
	}
	v.issuers(a)
}

// apiKeyHeader checks the header that may carry API keys.
func (v *validator) apiKeyHeader(path, h string) {
	c := canonicalHeader(h)
	switch {
	case !validToken(h):
		v.errorf(path, "%q is not a valid header name", h)
	case slices.Contains(forbiddenHeaders, c):
		v.errorf(path, "%s is managed by the proxy (message framing and connections) and cannot carry API keys", h)
	case c == "Authorization":
		v.errorf(path, "Authorization is always read for bearer tokens and API keys; leave api_key_header out, or name another header such as X-API-Key")
	case c == "Proxy-Authorization":
		v.errorf(path, "Proxy-Authorization is meant for the next proxy, not the gateway; name another header such as X-API-Key")
	case c == "Cookie":
		v.errorf(path, "Cookie carries the session (auth.cookie_name); name another header such as X-API-Key")
	case strings.HasPrefix(c, identityHeaderPrefix):
		v.errorf(path, "%s is stripped from clients, as every %s* header is (only the gateway sets them); name another header such as X-API-Key", h, identityHeaderPrefix)
	}
}

// access checks a route's public and require keys; t is the route's
// parsed path template, or nil when its path is invalid.
func (v *validator) access(path string, r *Route, t *router.Template) {
	q := r.Require
	if q == nil {
		return
	}
	rpath := path + ".require"
	if v.c.Auth == nil {
		v.errorf(rpath, "require needs the top-level auth block; add auth with the auth service's url, or remove require")
	}
	if r.Public {
		v.errorf(rpath, "cannot be combined with public: true, which admits anyone without authentication; remove one of them")
	}
	if q.Tenant == "" && q.Roles == nil && q.Scopes == nil && !q.Staff && q.Audience == nil {
		v.errorf(rpath, "empty; leave require out to require only authentication")
		return
	}
	if q.Tenant != "" {
		v.tenant(rpath+".tenant", q.Tenant, t)
	}
	if q.Roles != nil {
		v.roles(rpath+".roles", q.Roles, q.Tenant != "")
	}
	if q.Scopes != nil {
		v.scopes(rpath+".scopes", q.Scopes)
	}
	if q.Audience != nil && !validAudience(*q.Audience) {
		v.errorf(rpath+".audience", "%q is not an audience; use printable ASCII without spaces, as in https://api.example.com/billing", *q.Audience)
	}
}

// validAudience reports whether a is an audience auth can mint tokens
// for: printable ASCII without spaces (a resource URI or a plain name).
func validAudience(a string) bool {
	for i := 0; i < len(a); i++ {
		if a[i] <= ' ' || a[i] > '~' {
			return false
		}
	}
	return a != ""
}

// tenant checks that name is a single-segment parameter of the route's
// path template t (nil when the path is invalid, reported elsewhere).
func (v *validator) tenant(path, name string, t *router.Template) {
	if inner, ok := strings.CutPrefix(name, "{"); ok {
		inner = strings.TrimSuffix(strings.TrimSuffix(inner, "}"), "...")
		v.errorf(path, "%q: write the path parameter's name without braces, as in tenant: %s", name, inner)
		return
	}
	if t == nil {
		return
	}
	params := t.Params()
	switch {
	case t.HasWildcard() && name == t.WildcardName():
		v.errorf(path, "{%s...} is the wildcard of the route path %q and may span several segments; name a parameter that holds one organization id", name, t.String())
	case !slices.Contains(params, name):
		single := make([]string, 0, len(params))
		for _, p := range params {
			if !t.HasWildcard() || p != t.WildcardName() {
				single = append(single, "{"+p+"}")
			}
		}
		if len(single) == 0 {
			v.errorf(path, "%q is not a path parameter: the route path %q has none to hold an organization id", name, t.String())
			return
		}
		v.errorf(path, "%q is not a path parameter of the route path %q; it defines %s", name, t.String(), strings.Join(single, ", "))
	}
}

// roles checks a requirement's roles; withTenant says whether the
// requirement names the organization they are held in.
func (v *validator) roles(path string, roles []string, withTenant bool) {
	if len(roles) == 0 {
		v.errorf(path, "empty list; list the roles admitted, or leave roles out to admit every member")
		return
	}
	if !withTenant {
		v.errorf(path, "roles need tenant: a role is held in an organization, so name the path parameter holding its id")
	}
	v.nameList(path, roles, validRole,
		"is not a role name; use lower-case letters, digits, '_' and '-', starting with a letter (owner, admin, editor, viewer)")
}

// scopes checks a requirement's scopes.
func (v *validator) scopes(path string, scopes []string) {
	if len(scopes) == 0 {
		v.errorf(path, "empty list; list the scopes required, or leave scopes out")
		return
	}
	v.nameList(path, scopes, validScope, "is not a scope; use letters, digits, ':', '.', '_' and '-'")
}

// nameList checks each name of a list: not empty, valid, not repeated.
// bad completes the message for an invalid name.
func (v *validator) nameList(path string, names []string, valid func(string) bool, bad string) {
	seen := map[string]int{}
	for i, n := range names {
		p := joinIndex(path, i)
		switch {
		case n == "":
			v.errorf(p, "must not be empty")
			continue
		case !valid(n):
			v.errorf(p, "%q %s", n, bad)
			continue
		}
		if j, dup := seen[n]; dup {
			v.errorf(p, "%q is listed twice (also %s)", n, joinIndex(path, j))
			continue
		}
		seen[n] = i
	}
}

// validRole reports whether s is a role name: lower-case ASCII letters,
// digits, '_' and '-', starting with a letter.
func validRole(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validScope reports whether s is a scope: ASCII letters, digits, ':',
// '.', '_' and '-'.
func validScope(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(":._-", c) >= 0) {
			return false
		}
	}
	return true
}

// originOf returns the origin of an absolute http(s) URL, scheme://host
// with the port only when it is not the scheme's default, in lower case;
// ok is false for anything else.
func originOf(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", false
	}
	host := strings.ToLower(u.Host)
	if p := u.Port(); (u.Scheme == "http" && p == "80") || (u.Scheme == "https" && p == "443") {
		host = strings.ToLower(u.Hostname())
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	return u.Scheme + "://" + host, true
}
