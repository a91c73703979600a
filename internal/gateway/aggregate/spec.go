package aggregate

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Failure policies of a step.
const (
	// Required makes the whole response fail when the step fails.
	Required = "required"
	// Optional leaves the step's result out of the response and reports it.
	Optional = "optional"
	// Fallback puts the step's static Fallback value in place of its result
	// and reports it.
	Fallback = "fallback"
)

// Defaults used when a spec leaves a limit at zero.
const (
	// DefaultMaxBody caps a step's response body: 1 MiB.
	DefaultMaxBody = 1 << 20
	// DefaultMaxFanOut caps the items of a fan-out step.
	DefaultMaxFanOut = 100
	// DefaultConcurrency caps the concurrent calls of a fan-out step.
	DefaultConcurrency = 4
)

// StepSpec describes one step of a plan: one call to one service (or one
// call per item of an array, for a fan-out step) and where its result goes.
// Strings documented as templates use the language described in the
// package documentation.
type StepSpec struct {
	// Name identifies the step in references, outcomes, metrics and traces.
	// It starts with a letter and continues with letters, digits, '_' or
	// '-' (at most 64 characters), so it is a token in every header it
	// appears in.
	Name string
	// Service names the service the Doer sends the request to.
	Service string
	// Method is the HTTP method; empty means GET. GET, POST, PUT, PATCH and
	// DELETE are accepted.
	Method string
	// Path is a template for the request path, starting with '/'. Inserted
	// values are escaped as one path segment.
	Path string
	// Query maps parameter names to value templates. Inserted values are
	// escaped as query components; a parameter whose value expands to the
	// empty string is left out, so "{query.from|}" forwards an optional
	// parameter only when the caller sent it.
	Query map[string]string
	// Headers maps header names to value templates, sent in addition to the
	// Input's forwarded headers.
	Headers map[string]string
	// Body is a JSON-like tree (map[string]any, []any, string, float64,
	// int, int64, bool, nil) sent as the JSON request body; nil sends none.
	// Strings are templates; a string that is exactly one reference inserts
	// the referenced JSON value with its type. Only POST, PUT and PATCH
	// steps may have a body.
	Body any
	// DependsOn names steps that must finish before this one starts, in
	// addition to the steps its templates reference.
	DependsOn []string
	// ForEach, when set, makes this a fan-out step: a reference without
	// braces (e.g. "steps.integrations.items", "identity.orgs") to an array;
	// the step calls its service once per item, and its result is the array
	// of the items' results, in item order.
	ForEach string
	// MaxItems caps the array's length; a longer array fails the step with
	// kind too_many_items. Zero means the plan's MaxFanOut.
	MaxItems int
	// Concurrency caps the calls of a fan-out step in flight at once; zero
	// means DefaultConcurrency.
	Concurrency int
	// Timeout bounds the step (all its calls, for a fan-out step) from its
	// start. Zero means the step may use whatever remains of the plan's
	// budget: it adds nothing to the critical path, and no other step may
	// depend on it.
	Timeout time.Duration
	// OnFailure is Required, Optional or Fallback; empty means Required.
	OnFailure string
	// Fallback is the value used in place of the result when OnFailure is
	// Fallback; it is placed as is (not shaped), and later steps'
	// references read it as they would read the result.
	Fallback any
	// Into is the key of the response's root object the shaped result is
	// placed under. Empty, with Merge false, keeps the result out of the
	// response (a step whose result only feeds other steps).
	Into string
	// Merge places the members of the shaped result, which must be an
	// object, into the response's root object.
	Merge bool
	// Select is a field path picking a part of the result before the other
	// shaping rules apply.
	Select string
	// Allow lists field paths to keep; everything else is dropped. Empty
	// keeps everything.
	Allow []string
	// Deny lists field paths to drop, after Allow.
	Deny []string
	// Rename maps a field path (with the names before renaming) to the new
	// name of its last segment, applied after Allow and Deny.
	Rename map[string]string
	// MaxBody caps the step's response body in bytes (each item's, for a
	// fan-out step); zero means the plan's MaxBody.
	MaxBody int64
}

