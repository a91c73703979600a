package identity

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/portico-gw/portico/internal/platform/problem"
)

// Problem type slugs written by Middleware.
const (
	// ProblemUnauthenticated: the request carried no bearer token.
	ProblemUnauthenticated = "unauthenticated"
	// ProblemInvalidToken: the bearer token did not verify.
	ProblemInvalidToken = "invalid-token"
	// ProblemKeysUnavailable: the signing keys could not be fetched, so
	// no token can be checked for now.
	ProblemKeysUnavailable = "keys-unavailable"
)

// keysRetryAfter is the Retry-After, in seconds, of a keys-unavailable
// answer: about one RefetchInterval at its default.
const keysRetryAfter = "10"

type claimsKey struct{}

// NewContext returns a copy of ctx carrying c.
func NewContext(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// FromContext returns the verified claims Middleware put in ctx.
func FromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}

// Middleware authenticates every request: it verifies the token in
// "Authorization: Bearer", and hands the request on with the claims in its
// context (FromContext). Without a token it answers 401 with
// "WWW-Authenticate: Bearer"; with a token that does not verify, 401 with
// `Bearer error="invalid_token"` (RFC 6750, section 3.1); when the keys
// cannot be fetched, 503. Every answer is an RFC 9457 problem whose detail
// never repeats the token or the internal error.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := BearerToken(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer`)
			problem.Write(w, r, problem.New(http.StatusUnauthorized, ProblemUnauthenticated,
				"Authentication required", "The request carries no bearer token."))
			return
		}
		c, err := v.Verify(r.Context(), token)
		if errors.Is(err, ErrKeysUnavailable) {
			w.Header().Set("Retry-After", keysRetryAfter)
			problem.Write(w, r, problem.Unavailable(ProblemKeysUnavailable,
				"The token cannot be checked right now; retry shortly."))
			return
		}
		if err != nil {
			desc := errorDescription(err)
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+desc+`"`)
			problem.Write(w, r, problem.New(http.StatusUnauthorized, ProblemInvalidToken, "Invalid token", desc+"."))
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), c)))
	})
}

// BearerToken returns the token of an "Authorization: Bearer" header
// value; the scheme is case-insensitive (RFC 9110, section 11.1).
func BearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	return token, token != ""
}

// errorDescription names the kind of failure in words safe to send: one
// of the fixed sentinel messages, never a detail taken from the token.
func errorDescription(err error) string {
	for _, e := range []error{
		ErrTooLarge, ErrMalformed, ErrAlgorithm, ErrType, ErrUnknownKey, ErrSignature,
		ErrIssuer, ErrAudience, ErrLifetime, ErrExpired, ErrNotYetValid,
	} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "token rejected"
}
