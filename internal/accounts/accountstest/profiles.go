package accountstest

import (
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
)

func testProfilePutGet(t *testing.T, s accounts.Store) {
	_, err := s.GetProfile(ctx(t), "usr_ada")
	wantErr(t, "get before put", err, accounts.ErrNotFound)

	in := accounts.Profile{
		IdentityID:  "usr_ada",
		DisplayName: "Ada Lovelace",
		Timezone:    "Europe/London",
		Locale:      "en-gb",
		Preferences: map[string]any{
			"theme":   "dark",
			"density": 2.5,
			"beta":    true,
			"charts":  map[string]any{"granularity": "hour", "metrics": []any{"viewers", "offload"}},
		},
		UpdatedAt: t0,
	}
	got, err := s.PutProfile(ctx(t), in)
	mustNoErr(t, "put profile", err)
	want := in
	want.Locale = "en-GB"
	want.UpdatedAt = us(t0)
	wantEqual(t, "put profile", got, want)
	byID, err := s.GetProfile(ctx(t), "usr_ada")
	mustNoErr(t, "get profile", err)
	wantEqual(t, "got profile", byID, want)

	// Put replaces the whole profile; nil preferences become an empty object.
	later := t0.Add(time.Hour)
	repl := accounts.Profile{IdentityID: "usr_ada", UpdatedAt: later}
	got, err = s.PutProfile(ctx(t), repl)
	mustNoErr(t, "replace profile", err)
	want = accounts.Profile{IdentityID: "usr_ada", Preferences: map[string]any{}, UpdatedAt: us(later)}
	wantEqual(t, "replaced profile", got, want)
	byID, err = s.GetProfile(ctx(t), "usr_ada")
	mustNoErr(t, "get replaced profile", err)
	wantEqual(t, "got replaced profile", byID, want)

	_, err = s.GetProfile(ctx(t), "usr_bob")
	wantErr(t, "other identity", err, accounts.ErrNotFound)
}

func testProfileInvalid(t *testing.T, s accounts.Store) {
	for name, mutate := range map[string]func(*accounts.Profile){
		"bad identity":     func(p *accounts.Profile) { p.IdentityID = "usr ada" },
		"long name":        func(p *accounts.Profile) { p.DisplayName = strings.Repeat("a", accounts.MaxDisplayNameLen+1) },
		"control in name":  func(p *accounts.Profile) { p.DisplayName = "Ada\x00" },
		"unknown timezone": func(p *accounts.Profile) { p.Timezone = "Mars/Olympus_Mons" },
		"local timezone":   func(p *accounts.Profile) { p.Timezone = "Local" },
		"bad locale":       func(p *accounts.Profile) { p.Locale = "not a locale" },
		"unencodable pref": func(p *accounts.Profile) { p.Preferences = map[string]any{"f": func() {}} },
		"large prefs": func(p *accounts.Profile) {
			p.Preferences = map[string]any{"x": strings.Repeat("a", accounts.MaxPreferencesLen)}
		},
		"zero time": func(p *accounts.Profile) { p.UpdatedAt = time.Time{} },
	} {
		p := accounts.Profile{IdentityID: "usr_ada", Timezone: "UTC", Locale: "fr", UpdatedAt: t0}
		mutate(&p)
		_, err := s.PutProfile(ctx(t), p)
		wantErr(t, name, err, accounts.ErrInvalid)
	}
	_, err := s.GetProfile(ctx(t), "usr_ada")
	wantErr(t, "get after invalid puts", err, accounts.ErrNotFound)
}
