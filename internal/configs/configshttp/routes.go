package configshttp

import (
	"errors"
	"net/http"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

type route struct {
	pattern string
	handler http.Handler
}

// routes lists every route of the component; api/configs.yaml describes
// the same set (a test checks both ways). Each route says who may call
// it: authed (a person or a machine principal, from the gateway's
// internal token), internal (the named workloads) or public (anyone: the
// SDK config, which players fetch through the gateway's public route).
func (h *Handler) routes() []route {
	authed := h.authed
	const in = "/v1/orgs/{org}/integrations/{integration}"
	return []route{
		{"GET /v1/orgs/{org}/integrations", authed(h.listIntegrations)},
		{"POST /v1/orgs/{org}/integrations", authed(h.createIntegration)},
		{"GET " + in, authed(h.getIntegration)},
		{"PATCH " + in, authed(h.patchIntegration)},
		{"DELETE " + in, authed(h.deleteIntegration)},
		{"POST " + in + "/delivery-key/rotate", authed(h.rotateDeliveryKey)},
		{"GET " + in + "/settings", authed(h.getSettings)},
		{"PUT " + in + "/settings", authed(h.putSettings)},
		{"POST " + in + "/settings/validate", authed(h.validateSettings)},
		{"GET " + in + "/settings/versions", authed(h.listVersions)},
		{"GET " + in + "/settings/versions/{version}", authed(h.getVersion)},
		{"POST " + in + "/settings/versions/{version}/restore", authed(h.restoreVersion)},
		{"GET " + in + "/settings/diff", authed(h.diffSettings)},
		{"GET /v1/orgs/{org}/config-audit", authed(h.listAudit)},
		{"GET /v1/settings-schema", authed(h.settingsSchema)},

		{"GET /v1/sdk/config/{key}", http.HandlerFunc(h.sdkConfig)},

		{"GET /internal/v1/delivery-keys/{key}", h.internal(h.deliveryKey, workload.Analytics)},
	}
}

// errNoClaims is an authed handler reached without verified claims, a
// bug.
var errNoClaims = errors.New("authed route reached without verified claims")

// authed wraps the handler of a /v1/orgs route, and of the settings
// schema: the internal token in
// "Authorization: Bearer" must verify (see identity.Verifier.Middleware)
// and make a configs.Principal. Only then does f run, with it.
func (h *Handler) authed(f func(http.ResponseWriter, *http.Request, configs.Principal)) http.Handler {
	return noStore(h.o.Verifier.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := identity.FromContext(r.Context())
		if !ok {
			h.fail(w, r, errNoClaims)
			return
		}
		p, err := configs.NewPrincipal(c)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		f(w, r, p)
	})))
}

// internal wraps the /internal handlers: only the named callers, by their
// workload tokens. The handlers set their own caching.
func (h *Handler) internal(f http.HandlerFunc, callers ...string) http.Handler {
	return h.o.Workload.Admit(f, callers...)
}

// noStore marks every answer uncacheable: they are all one caller's view.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
