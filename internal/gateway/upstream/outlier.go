package upstream

import "time"

// ejectFailing ejects t, which has just reached the consecutive failure
// threshold, unless that would eject more than the allowed share of
// targets or the last eligible one. Either way its failure count starts
// again, so a refused ejection is reconsidered after as many new failures.
func (s *Service) ejectFailing(t *Target) {
	now := s.clock.nanos()
	s.mu.Lock()
	if t.removed || t.ejected || t.failures.Load() < int64(s.outlier.ConsecutiveFailures) {
		s.mu.Unlock()
		return
	}
	t.failures.Store(0)
	returned := s.rebuildLocked(now)
	ejected, othersEligible := 0, 0
	for _, o := range s.targets {
		if o.ejected {
			ejected++
		}
		if o != t && o.eligibleLocked() {
			othersEligible++
		}
	}
	allowed := len(s.targets) * s.outlier.MaxEjectedPercent / 100
	if ejected+1 > allowed || (t.eligibleLocked() && othersEligible == 0) {
		s.mu.Unlock()
		s.log.Warn("upstream target failing but not ejected: ejection cap reached", "target", t.str, "ejected", ejected, "max_ejected_percent", s.outlier.MaxEjectedPercent)
		s.announceReturned(returned)
		return
	}
	if t.ejections > 0 && now-t.returnedAt >= t.lastEjection {
		// It stayed well for as long as it was last out: start counting anew.
		t.ejections = 0
	}
	t.ejections++
	length := int64(s.outlier.BaseEjection) * int64(t.ejections)
	t.ejected = true
	t.ejectedUntil = now + length
	t.lastEjection = length
	count := t.ejections
	s.rebuildLocked(now)
	s.mu.Unlock()
	s.announceReturned(returned)
	s.log.Warn("upstream target ejected", "target", t.str, "for", time.Duration(length), "ejections", count)
	s.announceEjection(t, true)
}

func (s *Service) announceReturned(returned []*Target) {
	for _, t := range returned {
		s.log.Info("upstream target returned from ejection", "target", t.str)
		s.announceEjection(t, false)
	}
}
