//go:build !portico_nofrontdoor

package gateway

// testFrontDoor: the tests' gateways serve plain HTTP/1.1 on the front
// door, as cmd/portico does by default; `go test -tags
// portico_nofrontdoor` runs them on net/http's server alone.
const testFrontDoor = true
