package configshttp

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/identity"
)

// TestSettingsSchema checks GET /v1/settings-schema: the embedded schema,
// byte for byte, to every caller with an internal token who may read
// settings anywhere, cacheable, and 304 for a known ETag.
func TestSettingsSchema(t *testing.T) {
	e := newEnv(t, Options{})
	const path = "/v1/settings-schema"

	r := e.do(t, "GET", path, e.viewer(t), "")
	wantStatus(t, "viewer", r, http.StatusOK)
	if !bytes.Equal([]byte(r.raw), configs.SettingsSchema()) {
		t.Errorf("body: got %d bytes, want the embedded schema's %d", len(r.raw), len(configs.SettingsSchema()))
	}
	etag := r.header.Get("ETag")
	for h, want := range map[string]string{
		"Content-Type":  "application/schema+json",
		"Cache-Control": "public, max-age=300",
	} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s: got %q, want %q", h, got, want)
		}
	}
	if len(etag) != 34 || etag[0] != '"' {
		t.Errorf("ETag: got %q, want a strong tag of 32 hex digits", etag)
	}

	for _, tc := range []struct {
		name, token string
	}{
		{"person without organizations", e.sign(t, identity.Claims{Subject: "loner1", Kind: identity.KindUser, CredentialID: "ses_loner1"})},
		{"staff", e.staff(t)},
		{"configs:read", e.machine(t, orgA, configs.ScopeRead)},
		{"configs:write", e.machine(t, orgA, configs.ScopeWrite)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "GET", path, tc.token, "")
			wantStatus(t, tc.name, r, http.StatusOK)
			if r.header.Get("ETag") != etag {
				t.Errorf("ETag: got %q, want %q for everyone", r.header.Get("ETag"), etag)
			}
		})
	}

	for _, inm := range []string{etag, `W/` + etag, `"other", ` + etag, "*"} {
		r := e.send(t, req{method: "GET", path: path, token: e.viewer(t), header: map[string]string{"If-None-Match": inm}})
		wantStatus(t, "If-None-Match "+inm, r, http.StatusNotModified)
		if r.raw != "" || r.header.Get("ETag") != etag || r.header.Get("Cache-Control") != "public, max-age=300" {
			t.Errorf("If-None-Match %s: got body %q, headers %v", inm, r.raw, r.header)
		}
	}
	r = e.send(t, req{method: "GET", path: path, token: e.viewer(t), header: map[string]string{"If-None-Match": `"other"`}})
	wantStatus(t, "another ETag", r, http.StatusOK)

	wantProblem(t, "no token", e.do(t, "GET", path, "", ""), http.StatusUnauthorized, "unauthenticated")
	r = e.do(t, "GET", path, e.machine(t, orgA, "analytics:read"), "")
	wantProblem(t, "machine without a configs scope", r, http.StatusForbidden, "forbidden")
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("refusal: got Cache-Control %q, want no-store", cc)
	}
}
