//go:build !portico_fastpath && !portico_nofastpath

package gateway

import "github.com/portico-gw/portico/internal/gateway/config"

// fastPathFor reports whether service sc sends through the fast path's
// client: its fast_path (default true, false for h2c). The gateway's tests
// run on one path for every service, whatever the configuration says,
// with `go test -tags portico_fastpath` or `-tags portico_nofastpath`
// (net/http's Transport), so that each of them checks both paths.
func fastPathFor(sc *config.Service) bool { return sc.FastPathOn() && !sc.H2C }
