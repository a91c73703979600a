package configshttp

import (
	"crypto/sha256"
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/httpjson"
)

type integrationJSON struct {
	ID                   string     `json:"id"`
	OrgID                string     `json:"org_id"`
	Name                 string     `json:"name"`
	Environment          string     `json:"environment"`
	Status               string     `json:"status"`
	DeliveryKey          string     `json:"delivery_key"`
	PreviousDeliveryKey  string     `json:"previous_delivery_key,omitempty"`
	PreviousKeyExpiresAt *time.Time `json:"previous_key_expires_at,omitempty"`
	Domains              []string   `json:"domains"`
	BundleIDs            []string   `json:"bundle_ids"`
	CreatedAt            time.Time  `json:"created_at"`
	UpdatedAt            time.Time  `json:"updated_at"`
}

func toIntegration(in configs.Integration) integrationJSON {
	out := integrationJSON{ID: in.ID, OrgID: in.OrgID, Name: in.Name, Environment: string(in.Environment),
		Status: string(in.Status), DeliveryKey: in.DeliveryKey, PreviousDeliveryKey: in.PreviousDeliveryKey,
		Domains: make([]string, len(in.Domains)), BundleIDs: make([]string, len(in.BundleIDs)),
		CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt}
	if !in.PreviousKeyExpiresAt.IsZero() {
		t := in.PreviousKeyExpiresAt
		out.PreviousKeyExpiresAt = &t
	}
	for i, d := range in.Domains {
		out.Domains[i] = d.String()
	}
	for i, b := range in.BundleIDs {
		out.BundleIDs[i] = string(b)
	}
	return out
}

func (h *Handler) listIntegrations(w http.ResponseWriter, r *http.Request, p configs.Principal) {
	page, err := h.pageRequest(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ins, err := h.svc.ListIntegrations(r.Context(), p, r.PathValue("org"), page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, httpjson.ToPage(ins, toIntegration))
}

type newIntegrationJSON struct {
	Name        string   `json:"name"`
	Environment string   `json:"environment"`
	Domains     []string `json:"domains"`
	BundleIDs   []string `json:"bundle_ids"`
}

func (h *Handler) createIntegration(w http.ResponseWriter, r *http.Request, p configs.Principal) {
	key, err := parseIdempotencyKey(r.Header.Values(IdempotencyKeyHeader))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req newIntegrationJSON
	body, err := h.decodeJSON(w, r, &req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	fp := sha256.Sum256(body)
	c, err := h.svc.CreateIntegration(r.Context(), p, r.PathValue("org"), configs.NewIntegration{Name: req.Name,
		Environment: configs.Environment(req.Environment), Domains: req.Domains, BundleIDs: req.BundleIDs,
		IdempotencyKey: key, Fingerprint: fp[:]})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/orgs/"+c.Integration.OrgID+"/integrations/"+c.Integration.ID)
	if c.Replayed {
		w.Header().Set(IdempotentReplayedHeader, "true")
	}
	httpjson.Write(w, http.StatusCreated, toIntegration(c.Integration))
}

func (h *Handler) getIntegration(w http.ResponseWriter, r *http.Request, p configs.Principal) {
	in, err := h.svc.GetIntegration(r.Context(), p, r.PathValue("org"), r.PathValue("integration"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toIntegration(in))
}

type patchIntegrationJSON struct {
	Name        *string   `json:"name"`
	Environment *string   `json:"environment"`
	Domains     *[]string `json:"domains"`
	BundleIDs   *[]string `json:"bundle_ids"`
	Status      *string   `json:"status"`
}

func (h *Handler) patchIntegration(w http.ResponseWriter, r *http.Request, p configs.Principal) {
	var req patchIntegrationJSON
	if _, err := h.decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	u := configs.IntegrationPatch{Name: req.Name, Domains: req.Domains, BundleIDs: req.BundleIDs}
	if req.Environment != nil {
		e := configs.Environment(*req.Environment)
		u.Environment = &e
	}
	if req.Status != nil {
		s := configs.IntegrationStatus(*req.Status)
		u.Status = &s
	}
	in, err := h.svc.UpdateIntegration(r.Context(), p, r.PathValue("org"), r.PathValue("integration"), u)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toIntegration(in))
}

func (h *Handler) deleteIntegration(w http.ResponseWriter, r *http.Request, p configs.Principal) {
	if err := h.svc.DeleteIntegration(r.Context(), p, r.PathValue("org"), r.PathValue("integration")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type rotateJSON struct {
	// OverlapSeconds is how long the current key keeps working; nil
	// means configs.DefaultKeyOverlap.
	OverlapSeconds *int64 `json:"overlap_seconds"`
}

func (h *Handler) rotateDeliveryKey(w http.ResponseWriter, r *http.Request, p configs.Principal) {
	body, err := h.readJSON(w, r, true)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req rotateJSON
	if len(body) > 0 {
		if err := decodeStrict(body, &req); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	overlap := configs.DefaultKeyOverlap
	if s := req.OverlapSeconds; s != nil {
		if *s < 0 || *s > int64(configs.MaxKeyOverlap/time.Second) {
			h.fail(w, r, fieldsProblem(configs.FieldError{Pointer: "/overlap_seconds", Detail: "must be 0 to 2592000"}))
			return
		}
		overlap = time.Duration(*s) * time.Second
	}
	in, err := h.svc.RotateDeliveryKey(r.Context(), p, r.PathValue("org"), r.PathValue("integration"), overlap)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toIntegration(in))
}
