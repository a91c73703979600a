package auth_test

import (
	"testing"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

// TestSuspendedOrganizationStopsItsMachines: suspending an organization
// (the directory says it is not active) stops its API keys and OAuth
// clients everywhere auth looks at them (the exchange, the token
// endpoint's client authentication, introspection), and resuming it
// brings them back; they are not revoked.
func TestSuspendedOrganizationStopsItsMachines(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	_, p := admin(t, env, "adm@example.com", "org_acme")
	_, key, err := env.Service.CreateAPIKey(t.Context(), p, "org_acme", auth.CreateAPIKeyRequest{Name: "ci"})
	mustNoErr(t, "create api key", err)
	c, secret := mustClient(t, env, p, "org_acme", false, "analytics:read")
	tok, err := env.Service.ClientCredentials(t.Context(), c, nil, nil)
	mustNoErr(t, "grant", err)
	_, ops := admin(t, env, "ops@example.com", "org_ops")
	staffOrg, _ := mustClient(t, env, ops, "org_ops", false, "auth:introspect")
	env.Dir.SetOrganization("org_ops", auth.OrgInfo{Active: true, Staff: true})

	env.Dir.SetOrganization("org_acme", auth.OrgInfo{Active: false})
	_, err = env.Service.Exchange(t.Context(), key, auth.CredentialAPIKey)
	wantErr(t, "exchange an api key of a suspended organization", err, auth.ErrUnauthenticated)
	_, err = env.Service.Exchange(t.Context(), tok.AccessToken, auth.CredentialBearer)
	wantErr(t, "exchange an access token of a suspended organization", err, auth.ErrUnauthenticated)
	_, err = env.Service.AuthenticateClient(t.Context(), c.ID, secret)
	wantErr(t, "authenticate a client of a suspended organization", err, auth.ErrUnauthenticated)
	for name, token := range map[string]string{"api key": key, "access token": tok.AccessToken} {
		in, err := env.Service.Introspect(t.Context(), staffOrg, token, "")
		mustNoErr(t, "introspect "+name, err)
		if in.Active {
			t.Errorf("introspect %s of a suspended organization: got active", name)
		}
	}

	env.Dir.SetOrganization("org_acme", auth.OrgInfo{Active: true})
	for name, tc := range map[string]struct{ credential, kind string }{
		"api key": {key, auth.CredentialAPIKey}, "access token": {tok.AccessToken, auth.CredentialBearer},
	} {
		if _, err := env.Service.Exchange(t.Context(), tc.credential, tc.kind); err != nil {
			t.Errorf("exchange %s after the organization is active again: %v", name, err)
		}
		in, err := env.Service.Introspect(t.Context(), staffOrg, tc.credential, "")
		mustNoErr(t, "introspect "+name, err)
		if !in.Active {
			t.Errorf("the staff organization's client introspecting another organization's %s: got inactive", name)
		}
	}
}
