package authhttp

import (
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/httpjson"
)

type apiKeyJSON struct {
	ID         string     `json:"id"`
	OrgID      string     `json:"org_id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// Key is set only in the answer to its creation.
	Key string `json:"key,omitempty"`
}

func toAPIKeyJSON(k auth.APIKey) apiKeyJSON {
	scopes := k.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return apiKeyJSON{ID: k.ID, OrgID: k.OrgID, Name: k.Name, Scopes: scopes, CreatedBy: k.IdentityID,
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

type createAPIKeyRequest struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expires_at"`
}

func (h *Handler) createAPIKey(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req createAPIKeyRequest
	if err := h.decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	k, key, err := h.svc.CreateAPIKey(r.Context(), p, r.PathValue("org"), auth.CreateAPIKeyRequest{Name: req.Name, Scopes: req.Scopes, ExpiresAt: req.ExpiresAt})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := toAPIKeyJSON(k)
	out.Key = key
	httpjson.Write(w, http.StatusCreated, out)
}

func (h *Handler) listAPIKeys(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	page, err := h.pageRequest(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	keys, err := h.svc.ListAPIKeys(r.Context(), p, r.PathValue("org"), page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toPage(keys, toAPIKeyJSON))
}

func (h *Handler) revokeAPIKey(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if err := h.svc.RevokeAPIKey(r.Context(), p, r.PathValue("org"), r.PathValue("id")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type clientJSON struct {
	ClientID      string     `json:"client_id"`
	OrgID         string     `json:"org_id"`
	Name          string     `json:"name"`
	Scopes        []string   `json:"scopes"`
	RefreshTokens bool       `json:"refresh_tokens"`
	CreatedBy     string     `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty"`
	// ClientSecret is set only in the answer to its creation.
	ClientSecret string `json:"client_secret,omitempty"`
}

func toClientJSON(c auth.Client) clientJSON {
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return clientJSON{ClientID: c.ID, OrgID: c.OrgID, Name: c.Name, Scopes: scopes, RefreshTokens: c.RefreshTokens,
		CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, RevokedAt: c.RevokedAt}
}

type createClientRequest struct {
	Name          string   `json:"name"`
	Scopes        []string `json:"scopes"`
	RefreshTokens bool     `json:"refresh_tokens"`
}

func (h *Handler) createClient(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req createClientRequest
	if err := h.decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	c, secret, err := h.svc.CreateClient(r.Context(), p, r.PathValue("org"), auth.CreateClientRequest{Name: req.Name, Scopes: req.Scopes, RefreshTokens: req.RefreshTokens})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := toClientJSON(c)
	out.ClientSecret = secret
	httpjson.Write(w, http.StatusCreated, out)
}

func (h *Handler) listClients(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	page, err := h.pageRequest(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	clients, err := h.svc.ListClients(r.Context(), p, r.PathValue("org"), page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toPage(clients, toClientJSON))
}

func (h *Handler) revokeClient(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if err := h.svc.RevokeClient(r.Context(), p, r.PathValue("org"), r.PathValue("id")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type auditJSON struct {
	ID      string            `json:"id"`
	At      time.Time         `json:"at"`
	OrgID   string            `json:"org_id"`
	ActorID string            `json:"actor_id,omitempty"`
	Kind    string            `json:"kind"`
	IP      string            `json:"ip,omitempty"`
	Detail  map[string]string `json:"detail"`
}

func toAuditJSON(e auth.AuditEvent) auditJSON {
	return auditJSON{ID: e.ID, At: e.At, OrgID: e.OrgID, ActorID: e.ActorID, Kind: e.Kind, IP: e.IP, Detail: e.Detail}
}

func (h *Handler) listAudit(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	page, err := h.pageRequest(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	events, err := h.svc.ListAudit(r.Context(), p, r.PathValue("org"), page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toPage(events, toAuditJSON))
}
