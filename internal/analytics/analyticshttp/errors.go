package analyticshttp

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/platform/problem"
	"github.com/portico-gw/portico/internal/platform/requestid"
)

// Problem types of this package beyond the shared ones (docs/problems.md).
const (
	// ProblemBeaconsRefused is a whole batch refused for its integration
	// (disabled) or its origin or app; the extension "reason" says which.
	ProblemBeaconsRefused = "beacons-refused"
	// ProblemInvalidBeacons is a batch none of whose beacons was stored
	// or already there; the extension "refused" lists each with its
	// pointer and reason.
	ProblemInvalidBeacons = "invalid-beacons"
	// ProblemSlowDown is a batch shed because more beacons wait to be
	// written than the service holds (analytics.ErrBusy); Retry-After
	// says when to send it again.
	ProblemSlowDown = "slow-down"
)

// retryAfterUnavailable is the Retry-After of a 503 for a resolver that
// could not say whether a delivery key exists: its lookups time out in
// seconds (analytics.DefaultKeyTimeout).
const retryAfterUnavailable = 5 * time.Second

// retryAfterBusy is the Retry-After of a batch refused because the
// beacons waiting to be written are at their bound (analytics.ErrBusy):
// the writers take a group in a fraction of a second.
const retryAfterBusy = time.Second

// problemOf returns the problem an error is answered with: one status and
// type per kind of error, and as detail only what the error says is safe
// (analytics.SafeMessage, a QueryError's problems, a BatchError's detail)
// or else a fixed sentence. A refusal of a whole batch carries its reason
// slug in the "reason" extension. Anything the package does not classify
// is internal.
func problemOf(err error) *problem.Problem {
	if qe, ok := errors.AsType[*analytics.QueryError](err); ok {
		return problem.New(http.StatusBadRequest, "invalid-argument", "Invalid argument",
			"Parameters of the query are invalid; see errors.").With("errors", qe.Problems)
	}
	if be, ok := errors.AsType[*analytics.BatchError](err); ok {
		if be.Reason == analytics.ReasonTooManyBeacons { // the decoder's slug is the Service's
			return problem.BodyTooLarge(be.Detail+".").With("reason", be.Reason)
		}
		return problem.BadRequest(be.Detail+".").With("reason", be.Reason)
	}
	if errors.Is(err, analytics.ErrBusy) {
		// 429, not 503: the service is up and sheds what it cannot write
		// yet; a 5xx would count against it in the gateway's breaker,
		// whose opening would refuse what it can write too.
		return problem.New(http.StatusTooManyRequests, ProblemSlowDown, "Slow down",
			"More beacons wait to be written than the service holds; the batch was not stored. Send it again after the time in Retry-After.")
	}
	if errors.Is(err, analytics.ErrResolverUnavailable) {
		return problem.Unavailable("dependency-unavailable",
			"The delivery key cannot be checked right now; send the batch again shortly.")
	}
	var p *problem.Problem
	code := analytics.Code(err)
	e, _ := errors.AsType[*analytics.Error](err)
	batch := e != nil && e.Reason != "" && e.Reason != analytics.ReasonInvalid
	switch {
	case code == analytics.ErrNotFound:
		p = problem.NotFound("No such resource.")
	case code == analytics.ErrRefused, code == analytics.ErrForbidden && batch:
		p = problem.New(http.StatusForbidden, ProblemBeaconsRefused, "Beacons refused", "The batch was refused.")
	case code == analytics.ErrForbidden:
		p = problem.New(http.StatusForbidden, "forbidden", "Forbidden", "The caller may not do this.")
	case code == analytics.ErrTooLarge:
		p = problem.BodyTooLarge("The batch holds too many beacons.")
	case code == analytics.ErrInvalid:
		p = problem.New(http.StatusBadRequest, "invalid-argument", "Invalid argument", "The query is invalid.")
	default:
		return problem.Internal()
	}
	if msg := analytics.SafeMessage(err); msg != "" {
		p.Detail = msg + "."
	}
	if batch {
		p.With("reason", e.Reason)
	}
	return p
}

// fail writes err as a problem document. A *problem.Problem made by this
// package is written as it is; any other error is answered as problemOf
// says. The error itself, wrap chain and all, goes only to the log, with
// the request id: at Info for a refused request, at Warn when the
// delivery key resolver was unavailable, at Error for an internal
// failure.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var p *problem.Problem
	if pp, ok := errors.AsType[*problem.Problem](err); ok {
		p = &problem.Problem{Type: pp.Type, Title: pp.Title, Status: pp.Status, Detail: pp.Detail, Extensions: pp.Extensions}
	} else {
		p = problemOf(err)
	}
	level, msg := slog.LevelInfo, "analytics request refused"
	switch {
	case errors.Is(err, analytics.ErrBusy):
		// Shed under load, many a second: the HTTP metrics count them.
		level, msg = slog.LevelDebug, "analytics batch shed"
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfterBusy/time.Second)))
	case p.Status == http.StatusServiceUnavailable:
		level, msg = slog.LevelWarn, "analytics request unavailable"
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfterUnavailable/time.Second)))
	case p.Status >= 500:
		level, msg = slog.LevelError, "analytics request failed"
	}
	h.o.Logger.Log(r.Context(), level, msg, "request_id", requestid.From(r.Context()),
		"method", r.Method, "path", r.URL.Path, "status", p.Status, "error", err)
	problem.Write(w, r, p)
}
