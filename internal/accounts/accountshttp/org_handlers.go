package accountshttp

import (
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/platform/httpjson"
)

type planJSON struct {
	Name      string `json:"name"`
	ViewerCap int64  `json:"viewer_cap"`
}

type orgJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Slug      string    `json:"slug"`
	Plan      planJSON  `json:"plan"`
	Status    string    `json:"status"`
	Staff     bool      `json:"staff"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toOrg(o accounts.Organization) orgJSON {
	return orgJSON{ID: o.ID, Name: o.Name, Slug: o.Slug, Plan: planJSON{Name: o.Plan.Name, ViewerCap: o.Plan.ViewerCap},
		Status: string(o.Status), Staff: o.Staff, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

// checkName, checkSlug and checkPlan add the field errors of an
// organization's fields, as Organization.Validate would find them, but
// all at once and with pointers.
func checkName(fe *fieldErrors, name string) {
	if name == "" || len(name) > accounts.MaxNameLen {
		fe.add("/name", "must be 1 to 200 bytes of printable text")
	}
}

func checkSlug(fe *fieldErrors, slug string) {
	if !accounts.ValidSlug(slug) {
		fe.add("/slug", "must be 3 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit")
	}
}

func checkPlan(fe *fieldErrors, p planJSON) {
	if p.Name == "" || len(p.Name) > accounts.MaxPlanNameLen {
		fe.add("/plan/name", "must be 1 to 64 lower-case letters, digits, '-' or '_'")
	}
	if p.ViewerCap < 0 {
		fe.add("/plan/viewer_cap", "must not be negative")
	}
}

func (h *Handler) listOrgs(w http.ResponseWriter, r *http.Request, p accounts.Principal) {
	page, err := h.pageRequest(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	if len(q["q"]) > 1 || len(q["status"]) > 1 {
		h.fail(w, r, accounts.NewError(accounts.ErrInvalid, "give q and status at most once each"))
		return
	}
	f := accounts.OrgFilter{Query: q.Get("q"), Status: accounts.OrgStatus(q.Get("status"))}
	orgs, err := h.svc.ListOrganizations(r.Context(), p, f, page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, httpjson.ToPage(orgs, toOrg))
}

type newOrgJSON struct {
	Name  string   `json:"name"`
	Slug  string   `json:"slug"`
	Plan  planJSON `json:"plan"`
	Owner string   `json:"owner"`
}

// createOrg creates an organization (201); with an Idempotency-Key, a
// retry answers 201 with the organization the first request created and
// Idempotent-Replayed: true.
func (h *Handler) createOrg(w http.ResponseWriter, r *http.Request, p accounts.Principal) {
	key, err := parseIdempotencyKey(r.Header.Values(IdempotencyKeyHeader))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req newOrgJSON
	if err := h.decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	var fe fieldErrors
	checkName(&fe, req.Name)
	checkSlug(&fe, req.Slug)
	checkPlan(&fe, req.Plan)
	if req.Owner != "" && !accounts.ValidIdentityID(req.Owner) {
		fe.add("/owner", "must be an identity id")
	}
	if err := fe.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	o, replayed, err := h.svc.CreateOrganization(r.Context(), p, accounts.NewOrganization{Name: req.Name, Slug: req.Slug,
		Plan: accounts.Plan{Name: req.Plan.Name, ViewerCap: req.Plan.ViewerCap}, Owner: req.Owner, IdempotencyKey: key})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/orgs/"+o.ID)
	if replayed {
		w.Header().Set(IdempotentReplayedHeader, "true")
	}
	httpjson.Write(w, http.StatusCreated, toOrg(o))
}

func (h *Handler) getOrg(w http.ResponseWriter, r *http.Request, p accounts.Principal) {
	o, err := h.svc.GetOrganization(r.Context(), p, r.PathValue("org"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toOrg(o))
}

type orgPatchJSON struct {
	Name   *string   `json:"name"`
	Slug   *string   `json:"slug"`
	Plan   *planJSON `json:"plan"`
	Status *string   `json:"status"`
}

func (h *Handler) patchOrg(w http.ResponseWriter, r *http.Request, p accounts.Principal) {
	var req orgPatchJSON
	if err := h.decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	var (
		fe    fieldErrors
		patch = accounts.OrganizationPatch{Name: req.Name, Slug: req.Slug}
	)
	if req.Name != nil {
		checkName(&fe, *req.Name)
	}
	if req.Slug != nil {
		checkSlug(&fe, *req.Slug)
	}
	if req.Plan != nil {
		checkPlan(&fe, *req.Plan)
		patch.Plan = &accounts.Plan{Name: req.Plan.Name, ViewerCap: req.Plan.ViewerCap}
	}
	if req.Status != nil {
		s := accounts.OrgStatus(*req.Status)
		if !s.Valid() {
			fe.add("/status", "must be active or suspended")
		}
		patch.Status = &s
	}
	if err := fe.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	o, err := h.svc.UpdateOrganization(r.Context(), p, r.PathValue("org"), patch)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toOrg(o))
}
