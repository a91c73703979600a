package auth_test

import (
	"slices"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
	"github.com/portico-gw/portico/internal/platform/identity"
)

// TestExchangeCarriesResource: the internal token of a machine client
// names the audiences its access token was minted for, so that the
// gateway can hold a route to one API.
func TestExchangeCarriesResource(t *testing.T) {
	const billing, reports = "https://api.example.com/billing", "https://api.example.com/reports"
	env := authtest.NewEnv(t, auth.Options{Audiences: []string{billing, reports}})
	_, p := admin(t, env, "adm@example.com", "org_acme")
	c, _ := mustClient(t, env, p, "org_acme", false, "analytics:read")
	for _, tc := range []struct {
		name            string
		requested, want []string
	}{
		{"default", nil, []string{billing}},
		{"one", []string{reports}, []string{reports}},
		{"both, once each", []string{reports, billing, reports}, []string{reports, billing}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := env.Service.ClientCredentials(t.Context(), c, nil, tc.requested)
			mustNoErr(t, "grant", err)
			ex, err := env.Service.Exchange(t.Context(), tok.AccessToken, auth.CredentialBearer)
			mustNoErr(t, "exchange", err)
			got, err := env.Issuer.VerifyInternalToken(ex.Token)
			mustNoErr(t, "verify internal token", err)
			if !slices.Equal(got.Resources, tc.want) {
				t.Errorf("got resource %q, want %q", got.Resources, tc.want)
			}
		})
	}
}

