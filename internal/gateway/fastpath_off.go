//go:build portico_nofastpath

package gateway

import "github.com/portico-gw/portico/internal/gateway/config"

// fastPathFor: no service on the fast path (see fastpath_default.go).
func fastPathFor(*config.Service) bool { return false }
