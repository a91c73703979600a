package analyticshttp

import (
	"errors"
	"net/http"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/platform/identity"
)

type route struct {
	pattern string
	handler http.Handler
}

// routes lists every route of the component; api/analytics.yaml describes
// the same set (a test checks both ways). Each route says who may call
// it: public (anyone: players post beacons through the gateway's public
// route, naming their integration by its delivery key) or authed (a
// person or a machine principal, from the gateway's internal token). The
// service has no internal routes.
func (h *Handler) routes() []route {
	authed := h.authed
	public := func(f http.HandlerFunc) http.Handler { return noStore(f) }
	const a = "/v1/orgs/{org}/analytics"
	return []route{
		{"POST /v1/beacons", public(h.postBeacons)},
		{"OPTIONS /v1/beacons", public(h.preflightBeacons)},

		{"GET " + a + "/overall", authed(h.overall)},
		{"GET " + a + "/timeseries", authed(h.timeseries)},
		{"GET " + a + "/breakdown", authed(h.breakdown)},
		{"GET " + a + "/dimensions", authed(h.dimensions)},
		{"GET " + a + "/dimensions/{dimension}", authed(h.dimensionValues)},
		{"GET " + a + "/usage", authed(h.usage)},
	}
}

// errNoClaims is an authed handler reached without verified claims, a
// bug.
var errNoClaims = errors.New("authed route reached without verified claims")

// authed wraps the handler of a /v1/orgs route: the internal token in
// "Authorization: Bearer" must verify (see identity.Verifier.Middleware)
// and make an analytics.Principal (a person, or a machine client or API
// key of one organization; 403 otherwise). Only then does f run, with
// it; the Service decides whether it may read the organization.
func (h *Handler) authed(f func(http.ResponseWriter, *http.Request, analytics.Principal)) http.Handler {
	return noStore(h.o.Verifier.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := identity.FromContext(r.Context())
		if !ok {
			h.fail(w, r, errNoClaims)
			return
		}
		p, err := analytics.NewPrincipal(c)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		f(w, r, p)
	})))
}

// noStore marks every answer uncacheable: a query's is one caller's view,
// an ingest's one batch's outcome.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
