//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package h1

import (
	"os"
	"syscall"
)

// writeWait writes a request that is whole in memory and waits until the
// connection is readable, in one pass through the runtime's poller: the
// response is then read at once, without the read that would have found
// nothing yet (EAGAIN) before parking. The readiness the poller reports is
// only ever the one that follows the write: RawConn.Read clears what the
// poller knew before calling f, and f writes only after that.
type writeWait struct {
	rc      syscall.RawConn // nil when the connection has no file descriptor
	step    func(fd uintptr) bool
	out     []byte
	wrote   int
	err     error
	waiting bool
}

func (w *writeWait) init(nc any) {
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			w.rc = rc
			w.step = w.stepFD
		}
	}
}

// stepFD is RawConn.Read's callback: its first call writes out without
// blocking and asks to wait for readability; the next one, after the
// poller reported it, ends the wait without reading.
func (w *writeWait) stepFD(fd uintptr) bool {
	if w.waiting {
		return true
	}
	for w.wrote < len(w.out) {
		n, err := syscall.Write(int(fd), w.out[w.wrote:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			w.err = err // EAGAIN too: the rest is written the ordinary way
			return true
		}
		w.wrote += n
	}
	w.waiting = true
	return false
}

// do writes b and waits for the response's first bytes (or the
// connection's end, or the deadline). It reports how much of b was
// written, and a write error other than EAGAIN. A failed wait is not an
// error here: the read that follows meets the same deadline or end, and
// reports it as it always does.
func (w *writeWait) do(b []byte) (int, error) {
	if w.rc == nil {
		return 0, nil
	}
	w.out, w.wrote, w.err, w.waiting = b, 0, nil, false
	w.rc.Read(w.step)
	n, err := w.wrote, w.err
	w.out, w.err = nil, nil
	if err == syscall.EAGAIN || err == syscall.EWOULDBLOCK {
		err = nil
	}
	if err != nil {
		return n, os.NewSyscallError("write", err)
	}
	return n, nil
}

// usable reports whether the connection has a file descriptor to wait on.
func (w *writeWait) usable() bool { return w.rc != nil }
