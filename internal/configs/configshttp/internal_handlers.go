package configshttp

import (
	"net/http"
	"strconv"
	"time"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/httpjson"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// Cache lifetimes of the delivery-key lookup: the analytics service may
// keep an answer this long, so a rotation or a status change reaches
// ingestion within it.
const (
	deliveryKeyCacheControl        = "max-age=30"
	unknownDeliveryKeyCacheControl = "max-age=10"
)

type deliveryKeyJSON struct {
	IntegrationID string `json:"integration_id"`
	OrgID         string `json:"org_id"`
	Status        string `json:"status"`
	Environment   string `json:"environment"`
	// Previous is true when the key is the integration's previous one,
	// accepted until PreviousKeyExpiresAt.
	Previous             bool       `json:"previous"`
	PreviousKeyExpiresAt *time.Time `json:"previous_key_expires_at,omitempty"`
	// Domains and BundleIDs are the integration's allowed origins and
	// apps in their canonical form (Domain.String, as stored), so that
	// analytics checks a beacon batch's origin as the SDK config
	// endpoint does. Never null: an empty list allows loopback only.
	Domains   []string `json:"domains"`
	BundleIDs []string `json:"bundle_ids"`
}

// deliveryKey answers the analytics service, which checks the delivery
// key of every beacon batch against it (and caches the answer).
func (h *Handler) deliveryKey(w http.ResponseWriter, r *http.Request) {
	in, previous, err := h.svc.LookupDeliveryKey(r.Context(), r.PathValue("key"))
	if configs.Code(err) == configs.ErrNotFound {
		writeCacheableProblem(w, r, problem.NotFound("No such delivery key."), unknownDeliveryKeyCacheControl)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := deliveryKeyJSON{IntegrationID: in.ID, OrgID: in.OrgID, Status: string(in.Status),
		Environment: string(in.Environment), Previous: previous,
		Domains: make([]string, len(in.Domains)), BundleIDs: make([]string, len(in.BundleIDs))}
	for i, d := range in.Domains {
		out.Domains[i] = d.String()
	}
	for i, b := range in.BundleIDs {
		out.BundleIDs[i] = string(b)
	}
	if previous {
		t := in.PreviousKeyExpiresAt
		out.PreviousKeyExpiresAt = &t
	}
	w.Header().Set("Cache-Control", deliveryKeyCacheControl)
	httpjson.Write(w, http.StatusOK, out)
}

// writeCacheableProblem writes p like problem.Write, but cacheable for
// the given Cache-Control: a negative answer callers may keep.
func writeCacheableProblem(w http.ResponseWriter, r *http.Request, p *problem.Problem, cacheControl string) {
	if p.Instance == "" {
		p.Instance = r.URL.Path
	}
	body, err := p.MarshalJSON()
	if err != nil {
		problem.Write(w, r, problem.Internal())
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", problem.ContentType)
	hd.Set("Cache-Control", cacheControl)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(p.Status)
	w.Write(append(body, '\n'))
}
