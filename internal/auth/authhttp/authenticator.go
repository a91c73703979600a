package authhttp

import (
	"fmt"
	"net/http"

	"github.com/portico-gw/portico/internal/auth"
)

// Authenticator establishes who calls a user-facing endpoint. It returns
// an error wrapping auth.ErrUnauthenticated when the request carries no
// usable credential.
type Authenticator interface {
	Authenticate(r *http.Request) (auth.Principal, error)
}

// SessionAuthenticator authenticates requests by their session cookie.
// Behind the gateway, an authenticator that verifies the forwarded
// internal token replaces it.
type SessionAuthenticator struct {
	svc    *auth.Service
	cookie string
}

// NewSessionAuthenticator returns a SessionAuthenticator for svc's
// session cookie.
func NewSessionAuthenticator(svc *auth.Service) *SessionAuthenticator {
	return &SessionAuthenticator{svc: svc, cookie: svc.Options().CookieName}
}

// Authenticate implements Authenticator.
func (a *SessionAuthenticator) Authenticate(r *http.Request) (auth.Principal, error) {
	token, ok := sessionToken(r, a.cookie)
	if !ok {
		return auth.Principal{}, fmt.Errorf("no session cookie: %w", auth.ErrUnauthenticated)
	}
	p, _, err := a.svc.AuthenticateSession(r.Context(), token)
	return p, err
}

var _ Authenticator = (*SessionAuthenticator)(nil)
