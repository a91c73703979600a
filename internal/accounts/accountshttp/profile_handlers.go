package accountshttp

import (
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/platform/httpjson"
)

type profileJSON struct {
	IdentityID  string         `json:"identity_id"`
	DisplayName string         `json:"display_name"`
	Timezone    string         `json:"timezone"`
	Locale      string         `json:"locale"`
	Preferences map[string]any `json:"preferences"`
	UpdatedAt   *time.Time     `json:"updated_at,omitempty"`
}

func toProfile(p accounts.Profile) profileJSON {
	prefs := p.Preferences
	if prefs == nil {
		prefs = map[string]any{}
	}
	return profileJSON{IdentityID: p.IdentityID, DisplayName: p.DisplayName, Timezone: p.Timezone, Locale: p.Locale,
		Preferences: prefs, UpdatedAt: timeOrNil(p.UpdatedAt)}
}

func (h *Handler) getProfile(w http.ResponseWriter, r *http.Request, p accounts.Principal) {
	pr, err := h.svc.Profile(r.Context(), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toProfile(pr))
}

type putProfileJSON struct {
	DisplayName string         `json:"display_name"`
	Timezone    string         `json:"timezone"`
	Locale      string         `json:"locale"`
	Preferences map[string]any `json:"preferences"`
}

func (h *Handler) putProfile(w http.ResponseWriter, r *http.Request, p accounts.Principal) {
	var req putProfileJSON
	if err := h.decodeJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	var fe fieldErrors
	if len(req.DisplayName) > accounts.MaxDisplayNameLen {
		fe.add("/display_name", "must be at most 200 bytes of printable text")
	}
	if _, err := accounts.CanonicalLocale(req.Locale); err != nil {
		fe.add("/locale", "must be a BCP 47 tag such as en-US")
	}
	if err := fe.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	pr, err := h.svc.PutProfile(r.Context(), p, accounts.ProfileUpdate{DisplayName: req.DisplayName,
		Timezone: req.Timezone, Locale: req.Locale, Preferences: req.Preferences})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toProfile(pr))
}
