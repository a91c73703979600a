package aggregate

import (
	"net/http"
	"strconv"

	"github.com/portico-gw/portico/internal/platform/problem"
)

// routeStatus maps the failure of a required step to the route's status:
//
//   - the service's 400, 403, 404, 409, 410, 412 and 422 concern the caller's
//     request, so they are the route's answer;
//   - its 401 concerns the gateway's own credential, and other 4xx the
//     request the gateway built, so they are 502; its 429 is 503;
//   - its 3xx and 5xx, and every answer that is not usable (not JSON, too
//     large, bad references, shape, conflicts), are 502;
//   - a timeout (the step's or the budget's) is 504;
//   - a Doer error with a StatusCode (breaker open, no target) keeps it.
func routeStatus(o *StepOutcome) int {
	switch o.Kind {
	case KindStatus4xx:
		switch o.Status {
		case 400, 403, 404, 409, 410, 412, 422:
			return o.Status
		case 429:
			return http.StatusServiceUnavailable
		}
	case KindTimeout:
		return http.StatusGatewayTimeout
	case KindUnavailable:
		if o.Status >= 400 && o.Status <= 599 {
			return o.Status
		}
		return http.StatusServiceUnavailable
	case KindInternal:
		return http.StatusInternalServerError
	}
	return http.StatusBadGateway
}

// failureProblem is the problem document for a required step's failure.
// It names the step, its kind and its service, and never carries the
// service's own answer.
func failureProblem(st *step, o *StepOutcome) *problem.Problem {
	status := routeStatus(o)
	detail := "Step " + strconv.Quote(st.name) + " of this route failed: " + failureText(o) + "."
	var p *problem.Problem
	switch {
	case status == http.StatusNotFound:
		p = problem.NotFound(detail)
	case status == http.StatusGatewayTimeout:
		p = problem.GatewayTimeout(detail)
	case status == http.StatusServiceUnavailable:
		// The same types a proxied route answers with, so clients handle
		// one vocabulary.
		slug := "upstream-unavailable"
		switch o.Reason {
		case "circuit_open":
			slug = "circuit-open"
		case "no_target":
			slug = "no-healthy-target"
		}
		p = problem.Unavailable(slug, detail)
	case status == http.StatusInternalServerError:
		p = problem.Internal()
	case status >= 400 && status < 500:
		p = problem.New(status, "step-refused", http.StatusText(status), detail)
	default:
		p = problem.New(status, "upstream-failed", "Bad gateway", detail)
	}
	return p.With("step", st.name).With("kind", string(o.Kind)).With("service", st.service)
}

// failureText says what went wrong in words safe for a client.
func failureText(o *StepOutcome) string {
	switch o.Kind {
	case KindStatus3xx, KindStatus4xx, KindStatus5xx:
		return "the service answered " + strconv.Itoa(o.Status)
	case KindTimeout:
		return "the service did not answer in time"
	case KindConnect:
		return "the service could not be reached"
	case KindTransport:
		return "the exchange with the service broke off"
	case KindUnavailable:
		return "the service is unavailable"
	case KindCanceled:
		return "the call was canceled"
	case KindNotJSON:
		return "the service's answer is not JSON"
	case KindTooLarge:
		return "the service's answer exceeds the size limit"
	case KindBadReference:
		return "a value the call needs is missing or unusable"
	case KindTooManyItems:
		return "there are more items than the step may call for"
	case KindShape:
		return "the service's answer does not have the expected shape"
	case KindConflict:
		return "its result collides with another step's"
	case KindSkipped:
		return "a step it depends on failed"
	}
	return "an internal error occurred"
}
