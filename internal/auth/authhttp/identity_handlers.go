package authhttp

import (
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/httpjson"
)

type identityJSON struct {
	ID          string    `json:"id"`
	Email       string    `json:"email"`
	Status      string    `json:"status"`
	HasPassword bool      `json:"has_password"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func toIdentityJSON(i auth.Identity) identityJSON {
	return identityJSON{ID: i.ID, Email: i.Email, Status: string(i.Status), HasPassword: i.PasswordHash != "",
		CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt}
}

// writeCreated answers a request that created an identity, or that
// repeated one which did.
func writeCreated(w http.ResponseWriter, c auth.CreatedIdentity) {
	w.Header().Set("Location", "/v1/identities/"+c.Identity.ID)
	if c.Replayed {
		w.Header().Set(IdempotentReplayedHeader, "true")
	}
	httpjson.Write(w, http.StatusCreated, toIdentityJSON(c.Identity))
}

func (h *Handler) createIdentity(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	key, err := parseIdempotencyKey(r.Header.Values(IdempotencyKeyHeader))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body, err := h.readBody(w, r, "application/json")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	req, err := parseNewIdentity(body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.AdminCreateIdentity(r.Context(), p, auth.NewIdentity{Email: req.Email, Password: req.Password,
		IdempotencyKey: key, IP: h.o.ClientIP(r)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeCreated(w, c)
}

func (h *Handler) listIdentities(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	page, err := h.pageRequest(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ids, err := h.svc.ListIdentities(r.Context(), p, page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toPage(ids, toIdentityJSON))
}

func (h *Handler) getIdentity(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	i, err := h.svc.GetIdentity(r.Context(), p, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toIdentityJSON(i))
}

func (h *Handler) patchIdentity(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	mediaType := "application/json"
	if hasMediaType(r, "application/merge-patch+json") {
		mediaType = "application/merge-patch+json"
	}
	body, err := h.readBody(w, r, mediaType)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status, err := parseIdentityPatch(body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	i, err := h.svc.SetIdentityStatus(r.Context(), p, r.PathValue("id"), status, h.o.ClientIP(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toIdentityJSON(i))
}

// acceptInvitation creates the identity of an accepted invitation, for the
// accounts service (admitted by its workload token).
func (h *Handler) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	key, err := parseIdempotencyKey(r.Header.Values(IdempotencyKeyHeader))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body, err := h.readBody(w, r, "application/json")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	req, err := parseNewIdentity(body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.AcceptInvitation(r.Context(), auth.NewIdentity{Email: req.Email, Password: req.Password, IdempotencyKey: key})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeCreated(w, c)
}
