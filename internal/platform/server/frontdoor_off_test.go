//go:build portico_nofrontdoor

package server

// testFrontDoor: see frontdoor_on_test.go.
const testFrontDoor = false
