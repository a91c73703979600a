//go:build !race

package analyticsstore

// AccuracyZones: without the race detector, TestAccuracy asks every
// scenario's questions in every one of its time zones.
const AccuracyZones = 0
