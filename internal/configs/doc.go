// Package configs is the domain of the configs service: each
// organization's integrations (a site or app using the player SDK), their
// allowed domains and app bundle ids, and their delivery settings.
//
// For now it holds the foundation, pure functions with no I/O:
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
// Planned, in the three-part shape of internal/auth: the integration and
// versioned settings types with the service and its Store interface
// (every change a new immutable version, restore, If-Match concurrency);
// configsstore, the SQL implementation on SQLite and PostgreSQL with its
// conformance suite; configshttp, the handlers, including the public,
// cacheable SDK config endpoint players fetch by delivery key, which will
// call AllowsOrigin and EffectiveSettings.
package configs
