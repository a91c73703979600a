// Package authhttp serves the auth service over HTTP: sign-in and
// sessions, TOTP, password changes and resets, identities (staff manage
// them), API keys, machine clients and the audit log under /v1; the OAuth
// 2.0 token, revocation and introspection endpoints under /oauth2; and the
// service-to-service endpoints under /internal/v1: the gateway's
// credential exchange and the accounts service's invitation acceptance.
// api/auth.yaml describes every route.
//
// /internal/ is for the gateway and the services the design names, never
// for browsers. Production restricts it twice: a network policy admits
// only those callers to the service, and Options.AuthorizeInternal checks
// the internal token each presents. It has no CSRF check, since no cookie
// authenticates it.
//
// POSTs that create an identity accept an Idempotency-Key header; see
// auth.NewIdentity for what a retry gets.
//
// Browser sessions ride in a cookie that is HttpOnly, Secure, Path=/ and
// SameSite=Lax, named with the __Host- prefix so browsers refuse it unless
// all of that holds. Lax rather than Strict: Strict would drop the cookie
// when a person follows a link into the dashboard from a mail or another
// site, so they would look signed out; Lax still withholds it from
// cross-site POST, PUT and DELETE.
//
// CSRF: every /v1 request with an unsafe method (anything but GET, HEAD
// and OPTIONS) must carry the header Portico-CSRF (any non-empty value)
// and, when it has an Origin header and TrustedOrigins is set, an origin
// from that list. A cross-site page can make a browser send a cookie but
// cannot add a custom header without a CORS preflight, which Portico does
// not grant to other origins. This covers sign-in too (against login
// CSRF), and costs API clients nothing: they send the header.
package authhttp
