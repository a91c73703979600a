package authn

import (
	"context"
	"errors"
	"net/http"
)

// Errors of Extract and Exchange; test with errors.Is. Status maps them
// to the status the gateway answers.
var (
	// ErrAmbiguous is a request that carries two different credentials
	// (say a session cookie and a bearer token): the gateway does not
	// guess which one the client meant (RFC 6750, section 3.1).
	ErrAmbiguous = errors.New("more than one credential")
	// ErrMalformed is a credential that cannot be one: an unsupported
	// Authorization scheme, a value of the wrong syntax or length.
	ErrMalformed = errors.New("malformed credential")
	// ErrUnauthenticated is a credential auth refuses: unknown, expired,
	// revoked, or of a disabled identity or client.
	ErrUnauthenticated = errors.New("credential refused")
	// ErrUnavailable is an exchange that could not be done: auth answered
	// 5xx or something unexpected, or did not answer in time. It is never
	// the client's fault, so the gateway never answers it 401.
	ErrUnavailable = errors.New("auth unavailable")
	// ErrInvalidToken is an internal token from the exchange that does not
	// verify (signature, issuer, audience, type, expiry, or a key the JWKS
	// does not hold), or that cannot be checked because auth's keys cannot
	// be fetched. It always comes with ErrUnavailable: what answered is
	// not an auth the gateway trusts, which is no verdict on the caller.
	ErrInvalidToken = errors.New("internal token refused")
)

// StatusClientClosedRequest is the status of a request whose client went
// away before the exchange ended (nginx's 499).
const StatusClientClosedRequest = 499

// Status returns the status the gateway answers for an error of Extract
// or Exchange: 400 for ErrAmbiguous, 401 for ErrMalformed and
// ErrUnauthenticated, 499 when the request's context was canceled, and
// 503 for everything else (ErrUnavailable, a deadline, anything
// unexpected), so that only a refused credential ever reads as 401.
func Status(err error) int {
	switch {
	case errors.Is(err, ErrAmbiguous):
		return http.StatusBadRequest
	case errors.Is(err, ErrMalformed), errors.Is(err, ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		return StatusClientClosedRequest
	}
	return http.StatusServiceUnavailable
}
