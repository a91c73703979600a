package accountshttp

import (
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/platform/httpjson"
)

type invitationJSON struct {
	ID     string `json:"id"`
	OrgID  string `json:"org_id"`
	Email  string `json:"email"`
	Role   string `json:"role"`
	Status string `json:"status"`
	// Expired reports whether a pending invitation's token has expired;
	// it can still be resent or revoked.
	Expired    bool       `json:"expired"`
	InvitedBy  string     `json:"invited_by"`
	CreatedAt  time.Time  `json:"created_at"`
	SentAt     time.Time  `json:"sent_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
	AcceptedBy string     `json:"accepted_by,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// toInvitation returns the JSON form of i as of now.
func toInvitation(i accounts.Invitation, now time.Time) invitationJSON {
	return invitationJSON{ID: i.ID, OrgID: i.OrgID, Email: i.Email, Role: string(i.Role), Status: string(i.Status),
		Expired: i.Expired(now), InvitedBy: i.InvitedBy, CreatedAt: i.CreatedAt, SentAt: i.SentAt, ExpiresAt: i.ExpiresAt,
		AcceptedAt: timeOrNil(i.AcceptedAt), AcceptedBy: i.AcceptedBy, RevokedAt: timeOrNil(i.RevokedAt)}
}

func invitationLocation(i accounts.Invitation) string {
	return "/v1/orgs/" + i.OrgID + "/invitations/" + i.ID
}

func (h *Handler) listInvitations(w http.ResponseWriter, r *http.Request, p accounts.Principal) {
	page, err := h.pageRequest(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	invs, err := h.svc.ListInvitations(r.Context(), p, r.PathValue("org"), page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.svc.Now()
	httpjson.Write(w, http.StatusOK, httpjson.ToPage(invs, func(i accounts.Invitation) invitationJSON { return toInvitation(i, now) }))
}

type newInvitationJSON struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

// invite creates an invitation and mails it (201). When the mail fails
// the invitation exists: 502 mail-not-sent with its Location and
// "invitation_id", so that it can be resent.
func (h *Handler) invite(w http.ResponseWriter, r *http.Request, p accounts.Principal) {
	var req newInvitationJSON
	if err := h.decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	var fe fieldErrors
	if accounts.ValidateEmail(req.Email) != nil {
		fe.add("/email", "must be a plain address, local@domain, of at most 254 bytes")
	}
	if !accounts.Role(req.Role).Valid() {
		fe.add("/role", "must be owner, admin, editor or viewer")
	}
	if err := fe.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	inv, err := h.svc.Invite(r.Context(), p, r.PathValue("org"), accounts.NewInvitation{Email: req.Email, Role: accounts.Role(req.Role)})
	if err != nil {
		h.failSaved(w, r, err, inv)
		return
	}
	w.Header().Set("Location", invitationLocation(inv))
	httpjson.Write(w, http.StatusCreated, toInvitation(inv, h.svc.Now()))
}

// failSaved writes err; when the invitation was saved although the
// request failed (its mail was not sent), the answer names it.
func (h *Handler) failSaved(w http.ResponseWriter, r *http.Request, err error, inv accounts.Invitation) {
	if inv.ID != "" {
		w.Header().Set("Location", invitationLocation(inv))
		err = &problemExtension{err: err, key: "invitation_id", value: inv.ID}
	}
	h.fail(w, r, err)
}

func (h *Handler) getInvitation(w http.ResponseWriter, r *http.Request, p accounts.Principal) {
	inv, err := h.svc.GetInvitation(r.Context(), p, r.PathValue("org"), r.PathValue("invitation"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toInvitation(inv, h.svc.Now()))
}

func (h *Handler) revokeInvitation(w http.ResponseWriter, r *http.Request, p accounts.Principal) {
	if err := h.svc.RevokeInvitation(r.Context(), p, r.PathValue("org"), r.PathValue("invitation")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// resendInvitation gives the invitation a new token and mails it (200);
// 429 with Retry-After within the resend interval.
func (h *Handler) resendInvitation(w http.ResponseWriter, r *http.Request, p accounts.Principal) {
	inv, err := h.svc.ResendInvitation(r.Context(), p, r.PathValue("org"), r.PathValue("invitation"))
	if err != nil {
		h.failSaved(w, r, err, inv)
		return
	}
	httpjson.Write(w, http.StatusOK, toInvitation(inv, h.svc.Now()))
}

// acceptInvitation accepts an invitation for a person without an
// account: public, the token is the credential. 201 with the new
// membership, 200 when the same request was answered before.
func (h *Handler) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	body, err := h.readJSON(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	req, err := parseAccept(body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	m, created, err := h.svc.AcceptInvitation(r.Context(), accounts.Acceptance{Token: req.Token, Password: req.Password, DisplayName: req.DisplayName})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeAccepted(w, m, created)
}

// acceptInvitationSignedIn accepts an invitation for the signed-in
// caller: 201 with the new membership, 200 with the one an earlier
// acceptance by the same caller made.
func (h *Handler) acceptInvitationSignedIn(w http.ResponseWriter, r *http.Request, p accounts.Principal) {
	body, err := h.readJSON(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	req, err := parseAcceptSignedIn(body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	m, created, err := h.svc.AcceptInvitationAs(r.Context(), p, req.Token)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeAccepted(w, m, created)
}

func writeAccepted(w http.ResponseWriter, m accounts.Member, created bool) {
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	httpjson.Write(w, status, toMember(m))
}
