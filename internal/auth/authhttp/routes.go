package authhttp

import (
	"errors"
	"net/http"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/problem"
	"github.com/portico-gw/portico/internal/platform/workload"
)

type route struct {
	pattern string
	handler http.Handler
}

// routes lists every route of the component; api/auth.yaml describes the
// same set (a test checks both ways). Each route says who may call it:
// public (no caller, or OAuth 2.0 client authentication of its own),
// authed (a person, from the gateway's internal token), internal (the named
// workloads) or document (anyone).
func (h *Handler) routes() []route {
	public := func(f http.HandlerFunc) http.Handler { return h.browser(f) }
	authed := h.authed
	return []route{
		{"POST /v1/login", public(h.login)},
		{"POST /v1/login/second-factor", public(h.loginSecondFactor)},
		{"POST /v1/password/reset-request", public(h.requestReset)},
		{"POST /v1/password/reset", public(h.resetPassword)},

		{"POST /v1/logout", authed(h.logout)},
		{"GET /v1/me", authed(h.me)},
		{"GET /v1/sessions", authed(h.listSessions)},
		{"DELETE /v1/sessions/{id}", authed(h.revokeSession)},
		{"POST /v1/totp", authed(h.enrolTOTP)},
		{"POST /v1/totp/confirm", authed(h.confirmTOTP)},
		{"POST /v1/totp/disable", authed(h.disableTOTP)},
		{"POST /v1/password/change", authed(h.changePassword)},
		{"GET /v1/orgs/{org}/api-keys", authed(h.listAPIKeys)},
		{"POST /v1/orgs/{org}/api-keys", authed(h.createAPIKey)},
		{"DELETE /v1/orgs/{org}/api-keys/{id}", authed(h.revokeAPIKey)},
		{"GET /v1/orgs/{org}/clients", authed(h.listClients)},
		{"POST /v1/orgs/{org}/clients", authed(h.createClient)},
		{"DELETE /v1/orgs/{org}/clients/{id}", authed(h.revokeClient)},
		{"GET /v1/orgs/{org}/audit", authed(h.listAudit)},
		{"GET /v1/identities", authed(h.listIdentities)},
		{"POST /v1/identities", authed(h.createIdentity)},
		{"GET /v1/identities/{id}", authed(h.getIdentity)},
		{"PATCH /v1/identities/{id}", authed(h.patchIdentity)},

		{"POST /oauth2/token", http.HandlerFunc(h.token)},
		{"POST /oauth2/revoke", http.HandlerFunc(h.revoke)},
		{"POST /oauth2/introspect", http.HandlerFunc(h.introspect)},

		{"POST /internal/v1/exchange", h.internal(h.exchange, workload.Gateway)},
		{"POST /internal/v1/identities", h.internal(h.acceptInvitation, workload.Accounts)},

		{"GET /.well-known/jwks.json", document(h.o.JWKS)},
		{"GET /.well-known/openid-configuration", document(h.o.Discovery)},
	}
}

// browser wraps the /v1 handlers: no caching, and the CSRF check.
func (h *Handler) browser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if !h.checkCSRF(r) {
			h.fail(w, r, errCSRF)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// internal wraps the /internal handlers: no caching, and only the named
// callers, by their workload tokens.
func (h *Handler) internal(f http.HandlerFunc, callers ...string) http.Handler {
	admitted := h.o.Workload.Admit(f, callers...)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		admitted.ServeHTTP(w, r)
	})
}

// document serves one of the signing keys' public documents, or 404 when
// the Handler was given none.
func document(d http.Handler) http.Handler {
	if d != nil {
		return d
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, r, problem.NotFound("This auth service publishes no such document."))
	})
}

// authed wraps the handler of a /v1 route that needs a caller, after the
// browser checks: the internal token the gateway forwards in
// "Authorization: Bearer" must verify (401 without one or with one that
// does not, 503 while the keys cannot be read; see
// identity.Verifier.Middleware), and its claims must name a person whose
// session is still active (auth.Service.AuthenticateToken: 401 once it has
// ended, 403 for machine callers). Only then does f run, with that
// principal.
func (h *Handler) authed(f func(http.ResponseWriter, *http.Request, auth.Principal)) http.Handler {
	withPrincipal := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := identity.FromContext(r.Context())
		if !ok {
			h.fail(w, r, errNoClaims)
			return
		}
		p, err := h.svc.AuthenticateToken(r.Context(), c)
		if err != nil {
			if errors.Is(err, auth.ErrUnauthenticated) {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="session ended"`)
			}
			h.fail(w, r, err)
			return
		}
		f(w, r, p)
	})
	if h.tokens == nil {
		return h.browser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", "Bearer")
			h.fail(w, r, errNoVerifier)
		}))
	}
	return h.browser(h.tokens.Middleware(withPrincipal))
}
