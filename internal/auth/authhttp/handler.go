package authhttp

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// Defaults of Options.
const (
	// DefaultMaxBodyBytes caps request bodies: 64 KiB.
	DefaultMaxBodyBytes = 64 << 10
	// DefaultMaxPageLimit caps the limit query parameter of lists.
	DefaultMaxPageLimit = 100
	// CSRFHeader must be present on unsafe /v1 requests.
	CSRFHeader = "Portico-CSRF"
)

// Options configure a Handler. The zero value of each field is the
// default its comment names.
type Options struct {
	// Issuer is the auth service's own issuer URL, the "iss" of the
	// internal tokens the gateway forwards to the /v1 routes that need a
	// caller, and Keys are their public keys: the signing manager itself in
	// process (*signing.Manager is an identity.KeySource). The two go
	// together; NewHandler panics when only one is set. Without them every
	// request to such a route is answered 401.
	Issuer string
	Keys   identity.KeySource
	// Workload admits callers of the /internal/ endpoints: the gateway to
	// the credential exchange, the accounts service to identity creation.
	// Default: a Guard that trusts no workload issuer and refuses every
	// call. There is no open mode.
	Workload *workload.Guard
	// JWKS serves the signing keys' JWK Set at GET /.well-known/jwks.json,
	// and Discovery the OpenID discovery document at
	// GET /.well-known/openid-configuration (the signing package makes
	// both). Default: 404.
	JWKS, Discovery http.Handler
	// ClientIP returns the client address of a request, for throttling
	// and audit. Default: the host of RemoteAddr. Behind the gateway,
	// supply one that reads the address the gateway forwards.
	ClientIP func(r *http.Request) string
	// TrustedOrigins are the only Origin header values accepted on unsafe
	// /v1 requests (e.g. "https://dash.example.com"), each an origin as
	// ParseOrigin reads it. Default: the origin of Issuer, the public URL
	// the dashboard is served from; with neither, an unsafe request with
	// an Origin header is refused. A request without Origin (a client
	// that is not a browser) is not checked against them.
	TrustedOrigins []string
	// MaxBodyBytes caps request bodies. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxPageLimit caps list page sizes. Default DefaultMaxPageLimit.
	MaxPageLimit int
	// Logger receives refused and failed requests with the request id.
	// Default slog.Default().
	Logger *slog.Logger
}

// Handler serves the auth service's HTTP API.
type Handler struct {
	svc    *auth.Service
	o      Options
	cookie string
	// tokens verifies the internal tokens of /v1 routes that need a
	// caller; nil refuses them all.
	tokens *identity.Verifier
	mux    *http.ServeMux
}

// NewHandler returns a Handler serving svc with o. It panics when o sets
// only one of Issuer and Keys, a configuration error that must stop the
// start.
func NewHandler(svc *auth.Service, o Options) *Handler {
	if o.ClientIP == nil {
		o.ClientIP = remoteIP
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxPageLimit == 0 {
		o.MaxPageLimit = DefaultMaxPageLimit
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if len(o.TrustedOrigins) == 0 && o.Issuer != "" {
		if origin, err := ParseOrigin(o.Issuer); err == nil {
			o.TrustedOrigins = []string{origin}
		}
	}
	if o.Workload == nil {
		g, err := workload.NewGuard(workload.GuardOptions{Name: workload.Auth, Logger: o.Logger})
		if err != nil {
			panic(fmt.Sprintf("authhttp: %v", err)) // a guard with a name and no issuer cannot fail
		}
		o.Workload = g
	}
	h := &Handler{svc: svc, o: o, cookie: svc.Options().CookieName, mux: http.NewServeMux()}
	if o.Issuer != "" || o.Keys != nil {
		v, err := identity.NewVerifier(identity.VerifierOptions{
			Keys:     o.Keys,
			Issuer:   o.Issuer,
			Audience: identity.InternalAudience,
			// The internal tokens of the exchange live minutes.
			MaxLifetime: identity.DefaultMaxLifetime,
			Now:         svc.Options().Now,
		})
		if err != nil {
			panic(fmt.Sprintf("authhttp: internal tokens: %v", err))
		}
		h.tokens = v
	}
	for _, rt := range h.routes() {
		h.mux.Handle(rt.pattern, rt.handler)
	}
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// checkCSRF enforces the CSRF rule of the package documentation.
func (h *Handler) checkCSRF(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	if r.Header.Get(CSRFHeader) == "" {
		return false
	}
	origin := r.Header.Get("Origin")
	return origin == "" || slices.Contains(h.o.TrustedOrigins, origin)
}

// ParseOrigin returns the origin of an absolute http or https URL as
// browsers write it in the Origin header (RFC 6454): scheme and host in
// lower case, the port only when it is not the scheme's default, no path.
func ParseOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("origin %q: want an absolute http or https URL such as https://dash.example.com", s)
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

var _ http.Handler = (*Handler)(nil)
