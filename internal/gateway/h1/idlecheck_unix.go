//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package h1

import (
	"syscall"
)

// idleCheck looks, without blocking, for anything an idle connection
// received while it sat in the pool: data nobody asked for, or the
// upstream's close. net/http's Transport notices both with a read loop
// goroutine per connection; here one non-blocking MSG_PEEK costs one system
// call when a pooled connection is taken. Data would otherwise be read as
// the next request's response.
type idleCheck struct {
	rc   syscall.RawConn // nil when the connection has no file descriptor
	buf  [1]byte
	n    int
	err  error
	peek func(fd uintptr) // the method value, made once
}

func (c *idleCheck) init(nc any) {
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			c.rc = rc
			c.peek = c.peekFD
		}
	}
}

func (c *idleCheck) peekFD(fd uintptr) {
	c.n, _, c.err = syscall.Recvfrom(int(fd), c.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
}

// clean reports whether the connection received nothing and is open. The
// peek goes through Control, not Read: a pooled connection may keep the
// deadline of its last exchange (see conn.roundTrip), past by now, which
// Read would report instead of peeking.
func (c *idleCheck) clean() bool {
	if c.rc == nil {
		return true
	}
	if err := c.rc.Control(c.peek); err != nil {
		return false
	}
	return c.err == syscall.EAGAIN || c.err == syscall.EWOULDBLOCK
}
