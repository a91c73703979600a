// Package aggregate executes composition plans: a route's response built
// from several service calls, concurrent where independent, chained where
// one needs another's result, with every step's outcome reported.
//
// A PlanSpec is compiled once by Compile, which reports every problem of
// the spec at once (CompileErrors, each naming the step and field), into an
// immutable Plan that any number of requests execute concurrently. Execute
// calls services through a Doer, which the gateway implements with its
// service transports (target choice, breaker, retries).
//
// # Templates
//
// Step paths, query values, header values and body strings are templates:
// literal text with references in braces. "{{" and "}}" are literal
// braces; a lone "}" is an error. A reference is a namespace and a dotted
// path, optionally followed by "|" and a default:
//
//	{path.NAME}          a route path parameter (a name listed in PlanSpec.Params)
//	{query.NAME}         the caller's query parameter (its first value)
//	{identity.CLAIM...}  the caller's identity claims
//	{steps.STEP.FIELD...} another step's raw result (before its shaping); referencing a step makes this one wait for it
//	{item} {item.FIELD...} the current item, in a fan-out step
//	{body} {body.FIELD...} the caller's JSON request body (Plan.UsesBody tells the gateway to read it)
//	{query.from|2024-01-01} the default, used when the value is missing or null
//
// Inserted values are escaped for where they go: as one path segment in a
// path (everything but RFC 3986 unreserved characters is percent-encoded,
// '/' included, and a value that is empty or makes a "." or ".." segment
// fails the step), as one query component in a query value, as JSON string
// content in a body string, and as is in a header value (control characters
// fail the step). Only strings, numbers and booleans can be inserted into
// text; numbers keep the exact text they had in JSON. A body string that is
// exactly one reference inserts the referenced value with its JSON type,
// objects and arrays included. A query parameter whose value expands to the
// empty string is left out, so "{query.from|}" forwards an optional
// parameter. At run time, a reference to a missing field, to null (in text),
// or to an object or array (in text) fails the step with kind bad_reference;
// it is never inserted as "null" or "". A reference to an unknown namespace,
// step or path parameter, or to item outside a fan-out step, is a Compile
// error.
//
// # Field paths
//
// A field path is member names joined by dots: "items.owner.id". Names are
// non-empty and contain no '.', '{', '}', '|' or control characters (fields
// with such names cannot be addressed). In references and ForEach, a name
// applied to an object selects the member; applied to an array, a decimal
// index ("items.0") selects an element and any other name maps the rest of
// the path over every element, giving an array ("items.id" is the array of
// the items' ids; every element must have it). In shaping, arrays are
// always traversed: "items.secret" means the secret member of every item,
// at any depth of nested arrays.
//
// # Shaping
//
// A step's result is shaped in this order: Select picks a sub-value (as a
// reference would); Allow keeps only the members reached by its paths
// (objects along a path stay, possibly empty; a scalar where a path goes on
// is dropped; array elements that are dropped vanish); Deny removes the
// members its paths reach; Rename gives the member a path reaches (written
// with the names before renaming) a new last-segment name, and a new name
// that is already a member is a conflict, never an overwrite. The result
// is placed under Into, or its members are merged into the root (Merge),
// or, with neither, left out of the response (a step that only feeds
// others). A step without shaping placed under a key is spliced into the
// response as the bytes the service sent, after validation. A result that
// is referenced, shaped or merged is decoded only as far as the plan reads
// it (the paths of the references to it, of Select and of Allow); the rest
// is validated and skipped. A reference to the whole result, or shaping or
// merging without an allow-list, decodes it whole.
//
// Root keys cannot be written twice. Compile rejects collisions it can
// see: two Into keys, an Into key and the outcome field, and the members an
// allow-list (after Deny and Rename) or a fallback gives a merged step. At
// run time, a merged step whose members collide with a reserved key or an
// earlier merged step's member (in spec order) fails with kind conflict and
// is handled by its policy.
//
// # Execution
//
// The plan's budget starts with Execute; each step's context ends at the
// smaller of its timeout and the rest of the budget, and its requests carry
// that remainder in milliseconds in DeadlineHeader. A step with a timeout
// of zero takes what is left of the budget; no step may depend on it, and
// Compile rejects a plan whose longest chain of timeouts exceeds the budget.
// Steps start as soon as their dependencies have settled. A step whose
// dependency produced neither a result nor a fallback is skipped (kind
// skipped) and handled by its own policy; Compile rejects a required step
// that depends on an optional one. When a required step fails, or the
// caller's context is canceled, every running step is canceled at once and
// no further step starts.
//
// A fan-out step resolves ForEach to an array, fails with too_many_items
// beyond MaxItems, calls its service once per item, at most Concurrency at
// a time, and its result is the array of the items' results in item order.
// The first failing item fails the step and cancels the other calls.
//
// Only a 2xx answer with a JSON media type (application/json or
// application/*+json) and a valid JSON body within the step's MaxBody is a
// result; 204 is the result null. Anything else fails the step with a kind
// (see Kind). The Result carries the outcomes; OutcomeHeader and a
// Server-Timing header list them on every response, and PlanSpec.OutcomeField
// puts them in the body as {"complete":bool,"steps":[...]}. A partial
// response has Cache-Control: no-store. A required step's failure makes the
// response a problem document (see routeStatus for the status) naming the
// step, never carrying the service's own answer.
package aggregate
