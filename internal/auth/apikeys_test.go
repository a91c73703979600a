package auth_test

import (
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

func TestAPIKeys(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	_, p := admin(t, env, "adm@example.com", "org_acme")
	viewer := mustIdentity(t, env, "viewer@example.com")
	env.Dir.SetMemberships(viewer.ID, auth.Membership{OrgID: "org_acme", Role: auth.RoleViewer})
	vp := mustPrincipal(t, env, mustLogin(t, env, "viewer@example.com", "").Token)

	k, key, err := env.Service.CreateAPIKey(t.Context(), p, "org_acme", auth.CreateAPIKeyRequest{Name: "ci", Scopes: []string{"configs:read"}})
	mustNoErr(t, "create", err)
	if want := env.Clock.Now().Add(365 * 24 * time.Hour); k.ExpiresAt == nil || !k.ExpiresAt.Equal(want) {
		t.Errorf("got expiry %v, want the default maximum %v", k.ExpiresAt, want)
	}
	if lookup, _, err := auth.ParseAPIKey(key); err != nil || lookup != k.ID {
		t.Errorf("got key for %s (%v), want %s", lookup, err, k.ID)
	}
	for name, req := range map[string]auth.CreateAPIKeyRequest{
		"past expiry":     {Name: "x", ExpiresAt: new(env.Clock.Now().Add(-time.Second))},
		"expiry too late": {Name: "x", ExpiresAt: new(env.Clock.Now().Add(400 * 24 * time.Hour))},
		"empty name":      {},
		"bad scope":       {Name: "x", Scopes: []string{"ALL"}},
	} {
		_, _, err := env.Service.CreateAPIKey(t.Context(), p, "org_acme", req)
		wantErr(t, name, err, auth.ErrInvalid)
	}
	_, _, err = env.Service.CreateAPIKey(t.Context(), vp, "org_acme", auth.CreateAPIKeyRequest{Name: "x"})
	wantErr(t, "viewer creates", err, auth.ErrForbidden)
	_, err = env.Service.ListAPIKeys(t.Context(), vp, "org_acme", auth.PageRequest{})
	wantErr(t, "viewer lists", err, auth.ErrForbidden)
	wantErr(t, "viewer revokes", env.Service.RevokeAPIKey(t.Context(), vp, "org_acme", k.ID), auth.ErrForbidden)

	page, err := env.Service.ListAPIKeys(t.Context(), p, "org_acme", auth.PageRequest{})
	mustNoErr(t, "list", err)
	if len(page.Items) != 1 || page.Items[0].ID != k.ID {
		t.Errorf("got %d keys, want just %s", len(page.Items), k.ID)
	}
	wantErr(t, "revoke in another org", env.Service.RevokeAPIKey(t.Context(), auth.Principal{Staff: true}, "org_other", k.ID), auth.ErrNotFound)
	env.Clock.Advance(time.Second)
	mustNoErr(t, "revoke", env.Service.RevokeAPIKey(t.Context(), p, "org_acme", k.ID))

	audit, err := env.Service.ListAudit(t.Context(), p, "org_acme", auth.PageRequest{})
	mustNoErr(t, "audit", err)
	if len(audit.Items) != 2 || audit.Items[0].Kind != "api_key.revoked" || audit.Items[1].Kind != "api_key.created" {
		t.Errorf("got audit %+v, want api_key.revoked then api_key.created", audit.Items)
	}
	_, err = env.Service.ListAudit(t.Context(), vp, "org_acme", auth.PageRequest{})
	wantErr(t, "viewer reads audit", err, auth.ErrForbidden)
}
