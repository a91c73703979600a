package accountshttp

import (
	"net/http"

	"github.com/portico-gw/portico/internal/platform/httpjson"
)

type identityMembershipJSON struct {
	OrgID     string `json:"org_id"`
	Role      string `json:"role"`
	OrgStatus string `json:"org_status"`
	Staff     bool   `json:"staff"`
}

type identityMembershipsJSON struct {
	IdentityID  string                   `json:"identity_id"`
	Memberships []identityMembershipJSON `json:"memberships"`
	// Staff reports whether the identity belongs to the staff
	// organization: the "staff" claim of its tokens.
	Staff bool `json:"staff"`
}

// identityMemberships answers the auth service, which makes the "orgs"
// and "staff" claims of an identity's tokens from it.
func (h *Handler) identityMemberships(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("identity")
	ms, err := h.svc.IdentityMemberships(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := identityMembershipsJSON{IdentityID: id, Memberships: make([]identityMembershipJSON, len(ms))}
	for i, m := range ms {
		out.Memberships[i] = identityMembershipJSON{OrgID: m.OrgID, Role: string(m.Role), OrgStatus: string(m.Status), Staff: m.Staff}
		out.Staff = out.Staff || m.Staff
	}
	httpjson.Write(w, http.StatusOK, out)
}

// internalOrgJSON is what the auth and analytics services need to know
// of an organization.
type internalOrgJSON struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Staff     bool   `json:"staff"`
	ViewerCap int64  `json:"viewer_cap"`
}

// internalOrganization answers the auth service, which refuses the API
// keys and clients of a suspended organization and lets the staff
// organization's clients introspect any credential, and the analytics
// service, which applies the plan's viewer cap.
func (h *Handler) internalOrganization(w http.ResponseWriter, r *http.Request) {
	o, err := h.svc.InternalOrganization(r.Context(), r.PathValue("org"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, internalOrgJSON{ID: o.ID, Status: string(o.Status), Staff: o.Staff,
		ViewerCap: o.Plan.ViewerCap})
}
