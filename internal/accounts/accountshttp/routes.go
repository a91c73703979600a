package accountshttp

import (
	"errors"
	"net/http"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

type route struct {
	pattern string
	guarded
}

// guarded is a handler wrapped for who may call it.
type guarded struct {
	// access is accessAuthed, accessPublic or accessInternal.
	access  string
	handler http.Handler
}

// Who may call a route.
const (
	// accessAuthed routes need the gateway's internal token for a person.
	accessAuthed = "authed"
	// accessPublic routes take no credential: the request carries its own
	// (an invitation's token).
	accessPublic = "public"
	// accessInternal routes admit the named workloads only.
	accessInternal = "internal"
)

// routes lists every route of the component; api/accounts.yaml describes
// the same set (a test checks both ways). Each route says who may call
// it: authed (a person, from the gateway's internal token), public
// (anyone: the body carries its own credential) or internal (the named
// workloads).
func (h *Handler) routes() []route {
	authed := func(f func(http.ResponseWriter, *http.Request, accounts.Principal)) guarded {
		return guarded{accessAuthed, h.authed(f)}
	}
	public := func(f http.HandlerFunc) guarded { return guarded{accessPublic, noStore(f)} }
	internal := func(f http.HandlerFunc, callers ...string) guarded {
		return guarded{accessInternal, h.internal(f, callers...)}
	}
	return []route{
		{"GET /v1/orgs", authed(h.listOrgs)},
		{"POST /v1/orgs", authed(h.createOrg)},
		{"GET /v1/orgs/{org}", authed(h.getOrg)},
		{"PATCH /v1/orgs/{org}", authed(h.patchOrg)},
		{"GET /v1/orgs/{org}/members", authed(h.listMembers)},
		{"PUT /v1/orgs/{org}/members/{identity}", authed(h.putMember)},
		{"DELETE /v1/orgs/{org}/members/{identity}", authed(h.removeMember)},
		{"GET /v1/orgs/{org}/invitations", authed(h.listInvitations)},
		{"POST /v1/orgs/{org}/invitations", authed(h.invite)},
		{"GET /v1/orgs/{org}/invitations/{invitation}", authed(h.getInvitation)},
		{"DELETE /v1/orgs/{org}/invitations/{invitation}", authed(h.revokeInvitation)},
		{"POST /v1/orgs/{org}/invitations/{invitation}/resend", authed(h.resendInvitation)},
		{"POST /v1/invitations/accept", public(h.acceptInvitation)},
		{"POST /v1/invitations/accept-signed-in", authed(h.acceptInvitationSignedIn)},
		{"GET /v1/profile", authed(h.getProfile)},
		{"PUT /v1/profile", authed(h.putProfile)},

		{"GET /internal/v1/identities/{identity}/memberships", internal(h.identityMemberships, workload.Auth)},
		{"GET /internal/v1/orgs/{org}", internal(h.internalOrganization, workload.Auth, workload.Analytics)},
	}
}

// errNoClaims is an authed handler reached without verified claims, a
// bug.
var errNoClaims = errors.New("authed route reached without verified claims")

// authed wraps the handler of a /v1 route: the internal token in
// "Authorization: Bearer" must verify (see identity.Verifier.Middleware)
// and speak for a person (accounts.NewPrincipal: 403 for other kinds).
// Only then does f run, with that principal.
func (h *Handler) authed(f func(http.ResponseWriter, *http.Request, accounts.Principal)) http.Handler {
	return noStore(h.o.Verifier.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := identity.FromContext(r.Context())
		if !ok {
			h.fail(w, r, errNoClaims)
			return
		}
		p, err := accounts.NewPrincipal(c)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		f(w, r, p)
	})))
}

// internal wraps the /internal handlers: only the named callers, by their
// workload tokens.
func (h *Handler) internal(f http.HandlerFunc, callers ...string) http.Handler {
	return noStore(h.o.Workload.Admit(f, callers...))
}

// noStore marks every answer uncacheable: they are all one caller's view.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
