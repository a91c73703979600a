//go:build !race

package analyticsstore

// AccuracyZones: without the race detector, TestAccuracy asks every
// scenario's questions in every one of its time zones.
const AccuracyZones = 0

// CompactBeacons: without the race detector, TestCompactRollups stores
// all its beacons.
const CompactBeacons = 3000
