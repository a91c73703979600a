// Package accountshttp serves the accounts service over HTTP:
// organizations, their members and invitations, and people's own profiles
// under /v1, and under /internal/v1 the memberships of an identity, which
// the auth service reads to make the claims of its tokens. routes, one function,
// lists every route with who may call it; api/accounts.yaml describes the
// same set, and a test checks both ways.
//
// Who calls. Each route in the table is authed, public or internal. The
// service sits behind the gateway, which exchanges the
// caller's credential with the auth service for a short-lived internal
// token and forwards it in "Authorization: Bearer". Every /v1 route is
// wrapped in authed: the token must verify (identity.Verifier.Middleware:
// 401 without one or with one that does not, 503 while the keys cannot be
// read), and must speak for a person (kind user; a machine client's or API
// key's token is 403). Only then does the handler run, with the
// accounts.Principal; no handler reads a credential itself. The service
// reads no cookie, so there is no CSRF check here: the gateway, which
// turns the session cookie into the internal token, refuses an unsafe
// request the cookie authenticates without the CSRF header or from an
// untrusted origin (auth.csrf_header). One route is public:
// POST /v1/invitations/accept, for a person without an account, whose body
// carries the invitation's token as its credential (and a password, which
// goes to the auth service and nowhere else). /internal/v1 admits only the
// workloads each route names (workload.Guard.Admit): the auth service,
// and for an organization's plan also the analytics service; the
// gateway's token is 403.
//
// Errors are RFC 9457 problem documents. fail maps each accounts error
// code to one status, and writes only the error's safe message; the wrap
// chain goes to the log with the request id. ErrLastOwner is 409
// conflict, with the extension "reason": "last-owner"; other errors with
// an accounts.Reason carry it the same way. 429 and 503 answers carry
// Retry-After. An invitation saved whose mail failed is 502 mail-not-sent
// with its Location and "invitation_id", so that it can be resent.
//
// POST /v1/orgs takes an Idempotency-Key: the service keeps, with the
// organization and in the same transaction, the key and a fingerprint of
// the body, so a retry answers 201 with the same organization and
// Idempotent-Replayed: true, and the same key with another body is 422.
package accountshttp
