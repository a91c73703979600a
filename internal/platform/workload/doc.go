// Package workload lets Portico's components prove to each other who they
// are, without a shared secret.
//
// Every call to an /internal/ endpoint carries the caller's workload token
// in "Authorization: Bearer": a short-lived JWT whose "sub" names the
// calling component and whose "aud" names the callee (Audience), signed by
// a workload issuer the callee trusts through that issuer's JWKS. The
// callee wraps each internal endpoint in Guard.Admit with the callers it
// admits; anything else is refused with 401 or 403 and logged, whatever
// address it came from.
//
// Two issuers are supported:
//
//   - In Kubernetes, the cluster itself. The kubelet writes each pod a
//     projected ServiceAccount token per audience and rotates it; the caller
//     reads it with a FileSource, which re-reads the file when it changes.
//     The callee verifies it against the cluster's OIDC issuer (its JWKS is
//     served by the API server, or at a public URL such as GKE's), and maps
//     the token's subject, "system:serviceaccount:NAMESPACE:NAME", to a
//     component by removing GuardOptions.SubjectPrefix.
//   - In `portico all` and in tests, an Issuer created in the process at
//     start: an ES256 key that exists only in memory, its JWKS served on a
//     loopback listener, and a TokenSource per caller and callee that mints
//     tokens as they are needed. Nothing is written to disk.
//
// A Guard built without an issuer refuses every internal call: there is no
// mode in which internal endpoints are open.
package workload
