//go:build portico_nofrontdoor

package gateway

// testFrontDoor: see frontdoor_on_test.go.
const testFrontDoor = false
