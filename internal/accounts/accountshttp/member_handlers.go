package accountshttp

import (
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/platform/httpjson"
)

// memberJSON is a member as teammates see them: display_name and email
// are always present, "" when not known.
type memberJSON struct {
	OrgID       string    `json:"org_id"`
	IdentityID  string    `json:"identity_id"`
	Role        string    `json:"role"`
	DisplayName string    `json:"display_name"`
	Email       string    `json:"email"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func toMember(m accounts.Member) memberJSON {
	return memberJSON{OrgID: m.OrgID, IdentityID: m.IdentityID, Role: string(m.Role), DisplayName: m.DisplayName,
		Email: m.Email, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

func (h *Handler) listMembers(w http.ResponseWriter, r *http.Request, p accounts.Principal) {
	page, err := h.pageRequest(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ms, err := h.svc.ListMembers(r.Context(), p, r.PathValue("org"), page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, httpjson.ToPage(ms, toMember))
}

type putMemberJSON struct {
	Role string `json:"role"`
}

// putMember adds a member (201) or changes a member's role (200).
func (h *Handler) putMember(w http.ResponseWriter, r *http.Request, p accounts.Principal) {
	var req putMemberJSON
	if err := h.decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	var fe fieldErrors
	if !accounts.Role(req.Role).Valid() {
		fe.add("/role", "must be owner, admin, editor or viewer")
	}
	if err := fe.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	m, created, err := h.svc.PutMember(r.Context(), p, r.PathValue("org"), r.PathValue("identity"), accounts.Role(req.Role))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	httpjson.Write(w, status, toMember(m))
}

func (h *Handler) removeMember(w http.ResponseWriter, r *http.Request, p accounts.Principal) {
	if err := h.svc.RemoveMember(r.Context(), p, r.PathValue("org"), r.PathValue("identity")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
