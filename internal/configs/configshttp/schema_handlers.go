package configshttp

import (
	"net/http"
	"strconv"

	"github.com/portico-gw/portico/internal/configs"
)

// settingsSchemaCacheControl lets browsers and shared caches keep the
// schema five minutes: it is the same for every caller and changes only
// with a release, and the ETag makes revalidation cheap afterwards.
const settingsSchemaCacheControl = "public, max-age=300"

// settingsSchema answers the JSON Schema of delivery settings documents,
// or 304 when If-None-Match lists its ETag. The authed wrapper's no-store
// stays on refusals; a success replaces it.
func (h *Handler) settingsSchema(w http.ResponseWriter, r *http.Request, p configs.Principal) {
	doc, err := h.svc.DeliverySettingsSchema(r.Context(), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Cache-Control", settingsSchemaCacheControl)
	hd.Set("ETag", doc.ETag)
	if inm := r.Header["If-None-Match"]; len(inm) > 0 && etagListMatches(inm, doc.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Type", "application/schema+json")
	hd.Set("Content-Length", strconv.Itoa(len(doc.Body)))
	w.WriteHeader(http.StatusOK)
	w.Write(doc.Body)
}
