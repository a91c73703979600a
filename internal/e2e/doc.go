// Package e2e holds the tests that run the gateway with the real services
// in one process, each service on a loopback httptest server as portico
// all assembles it, and the benchmarks of that path.
//
// The gateway, its tests included, knows the services only by URL
// (internal/archtest keeps it so). Its own behaviour (extraction, caching,
// single-flight, policy, refusal of forged tokens, the 503 of an auth that
// cannot answer) is tested in internal/gateway against the fake auth of
// internal/gateway/authn/authntest, which can misbehave on demand. What
// only the real auth can show is here: a session cookie or an API key
// that auth.Service issued, exchanged by it, and the tokens its signing
// manager signed reaching an upstream and verifying there; and a token of
// an outside OpenID provider (internal/platform/identity/oidctest, over
// HTTP) verified by the gateway and exchanged at the real auth as the
// gateway's assertion. The tests of the built binary are in cmd/portico.
//
// This package may import everything; it has no code besides its tests.
package e2e
