package configshttp

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/httpjson"
)

type actorJSON struct {
	Kind         string `json:"kind"`
	ID           string `json:"id"`
	CredentialID string `json:"credential_id,omitempty"`
	Staff        bool   `json:"staff"`
}

type auditJSON struct {
	ID            string          `json:"id"`
	IntegrationID string          `json:"integration_id"`
	Actor         actorJSON       `json:"actor"`
	Action        string          `json:"action"`
	Message       string          `json:"message"`
	Diff          json.RawMessage `json:"diff"`
	CreatedAt     time.Time       `json:"created_at"`
}

func toAudit(e configs.AuditEntry) auditJSON {
	return auditJSON{ID: e.ID, IntegrationID: e.IntegrationID,
		Actor:  actorJSON{Kind: e.Actor.Kind, ID: e.Actor.ID, CredentialID: e.Actor.CredentialID, Staff: e.Actor.Staff},
		Action: string(e.Action), Message: e.Message, Diff: e.Diff, CreatedAt: e.CreatedAt}
}

// listAudit serves the organization's audit trail, newest first;
// ?integration= keeps one integration's entries.
func (h *Handler) listAudit(w http.ResponseWriter, r *http.Request, p configs.Principal) {
	page, err := h.pageRequest(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	es, err := h.svc.ListAuditEntries(r.Context(), p, r.PathValue("org"), r.URL.Query().Get("integration"), page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, httpjson.ToPage(es, toAudit))
}
