package auth

import (
	"sync"
	"time"
)

// maxHotAddresses bounds the addresses hotAddresses counts in one window,
// so a flood from many addresses cannot grow its map without end; the
// failures of further addresses still count in the total.
const maxHotAddresses = 10_000

// hotAddresses notices one address making most of the sign-in failures of
// a window: an attack from one place, or, as often, many people behind
// one NAT or a proxy whose clients all look like the proxy, which the
// address limit would then hold up together. It counts in this process
// only; each replica warns about what it sees.
type hotAddresses struct {
	min    int
	window time.Duration

	mu     sync.Mutex
	start  time.Time
	total  int
	byIP   map[string]int
	warned time.Time
}

func newHotAddresses(min int, window time.Duration) *hotAddresses {
	return &hotAddresses{min: min, window: window, byIP: map[string]int{}}
}

// failed counts a failure from ip at now. It returns the address's and
// the window's failures, and warn true when the address has made at least
// min of them and more than half, and no warning was given in the last
// window.
func (h *hotAddresses) failed(ip string, now time.Time) (n, total int, warn bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now.Sub(h.start) >= h.window || now.Before(h.start) {
		h.start, h.total = now, 0
		clear(h.byIP)
	}
	h.total++
	if ip == "" {
		return 0, h.total, false
	}
	if _, ok := h.byIP[ip]; ok || len(h.byIP) < maxHotAddresses {
		h.byIP[ip]++
	}
	n = h.byIP[ip]
	warn = n >= h.min && 2*n > h.total && (h.warned.IsZero() || now.Sub(h.warned) >= h.window)
	if warn {
		h.warned = now
	}
	return n, h.total, warn
}
