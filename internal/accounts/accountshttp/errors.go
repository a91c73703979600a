package accountshttp

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/platform/problem"
	"github.com/portico-gw/portico/internal/platform/requestid"
)

// problemOf returns the problem a domain error of the given code is
// answered with: one status and type per code, and as detail the error's
// safe message (accounts.SafeMessage) or else a fixed sentence. Nothing
// else of the error reaches the client. A nil code, an error the domain
// does not classify, is internal.
func problemOf(code error, err error) *problem.Problem {
	var p *problem.Problem
	switch code {
	case accounts.ErrForbidden:
		p = problem.New(http.StatusForbidden, "forbidden", "Forbidden", "The caller may not do this.")
	case accounts.ErrNotFound:
		p = problem.NotFound("No such resource.")
	case accounts.ErrConflict:
		p = problem.New(http.StatusConflict, "conflict", "Conflict", "The request conflicts with an existing resource.")
	case accounts.ErrLastOwner:
		p = problem.New(http.StatusConflict, "conflict", "Conflict", "The organization must keep at least one owner.").
			With("reason", "last-owner")
	case accounts.ErrInvalid:
		p = problem.New(http.StatusBadRequest, "invalid-argument", "Invalid argument", "A field of the request is invalid.")
	case accounts.ErrGone:
		p = problem.New(http.StatusGone, "gone", "Gone", "The resource existed but can no longer be used.")
	case accounts.ErrThrottled:
		p = problem.New(http.StatusTooManyRequests, "too-many-requests", "Too many requests",
			"The request came too soon after an earlier one; try again after the time in Retry-After.")
	case accounts.ErrIdempotencyKeyReused:
		p = problem.New(http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency key reused",
			"The Idempotency-Key was used before with a different request; use a new key for a new request.")
	case accounts.ErrUnavailable:
		p = problem.New(http.StatusServiceUnavailable, "dependency-unavailable", "Service unavailable",
			"A service this request depends on did not answer; try again shortly.")
	case accounts.ErrNotSent:
		p = problem.New(http.StatusBadGateway, "mail-not-sent", "Mail not sent",
			"The change is saved but its mail could not be sent.")
	default:
		return problem.Internal()
	}
	if msg := accounts.SafeMessage(err); msg != "" {
		p.Detail = msg + "."
	}
	if reason := accounts.Reason(err); reason != "" {
		p = p.With("reason", reason)
	}
	return p
}

// retryAfterUnavailable is the Retry-After of a 503 for a dependency
// that did not answer.
const retryAfterUnavailable = 5 * time.Second

// fail writes err as a problem document. A *problem.Problem made by this
// package is written as it is; a domain error is answered by its code (see
// problemOf). The error itself, wrap chain and all, goes only to the log,
// with the request id: at Info for a refused request, at Error for an
// internal failure.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var p *problem.Problem
	code := accounts.Code(err)
	if pp, ok := errors.AsType[*problem.Problem](err); ok {
		p = &problem.Problem{Type: pp.Type, Title: pp.Title, Status: pp.Status, Detail: pp.Detail, Extensions: pp.Extensions}
		code = accounts.ErrInvalid // a refusal made here, never an internal failure
	} else {
		p = problemOf(code, err)
	}
	if pe, ok := errors.AsType[*problemExtension](err); ok {
		p = p.With(pe.key, pe.value)
	}
	retry := time.Duration(-1)
	if te, ok := errors.AsType[*accounts.ThrottledError](err); ok && code == accounts.ErrThrottled {
		retry = te.RetryAfter
	}
	if code == accounts.ErrUnavailable {
		retry = retryAfterUnavailable
	}
	if retry >= 0 {
		secs := max(1, int(math.Ceil(retry.Seconds())))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		p = p.With("retry_after_seconds", secs)
	}
	level, msg := slog.LevelInfo, "accounts request refused"
	if code == nil || p.Status >= 500 {
		// A dependency that failed (the auth service, the mailer) is as
		// much the operator's business as an internal error.
		level, msg = slog.LevelError, "accounts request failed"
	}
	h.o.Logger.Log(r.Context(), level, msg, "request_id", requestid.From(r.Context()),
		"method", r.Method, "path", r.URL.Path, "status", p.Status, "error", err)
	problem.Write(w, r, p)
}

// problemExtension adds a member to the problem its error is answered
// with, such as the ID of an invitation saved before the request failed.
type problemExtension struct {
	err   error
	key   string
	value any
}

func (e *problemExtension) Error() string { return e.err.Error() }
func (e *problemExtension) Unwrap() error { return e.err }
