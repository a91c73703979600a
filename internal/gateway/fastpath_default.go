//go:build !portico_fastpath

package gateway

// forceFastPath, when true, gives every service the fast path whatever its
// fast_path says: the gateway's tests run on it with
// `go test -tags portico_fastpath ./internal/gateway/`, so that each of them
// checks both paths.
const forceFastPath = false
