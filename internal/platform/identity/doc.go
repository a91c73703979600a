// Package identity verifies the internal JWTs that the auth service issues
// and every Portico service accepts, and carries the verified claims
// through a request's context.
//
// The gateway exchanges an outside credential (session cookie, access
// token, API key) for a short-lived internal token; services never see the
// outside credential. A service builds one Verifier at start, with a
// KeySource that is either a JWKS (auth's /.well-known/jwks.json, fetched
// over HTTP and cached) or StaticKeys, and wraps its handlers in
// Verifier.Middleware. Handlers read the caller with FromContext.
//
// # What a token must look like
//
// Verify accepts only a compact JWS of at most MaxTokenBytes whose
// protected header holds exactly "alg", "kid" and "typ": any other header
// parameter, among them "jwk", "jku", "x5u", "x5c" and "crit", is refused
// before a key is looked up, so a token can never name or carry the key it
// is checked with. The algorithm must be one of the verifier's allowed
// ones and equal the "alg" the key set publishes for that kid; "none" and
// the HMAC algorithms can never be allowed. The "typ" must be one of the
// accepted types (by default only InternalTokenType), so an access token
// cannot stand in for an internal token or the other way round. Then the
// signature, issuer, audience, lifetime, expiry, not-before and issued-at
// are checked, with ClockSkew of tolerance on the times. The lifetime
// (exp − iat) must not exceed MaxLifetime (DefaultMaxLifetime, 10 minutes,
// for internal tokens), so that a leaked signing key cannot mint a token
// that stays useful long after the key is replaced.
//
// # JWKS caching
//
// A JWKS source fetches the key set on first use and keeps it for the
// response's Cache-Control max-age, bounded by MinTTL and MaxTTL
// (DefaultTTL when the response says nothing). A kid missing from a fresh
// set triggers a refetch, but at most one fetch starts per RefetchInterval
// however many requests ask, so a flood of tokens with invented kids costs
// auth one request per interval. When a refetch fails the previous set is
// still used for StaleIfError after it went stale.
//
// # Tokens of outside identity providers
//
// The gateway also admits the JWTs of OpenID providers outside Portico.
// PeekIssuer reads such a token's "iss" without trusting it, only to pick
// the ExternalVerifier of that issuer, which then checks everything: the
// same header rules (plus certificate thumbprints, which it ignores), an
// algorithm among the asymmetric ExternalAlgorithms the verifier allows, a
// key that fits it (a key published with an "alg" serves only that one; a
// key published without one, which a JWKS keeps only when told to, serves
// the algorithms its type and size fit), the exact issuer, one of the
// audiences, the times with a leeway, and a bounded lifetime. The claims
// come back as ExternalClaims, for the caller to map. The provider's keys
// come from a JWKS, cached as above, or from a DiscoveredJWKS, which reads
// the provider's OpenID discovery document first and refuses one whose
// issuer is not the configured one.
package identity
