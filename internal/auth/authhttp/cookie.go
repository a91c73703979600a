package authhttp

import (
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

// sessionToken returns the first cookie named name whose value has the
// shape of a session token. Browsers may send several cookies of one name
// (set for different paths); ones that cannot be a token are skipped.
func sessionToken(r *http.Request, name string) (string, bool) {
	for _, c := range r.CookiesNamed(name) {
		if auth.DetectCredential(c.Value) == auth.CredentialSession {
			return c.Value, true
		}
	}
	return "", false
}

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
