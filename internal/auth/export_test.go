package auth

// SetHashHook makes s call f as each argon2id computation starts, with the
// number running, that one included. Call it before s is used.
func SetHashHook(s *Service, f func(inFlight int)) { s.hashes.enter = f }
