package authhttp

import (
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

// The auth service sets and clears the session cookie but never reads it:
// the gateway alone does, and exchanges it for the internal token the /v1
// routes authenticate with. Set-Cookie passes back through the gateway.

// setSessionCookie sets the session cookie for ns (see the package
// documentation for its attributes). It lives as long as the session can;
// the server ends it sooner when it goes idle.
func (h *Handler) setSessionCookie(w http.ResponseWriter, ns auth.NewSession) {
	http.SetCookie(w, &http.Cookie{
		Name: h.cookie, Value: ns.Token, Path: "/",
		MaxAge:   max(1, int(ns.Session.ExpiresAt.Sub(ns.Session.CreatedAt)/time.Second)),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
	})
}

// clearSessionCookie tells the browser to drop the session cookie.
func (h *Handler) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: h.cookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
	})
}
