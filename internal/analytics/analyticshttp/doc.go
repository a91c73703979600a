// Package analyticshttp serves the analytics service over HTTP: beacon
// ingest for players under /v1/beacons, and each organization's metric
// queries under /v1/orgs/{org}/analytics. routes, one function, lists
// every route with who may call it; api/analytics.yaml describes the same
// set, a test checks both ways, and every response the tests see is
// checked against the document's schemas. The service has no /internal
// routes.
//
// Who calls. POST /v1/beacons takes no credential: players call it
// through the gateway's public route and name their integration by its
// public delivery key in the Portico-Delivery-Key header (a header, so
// keys stay out of URL logs). The Service checks the key, the page's
// Origin (or an app's Portico-Bundle-Id) and each beacon; the answer
// echoes an allowed Origin for CORS, and OPTIONS answers the preflight.
// Country and ISP are read from trusted headers (Options.CountryHeader,
// Options.ISPHeader) that the edge in front of the gateway sets; the
// gateway removes every client-sent X-Portico-* header, so a player
// cannot choose its own. The query routes are wrapped in authed: the
// internal token the gateway forwards in "Authorization: Bearer" must
// verify (identity.Verifier.Middleware: 401 without one or with one that
// does not, 503 while the keys cannot be read) and make an
// analytics.Principal; the Service decides whether it may read the
// organization (a member, staff, or a machine principal with
// analytics:read; anyone else gets 404, as if the organization did not
// exist).
//
// Ingest answers. A batch is stored beacon by beacon: 200 says how many
// were accepted, how many were duplicates (retries change nothing) and
// which were refused, each with its index, the RFC 6901 pointer of the
// offending field and a reason slug; 422 invalid-beacons lists the same
// when nothing could be stored. A whole batch is refused with a "reason"
// (unknown-delivery-key, integration-disabled, origin-not-allowed,
// origin-missing, bundle-id-not-allowed, too-many-beacons, malformed);
// 503 with Retry-After when the configs service cannot say whether the
// key exists (Resolver adapts the domain's HTTPKeyResolver to the
// Service's KeyResolver and keeps that case apart from an unknown key).
//
// Queries take the parameters of analytics.ParseQuery, which refuses
// unknown ones; each endpoint also refuses those it has no use for. The
// answers are modelled on the Mux Data API: {"data": ..., "timeframe":
// [from, to], "granularity", "timezone", "metric", "unit",
// "approximate"}, a figure without a value (a ratio over nothing) null.
//
// Errors are RFC 9457 problem documents. fail maps each kind of error to
// one status and writes only what the error says is safe: the domain's
// message, a query's problems ("errors": [{pointer, detail}], pointers
// naming the parameters) or a batch's refusals; the wrap chain goes to
// the log with the request id.
package analyticshttp
