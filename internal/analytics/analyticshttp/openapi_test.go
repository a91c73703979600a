package analyticshttp

import (
	"path/filepath"
	"testing"

	"github.com/portico-gw/portico/internal/platform/openapitest"
)

// loadOpenAPI returns api/analytics.yaml, for checking that what is
// served is what is described: the routes (TestRoutesMatchOpenAPI) and
// every response the tests see (env.send checks each).
func loadOpenAPI(tb testing.TB) *openapitest.Doc {
	tb.Helper()
	return openapitest.Load(tb, filepath.Join("..", "..", "..", "api", "analytics.yaml"))
}

// TestRoutesMatchOpenAPI checks that api/analytics.yaml describes exactly
// the routes the handler serves.
func TestRoutesMatchOpenAPI(t *testing.T) {
	var served []string
	for _, rt := range newEnv(t, Options{}).h.routes() {
		served = append(served, rt.pattern)
	}
	loadOpenAPI(t).CheckRoutes(t, served)
}
