// Package authhttp serves the auth service over HTTP: sign-in and
// sessions, TOTP, password changes and resets, identities (staff manage
// them), API keys, machine clients and the audit log under /v1; the OAuth
// 2.0 token, revocation and introspection endpoints under /oauth2; the
// service-to-service endpoints under /internal/v1 (the gateway's credential
// exchange and the accounts service's invitation acceptance); and the
// signing keys' JWK Set and OpenID discovery document under /.well-known.
// routes, one function, lists every route with who may call it;
// api/auth.yaml describes the same set.
//
// Who calls. The service sits behind the gateway, which alone reads the
// session cookie (or bearer token, or API key), exchanges it here for a
// short-lived internal token, and forwards that token in
// "Authorization: Bearer". The /v1 routes that act for someone verify it
// (signature by the service's own keys, issuer, audience
// identity.InternalAudience, type, expiry) and then look the session its
// "sid" claim names up, so a revoked session stops working here at once
// rather than when its last internal token expires. Only a person signed in
// with a session is a caller of those routes; a machine client's or API
// key's token is answered 403 on each of them, since each acts on a
// person's own sessions, second factor, password, or on credentials and
// identities an administrator manages. The route table wraps every such
// handler in authed, which hands it the verified auth.Principal: no handler
// reads a credential itself. Sign-in, the second factor and password resets
// are public; the OAuth 2.0 endpoints authenticate their clients
// themselves; the documents are public.
//
// /internal/ is for the callers the design names, never for browsers:
// every call carries the caller's workload token, and Options.Workload
// admits only the gateway to the exchange and only the accounts service to
// identity creation (401 without a valid token, 403 for another caller).
// Without a workload issuer to trust, every internal call is refused.
//
// Errors are RFC 9457 problem documents with one status per domain error
// code (auth.Code) and, as detail, only the safe message the domain gave
// (auth.SafeMessage) or a fixed sentence; the error itself, with its wrap
// chain, goes to the log with the request id.
//
// POSTs that create an identity accept an Idempotency-Key header; see
// auth.NewIdentity for what a retry gets.
//
// Browser sessions ride in a cookie this package sets at sign-in and clears
// at sign-out (the gateway passes Set-Cookie back); it is HttpOnly, Secure,
// Path=/ and SameSite=Lax, named with the __Host- prefix so browsers refuse
// it unless all of that holds. Lax rather than Strict: Strict would drop the
// cookie when a person follows a link into the dashboard from a mail or
// another site, so they would look signed out; Lax still withholds it from
// cross-site POST, PUT and DELETE.
//
// CSRF: every /v1 request with an unsafe method (anything but GET, HEAD
// and OPTIONS) must carry the header Portico-CSRF (any non-empty value)
// and, when it has an Origin header, an origin from TrustedOrigins (by
// default the issuer's: the gateway's public URL). A cross-site page can make a browser send a cookie, which
// the gateway turns into an internal token, but cannot add a custom header
// without a CORS preflight, which Portico does not grant to other origins.
// This covers sign-in too (against login CSRF), and costs API clients
// nothing: they send the header.
package authhttp
