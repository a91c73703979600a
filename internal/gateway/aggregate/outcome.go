package aggregate

import (
	"github.com/portico-gw/portico/internal/platform/jsonstring"
	"strconv"
	"time"
)

// Kind names how a step ended. Every kind is a token, usable as a metric
// label and in structured header fields.
type Kind string

// The kinds of step outcomes.
const (
	KindOK           Kind = "ok"             // 2xx JSON, within the cap
	KindTimeout      Kind = "timeout"        // the step's timeout or the plan's budget ran out
	KindConnect      Kind = "connect"        // the Doer could not connect
	KindTransport    Kind = "transport"      // the exchange broke: reset, malformed response, unreadable body
	KindUnavailable  Kind = "unavailable"    // the Doer refused with a status (breaker open, no target); see FailureKind
	KindCanceled     Kind = "canceled"       // stopped because a required step failed or the client left
	KindStatus3xx    Kind = "status_3xx"     // the service answered a redirect
	KindStatus4xx    Kind = "status_4xx"     // the service answered 4xx
	KindStatus5xx    Kind = "status_5xx"     // the service answered 5xx
	KindNotJSON      Kind = "not_json"       // 2xx, but not a JSON media type or not valid JSON
	KindTooLarge     Kind = "too_large"      // the body exceeded the step's cap
	KindBadReference Kind = "bad_reference"  // a reference was missing, null, not a scalar, or unusable where it went
	KindTooManyItems Kind = "too_many_items" // a fan-out array exceeded MaxItems
	KindShape        Kind = "shape"          // the result does not fit the shaping rules (Select missing, merge of a non-object)
	KindConflict     Kind = "conflict"       // a merged or renamed member would overwrite another
	KindSkipped      Kind = "skipped"        // a dependency had no result, so the step did not run
	KindInternal     Kind = "internal"       // the request could not be built (a bug, reported rather than hidden)
)

// Use says what the response holds in the step's place.
type Use string

// The uses of a step's result.
const (
	UseResult   Use = "result"   // the step's (shaped) result
	UseFallback Use = "fallback" // the step's fallback value, because it failed
	UseOmitted  Use = "omitted"  // nothing: the step failed and was optional, or the route failed
)

// StepOutcome is how one step of one execution ended.
type StepOutcome struct {
	// Step is the step's name.
	Step string
	// Kind is KindOK or why the step failed.
	Kind Kind
	// Status is the service's HTTP status (the first failing item's, for a
	// fan-out step), or the Doer's StatusCode; 0 when there was none.
	Status int
	// Start is when the step started, from the start of the execution.
	Start time.Duration
	// Duration is the time from the step's start to its end; 0 for steps
	// that never started.
	Duration time.Duration
	// Items is the number of items of a fan-out step.
	Items int
	// Calls is the number of requests handed to the Doer (retries inside
	// the Doer are its own).
	Calls int
	// Use says what the response holds in the step's place.
	Use Use
	// Reason is the Doer's FailureKind, when it gave one.
	Reason string
	// Err is the underlying error, for logs; it is never sent to the client.
	Err error
}

// Failed reports whether the step did not produce its result.
func (o *StepOutcome) Failed() bool { return o.Kind != KindOK }

// OutcomeHeader is the response header listing each step's outcome, a
// structured-field list (RFC 9651) with one member per step in spec order:
//
//	org;status=200;dur=12, usage;kind=timeout;dur=300;use=fallback, items;status=200;dur=40;items=3
//
// Members carry status (when there was one), kind (when not ok), dur
// (milliseconds), items (fan-out steps), and use (when not the result).
const OutcomeHeader = "Portico-Outcome"

// appendOutcomeHeader appends the OutcomeHeader value for outs.
func appendOutcomeHeader(dst []byte, outs []StepOutcome) []byte {
	for i := range outs {
		o := &outs[i]
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, o.Step...)
		if o.Status != 0 {
			dst = append(dst, ";status="...)
			dst = strconv.AppendInt(dst, int64(o.Status), 10)
		}
		if o.Kind != KindOK {
			dst = append(dst, ";kind="...)
			dst = append(dst, o.Kind...)
		}
		if o.Reason != "" {
			dst = append(dst, ";reason="...)
			dst = append(dst, o.Reason...)
		}
		dst = append(dst, ";dur="...)
		dst = strconv.AppendInt(dst, o.Duration.Milliseconds(), 10)
		if o.Items > 0 {
			dst = append(dst, ";items="...)
			dst = strconv.AppendInt(dst, int64(o.Items), 10)
		}
		if o.Use != UseResult {
			dst = append(dst, ";use="...)
			dst = append(dst, o.Use...)
		}
	}
	return dst
}

// appendServerTiming appends a Server-Timing value with one metric per
// step: its name, its duration in milliseconds and, when it failed, its
// kind as the description.
func appendServerTiming(dst []byte, outs []StepOutcome) []byte {
	for i := range outs {
		o := &outs[i]
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, o.Step...)
		if o.Kind != KindOK {
			dst = append(dst, ";desc="...)
			dst = append(dst, o.Kind...)
		}
		dst = append(dst, ";dur="...)
		dst = strconv.AppendFloat(dst, float64(o.Duration.Microseconds())/1000, 'f', -1, 64)
	}
	return dst
}

// appendOutcomeJSON appends the outcome body member's value:
//
//	{"complete":false,"steps":[{"step":"usage","kind":"timeout","status":0,"duration_ms":300,"use":"fallback"}, ...]}
func appendOutcomeJSON(dst []byte, outs []StepOutcome, complete bool) []byte {
	dst = append(dst, `{"complete":`...)
	dst = strconv.AppendBool(dst, complete)
	dst = append(dst, `,"steps":[`...)
	for i := range outs {
		o := &outs[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"step":`...)
		dst = jsonstring.Append(dst, o.Step)
		dst = append(dst, `,"kind":`...)
		dst = jsonstring.Append(dst, string(o.Kind))
		dst = append(dst, `,"status":`...)
		dst = strconv.AppendInt(dst, int64(o.Status), 10)
		dst = append(dst, `,"duration_ms":`...)
		dst = strconv.AppendFloat(dst, float64(o.Duration.Microseconds())/1000, 'f', -1, 64)
		if o.Items > 0 {
			dst = append(dst, `,"items":`...)
			dst = strconv.AppendInt(dst, int64(o.Items), 10)
		}
		if o.Reason != "" {
			dst = append(dst, `,"reason":`...)
			dst = jsonstring.Append(dst, o.Reason)
		}
		dst = append(dst, `,"use":`...)
		dst = jsonstring.Append(dst, string(o.Use))
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}
