package configshttp

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/problem"
	"github.com/portico-gw/portico/internal/platform/requestid"
)

// problemOf returns the problem a domain error of the given code is
// answered with: one status and type per code, and as detail the error's
// safe message (configs.SafeMessage) or else a fixed sentence, with the
// error's field errors, if any, in the "errors" extension. Nothing else of
// the error reaches the client. A nil code, an error the domain does not
// classify, is internal.
func problemOf(code error, err error) *problem.Problem {
	var p *problem.Problem
	switch code {
	case configs.ErrForbidden:
		p = problem.New(http.StatusForbidden, "forbidden", "Forbidden", "The caller may not do this.")
	case configs.ErrNotFound:
		p = problem.NotFound("No such resource.")
	case configs.ErrConflict:
		p = problem.New(http.StatusConflict, "conflict", "Conflict", "The request conflicts with the current state.")
	case configs.ErrStale:
		p = problem.New(http.StatusPreconditionFailed, "precondition-failed", "Precondition failed",
			"The resource changed since the version named in If-Match.")
	case configs.ErrInvalidDocument:
		p = problem.New(http.StatusUnprocessableEntity, "invalid-settings", "Invalid settings document",
			"The settings document is not valid; see errors.")
	case configs.ErrIdempotencyKeyReused:
		p = problem.New(http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency key reused",
			"The idempotency key was used with another request.")
	case configs.ErrInvalid:
		p = problem.New(http.StatusBadRequest, "invalid-argument", "Invalid argument", "A field of the request is invalid.")
	default:
		return problem.Internal()
	}
	if msg := configs.SafeMessage(err); msg != "" {
		p.Detail = msg + "."
	}
	if e, ok := errors.AsType[*configs.Error](err); ok && len(e.Fields) > 0 {
		p.With("errors", e.Fields)
	}
	return p
}

// fail writes err as a problem document. A *problem.Problem made by this
// package is written as it is; a domain error is answered by its code (see
// problemOf). The error itself, wrap chain and all, goes only to the log,
// with the request id: at Info for a refused request, at Error for an
// internal failure.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var p *problem.Problem
	code := configs.Code(err)
	if pp, ok := errors.AsType[*problem.Problem](err); ok {
		p = &problem.Problem{Type: pp.Type, Title: pp.Title, Status: pp.Status, Detail: pp.Detail, Extensions: pp.Extensions}
		code = configs.ErrInvalid // a refusal made here, never an internal failure
	} else {
		p = problemOf(code, err)
	}
	level, msg := slog.LevelInfo, "configs request refused"
	if code == nil {
		level, msg = slog.LevelError, "configs request failed"
	}
	h.o.Logger.Log(r.Context(), level, msg, "request_id", requestid.From(r.Context()),
		"method", r.Method, "path", r.URL.Path, "status", p.Status, "error", err)
	problem.Write(w, r, p)
}
