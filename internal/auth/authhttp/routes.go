package authhttp

import (
	"net/http"

	"github.com/portico-gw/portico/internal/platform/problem"
	"github.com/portico-gw/portico/internal/platform/requestid"
)

type route struct {
	pattern string
	handler http.Handler
}

// routes lists every route of the API; api/auth.yaml describes the same
// set (a test checks both ways).
func (h *Handler) routes() []route {
	user := func(f func(http.ResponseWriter, *http.Request)) http.Handler { return h.browser(http.HandlerFunc(f)) }
	internal := func(f func(http.ResponseWriter, *http.Request)) http.Handler { return h.internal(http.HandlerFunc(f)) }
	return []route{
		{"POST /v1/login", user(h.login)},
		{"POST /v1/login/second-factor", user(h.loginSecondFactor)},
		{"POST /v1/logout", user(h.logout)},
		{"GET /v1/me", user(h.me)},
		{"GET /v1/sessions", user(h.listSessions)},
		{"DELETE /v1/sessions/{id}", user(h.revokeSession)},
		{"POST /v1/totp", user(h.enrolTOTP)},
		{"POST /v1/totp/confirm", user(h.confirmTOTP)},
		{"POST /v1/totp/disable", user(h.disableTOTP)},
		{"POST /v1/password/change", user(h.changePassword)},
		{"POST /v1/password/reset-request", user(h.requestReset)},
		{"POST /v1/password/reset", user(h.resetPassword)},
		{"GET /v1/orgs/{org}/api-keys", user(h.listAPIKeys)},
		{"POST /v1/orgs/{org}/api-keys", user(h.createAPIKey)},
		{"DELETE /v1/orgs/{org}/api-keys/{id}", user(h.revokeAPIKey)},
		{"GET /v1/orgs/{org}/clients", user(h.listClients)},
		{"POST /v1/orgs/{org}/clients", user(h.createClient)},
		{"DELETE /v1/orgs/{org}/clients/{id}", user(h.revokeClient)},
		{"GET /v1/orgs/{org}/audit", user(h.listAudit)},
		{"GET /v1/identities", user(h.listIdentities)},
		{"POST /v1/identities", user(h.createIdentity)},
		{"GET /v1/identities/{id}", user(h.getIdentity)},
		{"PATCH /v1/identities/{id}", user(h.patchIdentity)},
		{"POST /oauth2/token", http.HandlerFunc(h.token)},
		{"POST /oauth2/revoke", http.HandlerFunc(h.revoke)},
		{"POST /oauth2/introspect", http.HandlerFunc(h.introspect)},
		{"POST /internal/v1/exchange", internal(h.exchange)},
		{"POST /internal/v1/identities", internal(h.acceptInvitation)},
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

// errInternalRefused is a request to /internal/ that AuthorizeInternal
// refused.
var errInternalRefused = problem.New(http.StatusForbidden, "forbidden", "Forbidden",
	"Only the gateway and named services may call internal endpoints.")

// internal wraps the /internal handlers: no caching, and the
// AuthorizeInternal check.
func (h *Handler) internal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if h.o.AuthorizeInternal != nil {
			if err := h.o.AuthorizeInternal(r); err != nil {
				h.o.Logger.WarnContext(r.Context(), "internal request refused", "request_id", requestid.From(r.Context()),
					"path", r.URL.Path, "remote", r.RemoteAddr, "error", err)
				h.fail(w, r, errInternalRefused)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
