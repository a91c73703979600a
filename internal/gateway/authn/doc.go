// Package authn is the gateway's side of authentication: it finds the
// outside credential of a request (a session cookie, a bearer access token
// or an API key) and exchanges it at the auth service for a short-lived
// internal token, which the gateway forwards instead.
//
// The exchange is cached briefly, so the common path costs a hash and a
// map lookup: at most Options.CacheTTL, further bounded by the lifetime
// auth grants (cache_ttl_seconds) and by the internal token's expiry less
// Options.ExpiryMargin. A revocation in auth therefore takes effect within
// CacheTTL. Refused credentials are cached for Options.NegativeTTL, so a
// flood of bad keys does not reach auth. Concurrent misses for one
// credential make one call to auth.
//
// The cache is keyed by SHA-256 of the credential and its kind; a
// credential is held only for the duration of its exchange and is never
// logged (Credential formats itself redacted).
//
// The internal token auth answers with is verified (package identity:
// signature against auth's JWKS, issuer, the internal audience and type,
// expiry) before anything is read from it or it is cached; its claims are
// identity.Claims, the one schema the gateway and every service share. A
// token that does not verify is ErrUnavailable, never a pass and never
// cached. Each exchange request carries the gateway's workload token
// (package workload), which auth requires of every caller of its internal
// endpoints.
//
// The package knows auth only by its base URL, its issuer, its keys and
// the JSON of POST /internal/v1/exchange.
package authn
