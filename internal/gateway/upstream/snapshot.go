package upstream

import "time"

// ServiceState is a point-in-time view of a service, for debugging
// endpoints and tests.
type ServiceState struct {
	Name    string       `json:"name"`
	Breaker BreakerState `json:"breaker"`
	// PanicRouting is true while no target is eligible and requests go to
	// every target instead.
	PanicRouting bool          `json:"panic_routing"`
	Targets      []TargetState `json:"targets"`
}

// TargetState is a point-in-time view of one target.
type TargetState struct {
	URL string `json:"url"`
	// Healthy is false when active health checks marked the target down.
	Healthy bool `json:"healthy"`
	// Ejected is true while outlier detection keeps the target out, until
	// EjectedUntil.
	Ejected      bool      `json:"ejected"`
	EjectedUntil time.Time `json:"ejected_until,omitzero"`
	// Ejections counts the target's recent ejections; the next one lasts
	// one base ejection longer.
	Ejections int `json:"ejections"`
	// Eligible is true when the target may receive requests; during panic
	// routing ineligible targets receive them too.
	Eligible bool `json:"eligible"`
	// Outstanding is the number of attempts in flight.
	Outstanding int64 `json:"outstanding"`
	// ConsecutiveFailures counts failed attempts since the last success.
	ConsecutiveFailures int64 `json:"consecutive_failures"`
}

// Snapshot returns the service's current state. Ejections that have ended
// are applied first.
func (s *Service) Snapshot() ServiceState {
	now := s.clock.nanos()
	s.mu.Lock()
	returned := s.rebuildLocked(now)
	st := ServiceState{Name: s.name, Breaker: s.breaker.state(), PanicRouting: s.panicking.Load(), Targets: make([]TargetState, 0, len(s.targets))}
	for _, t := range s.targets {
		ts := TargetState{
			URL:                 t.str,
			Healthy:             t.healthy,
			Ejected:             t.ejected,
			Ejections:           t.ejections,
			Eligible:            t.eligibleLocked(),
			Outstanding:         t.outstanding.Load(),
			ConsecutiveFailures: t.failures.Load(),
		}
		if t.ejected {
			ts.EjectedUntil = s.clock.at(t.ejectedUntil)
		}
		st.Targets = append(st.Targets, ts)
	}
	s.mu.Unlock()
	s.announceReturned(returned)
	return st
}

// MarshalText encodes the state as its name.
func (st BreakerState) MarshalText() ([]byte, error) {
	return []byte(st.String()), nil
}
