// Package configshttp serves the configs service over HTTP: each
// organization's integrations, their versioned delivery settings and the
// configuration audit trail under /v1/orgs/{org}; the public SDK config
// under /v1/sdk/config/{key}; and under /internal/v1 the delivery-key
// lookup of the analytics service. routes, one function, lists every
// route with who may call it; api/configs.yaml describes the same set, a
// test checks both ways, and every response the tests see is checked
// against the document's schemas.
//
// Who calls. The /v1/orgs routes are wrapped in authed: the internal token
// the gateway forwards in "Authorization: Bearer" must verify
// (identity.Verifier.Middleware: 401 without one or with one that does
// not, 503 while the keys cannot be read) and make a configs.Principal (a
// person, or a machine client or API key of one organization; 403
// otherwise). The service decides the rest (see configs.Service). The
// SDK config route takes no credential: players call it through the
// gateway's public route. /internal/v1 admits only the analytics
// service's workload token (workload.Guard.Admit).
//
// Concurrency. PUT .../settings and POST .../restore need If-Match with
// the current version's ETag: none (or "*") is 428, another version 412.
// POST .../integrations takes an Idempotency-Key, as the auth service
// does: a retry with the same key and body gets the first answer with
// Idempotent-Replayed: true; another body with the same key is 422.
//
// The SDK config endpoint is the hottest of the system. It reads the
// Service's configs.Snapshot, an immutable map behind an atomic pointer
// with every response body and ETag made ahead, and queries no database:
// on a 2-core machine it answers in under a microsecond with 3
// allocations (BenchmarkSDKConfig200/handler; 2 for a 304). The snapshot
// is loaded by Handler.Load (call it before serving; until then the
// endpoint is 503), reloaded after every change this replica makes, and
// by Handler.Run whenever the store's revision moves, every
// Options.PollInterval (2 s by default), which is how other replicas'
// changes arrive.
//
// Errors are RFC 9457 problem documents. fail maps each configs error
// code to one status and writes only the error's safe message and its
// field errors ("errors": [{pointer, detail}], RFC 6901 pointers into the
// request body); the wrap chain goes to the log with the request id.
package configshttp
