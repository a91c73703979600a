//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package h1

// writeWait: see writewait_unix.go. Elsewhere a request is written, and its
// response read, the ordinary way.
type writeWait struct{}

func (w *writeWait) init(any) {}

func (w *writeWait) do([]byte) (int, error) { return 0, nil }

func (w *writeWait) usable() bool { return false }
