package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/gateway/router"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/problem"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// authenticator authenticates callers of a runtime's routes by
// exchanging their credentials at the auth service. A reload that leaves
// the auth block as it was keeps the authenticator, and so its exchange
// cache and auth's cached keys.
type authenticator struct {
	cfg     config.Auth // the block it was built from
	x       *authn.Exchanger
	extract authn.ExtractOptions
	// client is the pool toward auth, shared by the exchange and the
	// JWKS fetches, and the pool toward outside issuers when there are
	// any; their idle connections close when it is replaced.
	client pools
}

// reusable reports whether a can serve the auth block c unchanged.
func (a *authenticator) reusable(c *config.Auth) bool {
	return a != nil && c != nil && reflect.DeepEqual(a.cfg, *c)
}

// errNoWorkloadToken is an auth block without a workload token toward
// auth: the exchange is refused without one, so there is no running
// without it.
var errNoWorkloadToken = errors.New("no workload token toward the auth service: set auth.workload_token_file " +
	"(the path of the gateway's projected ServiceAccount token for audience " + workload.Audience(workload.Auth) +
	"), or give gateway.Options.AuthWorkloadToken; the credential exchange admits no caller without one")

func (g *Gateway) newAuthenticator(c *config.Auth) (*authenticator, error) {
	d := &net.Dialer{Timeout: c.Timeout.D(), KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		DialContext:           d.DialContext,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: c.Timeout.D(),
	}
	src := g.authToken
	if src == nil {
		if c.WorkloadTokenFile == "" {
			return nil, errNoWorkloadToken
		}
		fs := workload.NewFileSource(c.WorkloadTokenFile, 0)
		// Read once now, so that a missing file fails the start (or the
		// reload) rather than every request.
		if _, err := fs.Token(g.ctx); err != nil {
			return nil, fmt.Errorf("workload_token_file: %w", err)
		}
		src = fs
	}
	keys := g.authKeys
	if keys == nil {
		j, err := identity.NewJWKS(identity.JWKSOptions{
			URL: c.JWKSURL,
			Client: &http.Client{
				Transport:     tr,
				Timeout:       identity.DefaultFetchTimeout,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			},
		})
		if err != nil {
			return nil, fmt.Errorf("jwks_url: %w", err)
		}
		keys = j
	}
	external, issuersTr, err := externalIssuers(c)
	if err != nil {
		return nil, err
	}
	x, err := authn.New(authn.Options{
		External:      external,
		AuthURL:       c.URL,
		Issuer:        c.Issuer,
		Keys:          keys,
		WorkloadToken: src,
		Transport:     tr,
		Timeout:       c.Timeout.D(),
		CacheTTL:      c.CacheTTL.D(),
		NegativeTTL:   c.NegativeTTL.D(),
		MaxEntries:    c.MaxEntries,
		Observe: func(o authn.Outcome) {
			g.m.exchanges.WithLabelValues(o.String()).Inc()
		},
		ObserveExternal: func(issuer, result string) {
			g.m.outsideTokens.WithLabelValues(issuer, result).Inc()
		},
	})
	if err != nil {
		return nil, err
	}
	a := &authenticator{
		cfg:     *c,
		x:       x,
		extract: authn.ExtractOptions{CookieName: c.CookieName, APIKeyHeader: c.APIKeyHeader},
		client:  pools{tr},
	}
	if issuersTr != nil {
		a.client = append(a.client, issuersTr)
	}
	return a, nil
}

// policy is a compiled config.Requirement.
type policy struct {
	tenant   string
	roles    []string
	scopes   []string
	staff    bool
	audience string // "" checks none
}

func compilePolicy(r *config.Requirement) *policy {
	if r == nil {
		return &policy{}
	}
	p := &policy{tenant: r.Tenant, roles: r.Roles, scopes: r.Scopes, staff: r.Staff}
	if r.Audience != nil {
		p.audience = *r.Audience
	}
	return p
}

// verdict is a policy's answer for one caller.
type verdict uint8

const (
	allowed verdict = iota
	// forbidden: the caller may see the resource but not use the route
	// (a role, scope, audience or staff requirement fails): 403.
	forbidden
	// notMember: the route is bound to an organization the caller does
	// not belong to. It is answered 404, as an organization that does not
	// exist is, so that organization ids cannot be probed.
	notMember
)

// allows says whether the holder of c may call the route with params.
// Staff pass tenant and role checks (they act for the operator in any
// organization) but not scope checks, which bind machine credentials.
// The audience binds OAuth clients only: theirs is the one credential
// minted for a named API; sessions and API keys name none, and API keys
// are bound by scopes instead.
func (p *policy) allows(c *identity.Claims, params *router.Params) verdict {
	if p.tenant != "" && !c.Staff {
		role, member := c.Role(params.Get(p.tenant))
		if !member {
			return notMember
		}
		if len(p.roles) > 0 && !slices.Contains(p.roles, role) {
			return forbidden
		}
	}
	if p.staff && !c.Staff {
		return forbidden
	}
	if p.audience != "" && c.Kind == identity.KindClient && !c.HasResource(p.audience) {
		return forbidden
	}
	if len(p.scopes) > 0 && c.Kind != identity.KindUser {
		for _, sc := range p.scopes {
			if !c.HasScope(sc) {
				return forbidden
			}
		}
	}
	return allowed
}

