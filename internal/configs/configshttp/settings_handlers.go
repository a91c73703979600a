package configshttp

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/httpjson"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// versionJSON is a settings version; the document is the stored JSON as
// it was written.
type versionJSON struct {
	IntegrationID string          `json:"integration_id"`
	Version       int             `json:"version"`
	ETag          string          `json:"etag"`
	Document      json.RawMessage `json:"document"`
	Author        string          `json:"author"`
	Message       string          `json:"message"`
	CreatedAt     time.Time       `json:"created_at"`
}

func toVersion(v configs.SettingsVersion) versionJSON {
	return versionJSON{IntegrationID: v.IntegrationID, Version: v.Version, ETag: v.ETag(), Document: v.Document,
		Author: v.Author, Message: v.Message, CreatedAt: v.CreatedAt}
}

// versionSummaryJSON is a version in a list: without its document.
type versionSummaryJSON struct {
	Version   int       `json:"version"`
	ETag      string    `json:"etag"`
	Author    string    `json:"author"`
	Message   string    `json:"message"`
	CreatedAt time.Time `json:"created_at"`
}

func toVersionSummary(v configs.SettingsVersion) versionSummaryJSON {
	return versionSummaryJSON{Version: v.Version, ETag: v.ETag(), Author: v.Author, Message: v.Message, CreatedAt: v.CreatedAt}
}

// writeVersion answers with a version and its ETag.
func writeVersion(w http.ResponseWriter, status int, v configs.SettingsVersion) {
	w.Header().Set("ETag", v.ETag())
	httpjson.Write(w, status, toVersion(v))
}

func (h *Handler) getSettings(w http.ResponseWriter, r *http.Request, p configs.Principal) {
	v, err := h.svc.CurrentSettings(r.Context(), p, r.PathValue("org"), r.PathValue("integration"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeVersion(w, http.StatusOK, v)
}

// settingsJSON is the body of a settings change or a dry run.
type settingsJSON struct {
	Document json.RawMessage `json:"document"`
	Message  string          `json:"message"`
}

// decodeSettings reads a settingsJSON whose document is present.
func (h *Handler) decodeSettings(w http.ResponseWriter, r *http.Request) (settingsJSON, error) {
	var req settingsJSON
	if _, err := h.decodeJSON(w, r, &req); err != nil {
		return settingsJSON{}, err
	}
	if len(req.Document) == 0 || string(req.Document) == "null" {
		return settingsJSON{}, fieldsProblem(configs.FieldError{Pointer: configs.SettingsDocumentPointer, Detail: "is required"})
	}
	return req, nil
}

func (h *Handler) putSettings(w http.ResponseWriter, r *http.Request, p configs.Principal) {
	expected, err := parseIfMatch(r.Header.Values("If-Match"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	req, err := h.decodeSettings(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.svc.SetSettings(r.Context(), p, r.PathValue("org"), r.PathValue("integration"), expected, req.Document, req.Message)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeVersion(w, http.StatusOK, v)
}

type validationJSON struct {
	Valid bool `json:"valid"`
	// Effective is the settings a player gets with no property: the
	// defaults of the document.
	Effective json.RawMessage `json:"effective"`
}

func (h *Handler) validateSettings(w http.ResponseWriter, r *http.Request, p configs.Principal) {
	req, err := h.decodeSettings(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	eff, err := h.svc.ValidateSettingsDocument(r.Context(), p, r.PathValue("org"), r.PathValue("integration"), req.Document)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, validationJSON{Valid: true, Effective: eff})
}

func (h *Handler) listVersions(w http.ResponseWriter, r *http.Request, p configs.Principal) {
	page, err := h.pageRequest(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	vs, err := h.svc.ListSettingsVersions(r.Context(), p, r.PathValue("org"), r.PathValue("integration"), page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, httpjson.ToPage(vs, toVersionSummary))
}

// versionNumber parses a version number of the path or the query: a
// number that is not one is a version that does not exist.
func versionNumber(s string) (int, bool) {
	if !configs.ValidVersionKey(s) {
		return 0, false
	}
	n, _ := strconv.Atoi(s)
	return n, true
}

func errNoVersion() error { return configs.NewError(configs.ErrNotFound, "no such settings version") }

func (h *Handler) getVersion(w http.ResponseWriter, r *http.Request, p configs.Principal) {
	n, ok := versionNumber(r.PathValue("version"))
	if !ok {
		h.fail(w, r, errNoVersion())
		return
	}
	v, err := h.svc.GetSettingsVersion(r.Context(), p, r.PathValue("org"), r.PathValue("integration"), n)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeVersion(w, http.StatusOK, v)
}

type restoreJSON struct {
	Message string `json:"message"`
}

func (h *Handler) restoreVersion(w http.ResponseWriter, r *http.Request, p configs.Principal) {
	expected, err := parseIfMatch(r.Header.Values("If-Match"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	n, ok := versionNumber(r.PathValue("version"))
	if !ok {
		h.fail(w, r, errNoVersion())
		return
	}
	body, err := h.readJSON(w, r, true)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req restoreJSON
	if len(body) > 0 {
		if err := decodeStrict(body, &req); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	v, err := h.svc.RestoreSettingsVersion(r.Context(), p, r.PathValue("org"), r.PathValue("integration"), n, expected, req.Message)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeVersion(w, http.StatusCreated, v)
}

type diffJSON struct {
	From  int             `json:"from"`
	To    int             `json:"to"`
	Patch json.RawMessage `json:"patch"`
}

func (h *Handler) diffSettings(w http.ResponseWriter, r *http.Request, p configs.Principal) {
	q := r.URL.Query()
	from, okFrom := versionNumber(q.Get("from"))
	to, okTo := versionNumber(q.Get("to"))
	var fields []configs.FieldError
	if !okFrom {
		fields = append(fields, configs.FieldError{Pointer: "/from", Detail: "must be a version number"})
	}
	if !okTo {
		fields = append(fields, configs.FieldError{Pointer: "/to", Detail: "must be a version number"})
	}
	if len(fields) > 0 {
		h.fail(w, r, problem.New(http.StatusBadRequest, "invalid-argument", "Invalid argument",
			"Query parameters from and to must be version numbers; see errors.").With("errors", fields))
		return
	}
	patch, err := h.svc.DiffSettings(r.Context(), p, r.PathValue("org"), r.PathValue("integration"), from, to)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, diffJSON{From: from, To: to, Patch: patch})
}
