//go:build !race

package observability

// raceEnabled is true when the race detector, which allocates, is on.
const raceEnabled = false
