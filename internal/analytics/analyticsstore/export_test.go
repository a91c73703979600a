package analyticsstore

// PretendCompactionLoop makes s behave as if RunCompactions ran, without
// running it: InsertBeacons then only asks for merges. The function it
// returns reports whether a merge was asked for since its last call, and
// stop ends the pretence.
func PretendCompactionLoop(s *Store) (asked func() bool, stop func()) {
	s.compactLoops.Add(1)
	asked = func() bool {
		select {
		case <-s.compactDue:
			return true
		default:
			return false
		}
	}
	return asked, func() { s.compactLoops.Add(-1) }
}