// authenticate finds the caller's credential, exchanges it, checks the
// route's policy and replaces the credential with the internal token, so
// that services never see an outside credential. It returns the exchange
// and the credential it was made for, or the problem to answer with (nil
// problem and nil result: the client left).
func (g *Gateway) authenticate(ctx context.Context, a *authenticator, rte *route, r *http.Request, params *router.Params) (*authn.Result, authn.Credential, *problem.Problem, string) {
	c, ok, err := authn.Extract(r, a.extract)
	switch {
	case errors.Is(err, authn.ErrAmbiguous):
		return nil, c, problem.BadRequest("The request carries more than one credential; send one."), "ambiguous_credentials"
	case err != nil || !ok:
		return nil, c, unauthenticated(), "unauthenticated"
	}
	if c.Kind == authn.KindSession && !a.csrfPasses(r) {
		return nil, c, errCSRF, "csrf"
	}
	res, err := a.x.Exchange(ctx, c)
	if err != nil {
		switch authn.Status(err) {
		case http.StatusBadRequest, http.StatusUnauthorized:
			// Why, for whoever connects an outside issuer; the error names
			// the reason, never the credential.
			if g.log.Enabled(ctx, slog.LevelDebug) {
				g.log.DebugContext(ctx, "credential refused", "route", rte.name, "credential", c, "error", err.Error())
			}
			return nil, c, unauthenticated(), "unauthenticated"
		case authn.StatusClientClosedRequest:
			return nil, c, nil, ""
		}
		msg := "credential exchange failed"
		if errors.Is(err, authn.ErrInvalidToken) {
			// Either auth's keys cannot be had, or what answered is not
			// the auth this gateway trusts: worth telling apart in the log.
			msg = "internal token from the credential exchange refused"
		}
		g.log.WarnContext(ctx, msg, "route", rte.name, "error", err.Error())
		return nil, c, problem.Unavailable("auth-unavailable", "Authentication is unavailable; try again shortly."), "auth_unavailable"
	}
	if res.Claims == nil {
		return nil, c, errForbidden, "forbidden"
	}
	switch rte.policy.allows(res.Claims, params) {
	case forbidden:
		return nil, c, errForbidden, "forbidden"
	case notMember:
		return nil, c, errNotMember, "not_member"
	}
	stripCredentials(r, a.extract)
	r.Header["Authorization"] = []string{"Bearer " + res.Token}
	return &res, c, nil, ""
}

var (
	errForbidden = problem.New(http.StatusForbidden, "forbidden", "Forbidden", "The caller may not use this route.")
	errNotMember = problem.NotFound("No such organization, or the caller is not one of its members.")
)

// errCSRF is an unsafe request that the session cookie authenticates
// without the CSRF header, or from an untrusted origin.
var errCSRF = problem.New(http.StatusForbidden, "csrf-check-failed", "CSRF check failed",
	"Unsafe requests signed in with the session cookie must carry the CSRF header and come from a trusted origin.")

// csrfPasses reports whether r, authenticated by the session cookie, may
// go on: a safe method, or the CSRF header with any value and no Origin
// or a trusted one. Checked before the exchange, so a forged request costs
// no call to auth. Bearer tokens and API keys need no check: a browser
// never adds them on its own.
func (a *authenticator) csrfPasses(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	if r.Header.Get(a.cfg.CSRFHeader) == "" {
		return false
	}
	origins := r.Header.Values("Origin")
	switch len(origins) {
	case 0:
		return true
	case 1:
		return slices.Contains(a.cfg.TrustedOrigins, origins[0])
	}
	return false
}

// answered sees the header of a 2xx answer to a request authenticated
// with c, before it is sent. When the answer clears the session cookie,
// the service behind it has ended the session (auth's logout does), so
// c's cached exchange is dropped and the next request with c asks auth,
// instead of being served from the cache for up to auth.cache_ttl.
func (a *authenticator) answered(c authn.Credential, h http.Header) {
	if lines := h["Set-Cookie"]; len(lines) > 0 && clearsCookie(lines, a.cookieName(), time.Now) {
		a.x.Invalidate(c)
	}
}

func (a *authenticator) cookieName() string {
	if a.extract.CookieName == "" {
		return authn.DefaultCookieName
	}
	return a.extract.CookieName
}

// clearsCookie reports whether one of the Set-Cookie lines deletes the
// cookie name: a Max-Age of zero or less, or, without Max-Age, an Expires
// not after now (RFC 6265 §5.2.2, §5.3). Only lines that start with name
// are parsed, so that an answer setting other cookies allocates nothing.
func clearsCookie(lines []string, name string, now func() time.Time) bool {
	for _, line := range lines {
		if !strings.HasPrefix(line, name) {
			continue
		}
		ck, err := http.ParseSetCookie(line)
		if err != nil || ck.Name != name {
			continue
		}
		if ck.MaxAge < 0 || (ck.MaxAge == 0 && !ck.Expires.IsZero() && !ck.Expires.After(now())) {
			return true
		}
	}
	return false
}

func unauthenticated() *problem.Problem {
	return problem.New(http.StatusUnauthorized, "unauthenticated", "Unauthenticated",
		"The credentials are missing, wrong, expired or revoked.")
}

// stripCredentials removes the caller's own credentials: Authorization,
// the API key header and the session cookie (other cookies stay).
func stripCredentials(r *http.Request, o authn.ExtractOptions) {
	delete(r.Header, "Authorization")
	if o.APIKeyHeader != "" {
		r.Header.Del(o.APIKeyHeader)
	}
	cookies := r.Header["Cookie"]
	if len(cookies) == 0 {
		return
	}
	name := o.CookieName
	if name == "" {
		name = authn.DefaultCookieName
	}
	var kept []string
	for _, line := range cookies {
		for part := range strings.SplitSeq(line, ";") {
			p := strings.TrimSpace(part)
			if p == "" || strings.HasPrefix(p, name+"=") {
				continue
			}
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		delete(r.Header, "Cookie")
		return
	}
	r.Header["Cookie"] = []string{strings.Join(kept, "; ")}
}
