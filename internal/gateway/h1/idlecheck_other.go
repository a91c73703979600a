//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package h1

// idleCheck: see idlecheck_unix.go. Elsewhere a pooled connection is taken
// as it is; a response read on it that fails before its first byte is
// retried as on a stale connection.
type idleCheck struct{}

func (c *idleCheck) init(any) {}

func (c *idleCheck) clean() bool { return true }