func TestExchange(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	id, p := admin(t, env, "adm@example.com", "org_acme")
	env.Dir.SetMemberships(id.ID, auth.Membership{OrgID: "org_acme", Role: auth.RoleAdmin}, auth.Membership{OrgID: "org_beta", Role: auth.RoleViewer})
	ses := mustLogin(t, env, "adm@example.com", "192.0.2.1")
	_, key, err := env.Service.CreateAPIKey(t.Context(), p, "org_acme", auth.CreateAPIKeyRequest{Name: "ci", Scopes: []string{"configs:read"}})
	mustNoErr(t, "create api key", err)
	c, _ := mustClient(t, env, p, "org_acme", false, "analytics:read")
	tok, err := env.Service.ClientCredentials(t.Context(), c, nil, nil)
	mustNoErr(t, "grant", err)

	for _, tc := range []struct {
		name, credential, kind string
		want                   identity.Claims
	}{
		{"session", ses.Token, auth.CredentialSession, identity.Claims{Subject: id.ID, Kind: identity.KindUser,
			Orgs: []identity.OrgRole{{ID: "org_acme", Role: "admin"}, {ID: "org_beta", Role: "viewer"}}, CredentialID: ses.Session.ID}},
		{"session detected", ses.Token, "", identity.Claims{Subject: id.ID, Kind: identity.KindUser,
			Orgs: []identity.OrgRole{{ID: "org_acme", Role: "admin"}, {ID: "org_beta", Role: "viewer"}}, CredentialID: ses.Session.ID}},
		{"api key", key, auth.CredentialAPIKey, identity.Claims{Kind: identity.KindAPIKey,
			Orgs: []identity.OrgRole{{ID: "org_acme", Role: auth.RoleScoped}}, Scopes: []string{"configs:read"}}},
		{"bearer detected", tok.AccessToken, "", identity.Claims{Subject: c.ID, Kind: identity.KindClient, ClientID: c.ID,
			Orgs: []identity.OrgRole{{ID: "org_acme", Role: auth.RoleScoped}}, Scopes: []string{"analytics:read"},
			Resources: []string{auth.DefaultAudience}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex, err := env.Service.Exchange(t.Context(), tc.credential, tc.kind)
			mustNoErr(t, "exchange", err)
			got, err := env.Issuer.VerifyInternalToken(ex.Token)
			mustNoErr(t, "verify internal token", err)
			if tc.want.Subject != "" && got.Subject != tc.want.Subject {
				t.Errorf("got subject %s, want %s", got.Subject, tc.want.Subject)
			}
			if got.Kind != tc.want.Kind || !slices.Equal(got.Orgs, tc.want.Orgs) || !slices.Equal(got.Scopes, tc.want.Scopes) {
				t.Errorf("got (kind %s, orgs %v, scopes %v), want (%s, %v, %v)", got.Kind, got.Orgs, got.Scopes, tc.want.Kind, tc.want.Orgs, tc.want.Scopes)
			}
			if tc.want.CredentialID != "" && got.CredentialID != tc.want.CredentialID {
				t.Errorf("got sid %s, want %s", got.CredentialID, tc.want.CredentialID)
			}
			if got.ClientID != tc.want.ClientID {
				t.Errorf("got client_id %q, want %q", got.ClientID, tc.want.ClientID)
			}
			if !slices.Equal(got.Resources, tc.want.Resources) {
				t.Errorf("got resource %q, want %q", got.Resources, tc.want.Resources)
			}
			if ex.Subject != got.Subject || !ex.ExpiresAt.Equal(got.Expiry) || ex.CacheTTL != 30*time.Second {
				t.Errorf("got result %+v, want subject %s, expiry %v, cache ttl 30s", ex, got.Subject, got.Expiry)
			}
			if life := got.Expiry.Sub(env.Clock.Now()); life <= 0 || life > 2*time.Minute {
				t.Errorf("got internal token life %v, want at most 2m", life)
			}
		})
	}
	t.Run("api key use is recorded", func(t *testing.T) {
		lookup, _, _ := auth.ParseAPIKey(key)
		k, err := env.Store.GetAPIKey(t.Context(), lookup)
		mustNoErr(t, "get key", err)
		if k.LastUsedAt == nil || !k.LastUsedAt.Equal(env.Clock.Now()) {
			t.Errorf("got last used %v, want %v", k.LastUsedAt, env.Clock.Now())
		}
	})
	t.Run("access token expiry bounds the internal token", func(t *testing.T) {
		env.Clock.Advance(4*time.Minute + 50*time.Second)
		ex, err := env.Service.Exchange(t.Context(), tok.AccessToken, "")
		mustNoErr(t, "exchange", err)
		if ex.CacheTTL != 10*time.Second || ex.ExpiresAt.Sub(env.Clock.Now()) != 10*time.Second {
			t.Errorf("got (cache ttl %v, life %v), want (10s, 10s)", ex.CacheTTL, ex.ExpiresAt.Sub(env.Clock.Now()))
		}
		env.Clock.Advance(10 * time.Second)
		_, err = env.Service.Exchange(t.Context(), tok.AccessToken, "")
		wantErr(t, "expired access token", err, auth.ErrUnauthenticated)
	})
	t.Run("refused", func(t *testing.T) {
		lookup, _, _ := auth.ParseAPIKey(key)
		mustNoErr(t, "revoke key", env.Service.RevokeAPIKey(t.Context(), p, "org_acme", lookup))
		mustNoErr(t, "logout", env.Service.Logout(t.Context(), mustPrincipal(t, env, ses.Token), ""))
		_, forged, _, _ := auth.GenerateAPIKey()
		for name, tc := range map[string]struct{ credential, kind string }{
			"revoked api key": {key, ""},
			"revoked session": {ses.Token, auth.CredentialSession},
			"unknown api key": {forged, ""},
			"garbage":         {"hello", ""},
			"forged jwt":      {"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", auth.CredentialBearer},
			"kind mismatch":   {ses.Token, auth.CredentialAPIKey},
		} {
			_, err := env.Service.Exchange(t.Context(), tc.credential, tc.kind)
			wantErr(t, name, err, auth.ErrUnauthenticated)
		}
		_, err := env.Service.Exchange(t.Context(), ses.Token, "password")
		wantErr(t, "unknown kind", err, auth.ErrInvalid)
	})
}
