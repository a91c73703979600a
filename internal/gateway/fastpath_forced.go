//go:build portico_fastpath

package gateway

// forceFastPath: see fastpath_default.go.
const forceFastPath = true
