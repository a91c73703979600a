package authhttp

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/problem"
	"github.com/portico-gw/portico/internal/platform/requestid"
)

// errCSRF is a request refused by the CSRF check.
var errCSRF = problem.New(http.StatusForbidden, "csrf-check-failed", "CSRF check failed",
	"Unsafe requests must carry the "+CSRFHeader+" header and come from a trusted origin.")

var (
	// errNoVerifier refuses a route that needs a caller when the Handler
	// has no Issuer and Keys to verify internal tokens with.
	errNoVerifier = fmt.Errorf("no internal token verifier configured: %w", auth.ErrUnauthenticated)
	// errNoClaims is an authed handler reached without verified claims, a
	// bug.
	errNoClaims = errors.New("authed route reached without verified claims")
)

// problemOf returns the problem a domain error of the given code is
// answered with: one status and type per code, and as detail the error's
// safe message (auth.SafeMessage) or else a fixed sentence. Nothing else of
// the error reaches the client. Unauthenticated answers never say why: the
// credential may be missing, wrong, expired or revoked. A nil code, an
// error the domain does not classify, is internal.
func problemOf(code error, err error) *problem.Problem {
	var p *problem.Problem
	switch code {
	case auth.ErrThrottled:
		p = problem.New(http.StatusTooManyRequests, "too-many-attempts", "Too many attempts",
			"Too many failed attempts; try again after the time in Retry-After.")
	case auth.ErrBusy:
		p = problem.New(http.StatusServiceUnavailable, "busy", "Busy",
			"Too many passwords are being checked at once; try again after the time in Retry-After.")
	case auth.ErrUnavailable:
		p = problem.New(http.StatusServiceUnavailable, "dependency-unavailable", "Service unavailable",
			"A service this request depends on did not answer; try again shortly.")
	case auth.ErrUnauthenticated:
		return problem.New(http.StatusUnauthorized, "unauthenticated", "Unauthenticated",
			"The credentials are missing, wrong, expired or revoked.")
	case auth.ErrForbidden:
		p = problem.New(http.StatusForbidden, "forbidden", "Forbidden", "The caller may not do this.")
	case auth.ErrNotFound:
		p = problem.NotFound("No such resource.")
	case auth.ErrConflict:
		p = problem.New(http.StatusConflict, "conflict", "Conflict", "The request conflicts with an existing resource.")
	case auth.ErrIdempotencyKeyReused:
		p = problem.New(http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency key reused",
			"The Idempotency-Key was used before with a different request; use a new key for a new request.")
	case auth.ErrInvalid:
		p = problem.New(http.StatusBadRequest, "invalid-argument", "Invalid argument", "A field of the request is invalid.")
	default:
		return problem.Internal()
	}
	if msg := auth.SafeMessage(err); msg != "" {
		p.Detail = msg + "."
	}
	return p
}

// fail writes err as a problem document. A *problem.Problem made by this
// package is written as it is; a domain error is answered by its code (see
// problemOf). The error itself, wrap chain and all, goes only to the log,
// with the request id: at Info for a refused request, at Error for an
// internal failure.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if p, ok := errors.AsType[*problem.Problem](err); ok {
		problem.Write(w, r, &problem.Problem{Type: p.Type, Title: p.Title, Status: p.Status, Detail: p.Detail, Extensions: p.Extensions})
		return
	}
	code := auth.Code(err)
	p := problemOf(code, err)
	retry := time.Duration(-1)
	if te, ok := errors.AsType[*auth.ThrottledError](err); ok && code == auth.ErrThrottled {
		retry = te.RetryAfter
	}
	if be, ok := errors.AsType[*auth.BusyError](err); ok && code == auth.ErrBusy {
		retry = be.RetryAfter
	}
	if code == auth.ErrUnavailable {
		retry = time.Second
	}
	if retry >= 0 {
		secs := int(math.Ceil(retry.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		p = p.With("retry_after_seconds", secs)
	}
	level, msg := slog.LevelInfo, "auth request refused"
	if code == nil {
		level, msg = slog.LevelError, "auth request failed"
	}
	h.o.Logger.Log(r.Context(), level, msg, "request_id", requestid.From(r.Context()),
		"method", r.Method, "path", r.URL.Path, "status", p.Status, "error", err)
	problem.Write(w, r, p)
}
