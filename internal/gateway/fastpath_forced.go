//go:build portico_fastpath

package gateway

import "github.com/portico-gw/portico/internal/gateway/config"

// fastPathFor: every service but an h2c one on the fast path (see
// fastpath_default.go).
func fastPathFor(sc *config.Service) bool { return !sc.H2C }
