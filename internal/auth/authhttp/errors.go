package authhttp

import (
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/problem"
	"github.com/portico-gw/portico/internal/platform/requestid"
)

// errCSRF is a request refused by the CSRF check.
var errCSRF = problem.New(http.StatusForbidden, "csrf-check-failed", "CSRF check failed",
	"Unsafe requests must carry the "+CSRFHeader+" header and come from a trusted origin.")

// fail writes err as a problem document: domain errors map to their
// status, anything else is logged with the request id and answered as an
// opaque internal error.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var p *problem.Problem
	te, throttled := errors.AsType[*auth.ThrottledError](err)
	switch {
	case errors.As(err, &p):
		p = &problem.Problem{Type: p.Type, Title: p.Title, Status: p.Status, Detail: p.Detail, Extensions: p.Extensions}
	case throttled:
		secs := int(math.Ceil(te.RetryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		p = problem.New(http.StatusTooManyRequests, "too-many-attempts", "Too many attempts",
			"Too many failed attempts; try again after the time in Retry-After.").With("retry_after_seconds", secs)
	case errors.Is(err, auth.ErrUnauthenticated):
		p = problem.New(http.StatusUnauthorized, "unauthenticated", "Unauthenticated",
			"The credentials are missing, wrong, expired or revoked.")
	case errors.Is(err, auth.ErrForbidden):
		p = problem.New(http.StatusForbidden, "forbidden", "Forbidden", "The caller may not do this.")
	case errors.Is(err, auth.ErrNotFound):
		p = problem.NotFound("No such resource.")
	case errors.Is(err, auth.ErrConflict):
		p = problem.New(http.StatusConflict, "conflict", "Conflict", err.Error())
	case errors.Is(err, auth.ErrIdempotencyKeyReused):
		p = problem.New(http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency key reused",
			"The Idempotency-Key was used before with a different request; use a new key for a new request.")
	case errors.Is(err, auth.ErrInvalid):
		p = problem.New(http.StatusBadRequest, "invalid-argument", "Invalid argument", err.Error())
	default:
		h.o.Logger.ErrorContext(r.Context(), "auth request failed", "request_id", requestid.From(r.Context()),
			"method", r.Method, "path", r.URL.Path, "error", err)
		p = problem.Internal()
	}
	problem.Write(w, r, p)
}
