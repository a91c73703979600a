//go:build !portico_nofrontdoor

package server

// testFrontDoor: every test's server has FrontDoor on (TLS ones ignore
// it); `go test -tags portico_nofrontdoor` runs them on net/http alone.
const testFrontDoor = true
