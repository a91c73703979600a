//go:build race

package analyticsstore

// AccuracyZones limits TestAccuracy to each scenario's first time zone
// under the race detector, which makes the whole set take many minutes on
// a loaded machine; .ci/run runs this package again without it, whole.
const AccuracyZones = 1
