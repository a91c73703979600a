// Package signing holds the auth service's signing keys and issues the
// JWTs signed with them: RFC 9068 access tokens for machine clients and
// the short-lived internal tokens every Portico service verifies (see
// package identity). It also serves the keys' public halves as a JWK Set
// and the OpenID discovery document that points at it.
//
// # Key life cycle
//
// Every key moves through four instants, stored with it:
//
//	created ──PublishAhead──▶ activates ──RotateEvery──▶ retires ──MaxTokenLifetime+CacheMargin──▶ expires
//	│ published, not signing │ published and signing  │ published, not signing              │ deleted
//
// With the defaults a key is published 24 hours before it first signs,
// signs for 30 days, and stays published for 2 hours after its last
// signature (1 hour of longest token lifetime plus 1 hour of margin).
//
// Pre-publication is what lets verifiers learn a key before any token
// uses it: the JWK Set is served with a Cache-Control max-age (15
// minutes by default) far shorter than PublishAhead, so every verifier
// that honours it has refetched many times before the first token signed
// with the new key reaches it, and never needs its rate-limited
// unknown-kid refetch. New refuses options where PublishAhead does not
// exceed JWKSMaxAge plus CheckInterval.
//
// Retention is what keeps tokens valid across a rotation: a retired key's
// public half stays published until every token it signed has expired.
// Tokens live at most MaxTokenLifetime (issuing refuses longer ones), and
// CacheMargin covers clocks that disagree and replicas that learn of an
// early retirement only at their next CheckInterval.
//
// # Several replicas, one database
//
// Keys live in a KeyStore shared by all replicas. Each key has a
// generation, unique in the store: the first key is generation 1 and each
// successor the next. Replicas that decide at the same moment that a key
// is needed all try to create the same generation; the store lets one
// succeed and the others re-read and use its key, so two replicas starting
// together end with one active key. A replica signs with the
// highest-generation key whose activation has come and whose retirement
// has not, a decision it takes from its cached copy of the store at every
// signature, so replicas switch keys at the same instant without talking.
//
// Private keys are stored sealed with AES-256-GCM under a key-encryption
// key (KEK) that never reaches the database, with the kid as associated
// data so a sealed key cannot be moved to another kid. They are opened only
// inside the Manager, which never hands them out.
package signing
