package authhttp

import (
	"log/slog"
	"net"
	"net/http"
	"slices"

	"github.com/portico-gw/portico/internal/auth"
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
	// Authenticator says who calls the user-facing endpoints. Default a
	// SessionAuthenticator reading the session cookie.
	Authenticator Authenticator
	// AuthorizeInternal, when set, must return nil for a request to any
	// /internal/ endpoint (the gateway's credential exchange, the accounts
	// service's invitation acceptance) to be served; an error is answered
	// 403 and logged, so it must not carry the credential it checked.
	// Production admits only the gateway and the services named in the
	// design to /internal/ twice: by network policy, and by this hook
	// checking the caller's internal token. Default: every caller that can
	// reach the listener, which is right only when the listener is private
	// to the process, as in portico all.
	AuthorizeInternal func(r *http.Request) error
	// ClientIP returns the client address of a request, for throttling
	// and audit. Default: the host of RemoteAddr. Behind the gateway,
	// supply one that reads the address the gateway forwards.
	ClientIP func(r *http.Request) string
	// TrustedOrigins, when set, are the only Origin header values accepted
	// on unsafe /v1 requests (e.g. "https://dash.example.com").
	TrustedOrigins []string
	// MaxBodyBytes caps request bodies. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxPageLimit caps list page sizes. Default DefaultMaxPageLimit.
	MaxPageLimit int
	// Logger receives unexpected errors with the request id. Default
	// slog.Default().
	Logger *slog.Logger
}

// Handler serves the auth service's HTTP API.
type Handler struct {
	svc    *auth.Service
	o      Options
	cookie string
	mux    *http.ServeMux
}

// NewHandler returns a Handler serving svc with o.
func NewHandler(svc *auth.Service, o Options) *Handler {
	if o.Authenticator == nil {
		o.Authenticator = NewSessionAuthenticator(svc)
	}
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
	h := &Handler{svc: svc, o: o, cookie: svc.Options().CookieName, mux: http.NewServeMux()}
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
	return origin == "" || len(h.o.TrustedOrigins) == 0 || slices.Contains(h.o.TrustedOrigins, origin)
}

var _ http.Handler = (*Handler)(nil)