// PlanSpec describes a whole aggregation plan: its steps and the limits of
// the route that runs it.
type PlanSpec struct {
	// Name names the plan (the route) in outcomes reported to the Observer,
	// in spans and in Describe.
	Name string
	// Steps are the plan's steps; their order is the order of the response's
	// keys and of the outcomes.
	Steps []StepSpec
	// Budget is the deadline of the whole plan, from the start of Execute.
	// It is required.
	Budget time.Duration
	// OutcomeField, when set, is the key of the root object under which the
	// response carries the steps' outcomes as JSON.
	OutcomeField string
	// MaxBody is the default cap of a step's response body; zero means
	// DefaultMaxBody.
	MaxBody int64
	// MaxFanOut is the default cap of a fan-out step's items; zero means
	// DefaultMaxFanOut.
	MaxFanOut int
	// Params are the route's path parameter names; a template may reference
	// only these with "{path.NAME}".
	Params []string
	// KnownServices, when not nil, are the services a step may call;
	// nil leaves the check to the caller.
	KnownServices []string
}

// Options are the hooks of a compiled plan. The zero value observes nothing.
type Options struct {
	// Observer, when set, is told every step's outcome.
	Observer Observer
	// Tracer, when set, starts one client span per step.
	Tracer trace.Tracer
	// Propagator, when set, injects the step's span context into the
	// step's request headers.
	Propagator propagation.TextMapPropagator
}

// Observer receives the outcome of every step of every execution, for
// metrics. It is called from the goroutine running Execute, once per step,
// before Execute returns.
type Observer interface {
	StepDone(plan, step string, kind Kind, d time.Duration)
}

// Doer sends a request to a service. The request's URL carries only the
// path, raw path and query; the Doer picks the target (scheme and host).
// ctx is the request's context. The Doer may return errors implementing
// StatusCode() int (the status the gateway would answer, e.g. 503 for an
// open breaker) and FailureKind() string (a token naming the failure);
// both are reported.
type Doer interface {
	Do(ctx context.Context, service string, req *http.Request) (*http.Response, error)
}

// HeadDoer is a Doer that can also answer with only what a step reads of
// a response's head, without building an http.Response and its header
// map; Execute uses DoHead when the Doer has it. DoHead fills h and
// returns the body, which Execute closes; its errors are Do's. Neither
// DoHead nor what it calls may keep req's URL or Header once it returned
// an error or the body was closed: Execute builds its next call's request
// in them.
type HeadDoer interface {
	Doer
	DoHead(ctx context.Context, service string, req *http.Request, h *Head) (io.ReadCloser, error)
}

// Head is what a step reads of a response's head.
type Head struct {
	Status int
	// ContentLength is the body's length, -1 when unknown.
	ContentLength int64
	// ContentType is the Content-Type field's first value, "" without one.
	ContentType string
}

// DoerFunc adapts a function to the Doer interface.
type DoerFunc func(ctx context.Context, service string, req *http.Request) (*http.Response, error)

// Do calls f.
func (f DoerFunc) Do(ctx context.Context, service string, req *http.Request) (*http.Response, error) {
	return f(ctx, service, req)
}

// PathParams looks up a route's path parameters; *router.Params and
// MapParams implement it.
type PathParams interface {
	Lookup(name string) (string, bool)
}

// MapParams is a PathParams backed by a map.
type MapParams map[string]string

// Lookup returns the named parameter.
func (m MapParams) Lookup(name string) (string, bool) {
	v, ok := m[name]
	return v, ok
}

// Input is what one execution of a plan reads besides the steps' results.
type Input struct {
	// Path holds the route's path parameters; nil has none.
	Path PathParams
	// Query is the caller's query, read only when the plan references it
	// (Plan.UsesQuery); nil has none.
	Query url.Values
	// Identity holds the caller's identity claims; nil has none.
	Identity map[string]any
	// Body is the caller's JSON request body, read only when the plan
	// references it (Plan.UsesBody); nil has none.
	Body []byte
	// Header holds headers sent with every step's request (request id,
	// traceparent, internal token: the caller decides which).
	Header http.Header
}
