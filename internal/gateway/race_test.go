//go:build race

package gateway

// raceEnabled is true when the race detector is on: it allocates, and
// sync.Pool drops items at random under it, so allocation counts differ.
const raceEnabled = true
