// Package authn is the gateway's side of authentication: it finds the
// outside credential of a request (a session cookie, a bearer access token
// of auth's or of an outside identity provider, or an API key) and
// exchanges it at the auth service for a short-lived internal token, which
// the gateway forwards instead.
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
// Bearer JWTs of identity providers outside Portico are admitted when
// Options.External names their issuer (ExternalIssuer). Such a token is
// recognised by its "iss" (identity.PeekIssuer, on the unverified payload,
// only to choose the verifier), verified here (identity.ExternalVerifier:
// the issuer's keys, cached as auth's are, its audience and times), and
// mapped to a subject, one of the organizations the issuer is bound to,
// and scopes; that Assertion, not the token, is what auth receives, with
// kind "external". A token that is not a JWT, names no configured issuer,
// fails its signature or claims, or maps outside its issuer's bounds is
// refused here, without a call to auth, and negatively cached like any
// refusal. Its exchange is cached like any other, never past the outside
// token's expiry, which bounds the internal token too.
//
// The package knows auth only by its base URL, its issuer, its keys and
// the JSON of POST /internal/v1/exchange.
package authn
