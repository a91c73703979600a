// Package configs is the domain of the configs service: each
// organization's integrations (a site or app using the player SDK), their
// allowed domains and app bundle ids, and their delivery settings.
//
// It holds the pure functions with no I/O:
//
//   - ParseDomain and Domains.AllowsOrigin: the allowed-domain rules (see
//     ParseDomain for each of them) and the check of an Origin or Referer
//     against them. AllowsOrigin runs on every SDK config request, so it
//     allocates nothing (BenchmarkAllowsOrigin) and FuzzAllowsOrigin holds
//     it to a slow reference written from the rules.
//   - ParseBundleID: the reverse-DNS id of an app.
//   - ValidateSettings and EffectiveSettings: the delivery settings
//     document, checked by the embedded JSON Schema
//     (schema/delivery-settings.json, draft 2020-12) and by the checks a
//     schema cannot make, every problem with its JSON Pointer; and the
//     settings of one named property, merged over the defaults.
//
// And the records with their Store interface: Integration (an ID from
// NewIntegrationID, a public delivery key from NewDeliveryKey, with the
// previous key accepted until its overlap ends after RotateDeliveryKey),
// SettingsVersion (immutable, numbered 1, 2, 3... per integration, its
// ETag `"v<N>"`, appended with an expected version so that a stale
// If-Match fails), AuditEntry (one per change, with its RFC 6902 Diff,
// written in the change's transaction), IdempotencyRecord (the first
// answer to a POST with an Idempotency-Key) and the change revision every
// change increments. configsstore is the SQL implementation on SQLite and
// PostgreSQL; configstest is the conformance suite it runs on both.
//
// Service applies the permission rules (see its documentation) to a
// Principal made from the verified internal token (NewPrincipal): the
// roles the token carries for people, the one organization and the
// configs:read and configs:write scopes for machine principals, staff for
// support. Every query is scoped by organization; an organization the
// caller is not in is ErrNotFound. Creating an integration also stores
// DefaultSettings as its version 1, so an integration always has
// settings; a restore is a new version with an old document.
//
// Snapshot is what the public SDK config endpoint serves: every
// integration by delivery key with the response of each property made
// ahead (EffectiveSettings, and BypassSettings for a bypassed
// integration, which turns every peer-to-peer flag the schema knows off),
// held by the Service behind an atomic pointer. The Service reloads it
// after each of its own changes and, through RefreshSnapshot, whenever
// the store's revision moves, so that a request reads memory only.
//
// configshttp serves all of it over HTTP.
package configs
