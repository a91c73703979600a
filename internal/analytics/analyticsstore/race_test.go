//go:build race

package analyticsstore

// AccuracyZones limits TestAccuracy to each scenario's first time zone
// under the race detector, which makes the whole set take many minutes on
// a loaded machine; .ci/run runs this package again without it, whole.
const AccuracyZones = 1

// CompactBeacons is how many beacons TestCompactRollups stores: fewer
// under the race detector, for the same reason.
const CompactBeacons = 1000
