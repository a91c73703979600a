// Package analytics is the domain of the analytics service: player
// beacons, their rollups, and the metric queries of the dashboard.
//
// Ingest: a batch of beacons names an integration by its public delivery
// key, which a KeyResolver turns into an Integration (the service's one
// dependency on the configs service). Service.Ingest refuses the whole
// batch for an unknown key, a disabled integration, an origin the
// integration's domains do not allow (AllowsOrigin, the configs
// service's rules written again, fuzzed against a slow version) or an app
// that is not one of its bundle ids; it validates every beacon
// (Beacon.Validate: the limits of beacon.go, an event time within the
// clock skew ahead and the late window behind) and stores the valid ones
// through the Store, idempotently: (organization, session id, sequence)
// identifies a beacon and the first one stored wins. A refusal names the
// beacon's index, the field's JSON Pointer and a reason slug.
//
// Storage: a Store keeps raw beacons for the raw retention and rollups at
// minute, hour and day (UTC buckets) over integration, content id, stream
// type, platform, country and ISP, with additive sums, a startup-time
// Histogram and HyperLogLog sketches of sessions (NewSketch). The store
// adds exactly the beacons it stored to the rollups, in the same
// transaction. analyticsstore is the SQL implementation (SQLite, and
// PostgreSQL with daily partitions and COPY); analyticstest is its
// conformance suite and the accuracy property test.
//
// Queries: Overall, Timeseries, Breakdown, DimensionValues and
// IntegrationUsage check that the Principal (NewPrincipal, from the
// verified internal token) may read the organization: a member with any
// role, staff, or a machine principal of the organization with
// ScopeRead. ParseQuery reads a query from URL parameters. Each query is
// planned (plan.go): the timeframe is split into the coarsest rollup
// spans that cover it exactly (UTC days, hours, minutes at the edges),
// viewers are counted exactly from the raw beacons while they hold the
// whole timeframe and estimated from merged sketches beyond, and a query
// that would read too much is refused with ErrInvalid. docs/metrics.md
// gives every metric's formula, unit, source and exactness.
package analytics
