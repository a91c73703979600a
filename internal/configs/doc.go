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
// previous key accepted until its overlap ends after RotateDeliveryKey)
// and SettingsVersion (immutable, numbered 1, 2, 3... per integration,
// its ETag `"v<N>"`, appended with an expected version so that a stale
// If-Match is ErrConflict). configsstore is the SQL implementation on
// SQLite and PostgreSQL; configstest is the conformance suite it runs on
// both.
//
// Planned: the service type (restore of an old version as a new one) and
// configshttp, the handlers, including the public,
// cacheable SDK config endpoint players fetch by delivery key, which will
// call AllowsOrigin and EffectiveSettings.
package configs
