package upstream

import (
	"net/url"
	"sync/atomic"
)

// Target is one address of a service. Its identity is stable for as long
// as the address stays in the service, so per-target state (in-flight
// requests, consecutive failures, ejections, health) survives DNS refreshes.
type Target struct {
	url      *url.URL
	str      string
	probeURL string

	outstanding atomic.Int64
	failures    atomic.Int64 // consecutive failed attempts

	// Fields below are guarded by the owning Service's mu.
	healthy      bool
	removed      bool
	ejected      bool
	ejectedUntil int64 // on the service's clock
	ejections    int
	lastEjection int64 // length of the latest ejection
	returnedAt   int64
	probeOK      int // consecutive successful probes
	probeFailed  int // consecutive failed probes
}

func newTarget(u *url.URL, healthPath *url.URL) *Target {
	t := &Target{url: u, str: u.String(), healthy: true}
	if healthPath != nil {
		p := url.URL{Scheme: u.Scheme, Host: u.Host, Path: healthPath.Path, RawPath: healthPath.RawPath, RawQuery: healthPath.RawQuery}
		t.probeURL = p.String()
	}
	return t
}

// URL returns the target's base URL. Callers must not modify it.
func (t *Target) URL() *url.URL { return t.url }

// String returns the target's base URL as text.
func (t *Target) String() string { return t.str }

// Outstanding returns the number of attempts at the target in flight.
func (t *Target) Outstanding() int64 { return t.outstanding.Load() }

// eligibleLocked reports whether t may receive requests; the service's mu
// must be held.
func (t *Target) eligibleLocked() bool { return t.healthy && !t.ejected && !t.removed }
