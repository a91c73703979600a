package auth_test

import (
	"testing"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

func TestIntrospectAndRevoke(t *testing.T) {
	// The introspecting client is staff, so it sees every kind of
	// credential; TestIntrospectOtherOrganization covers the others.
	env := authtest.NewEnv(t, auth.Options{StaffOrgID: "org_acme"})
	id, p := admin(t, env, "adm@example.com", "org_acme")
	rs, _ := mustClient(t, env, p, "org_acme", false, "auth:introspect")
	c, _ := mustClient(t, env, p, "org_acme", true, "analytics:read")
	other, _ := mustClient(t, env, p, "org_acme", false)
	ses := mustLogin(t, env, "adm@example.com", "")
	_, key, err := env.Service.CreateAPIKey(t.Context(), p, "org_acme", auth.CreateAPIKeyRequest{Name: "ci"})
	mustNoErr(t, "create key", err)
	tok, err := env.Service.ClientCredentials(t.Context(), c, nil, nil)
	mustNoErr(t, "grant", err)

	_, err = env.Service.Introspect(t.Context(), c, ses.Token, "")
	wantErr(t, "client without the introspect scope", err, auth.ErrForbidden)

	for _, tc := range []struct {
		name, token, hint, kind, subject string
	}{
		{"session", ses.Token, "", auth.CredentialSession, id.ID},
		{"access token", tok.AccessToken, "", auth.CredentialBearer, c.ID},
		{"refresh token", tok.RefreshToken, "refresh_token", auth.CredentialRefresh, c.ID},
		{"refresh token without hint", tok.RefreshToken, "", auth.CredentialRefresh, c.ID},
		{"api key", key, "", auth.CredentialAPIKey, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := env.Service.Introspect(t.Context(), rs, tc.token, tc.hint)
			mustNoErr(t, "introspect", err)
			if !in.Active || in.TokenType != tc.kind || (tc.subject != "" && in.Subject != tc.subject) {
				t.Errorf("got %+v, want active %s of %s", in, tc.kind, tc.subject)
			}
		})
	}
	in, err := env.Service.Introspect(t.Context(), rs, "not a token", "")
	mustNoErr(t, "introspect garbage", err)
	if in.Active {
		t.Error("garbage: got active, want inactive")
	}

	wantOAuthErr(t, "revoke another client's access token", env.Service.Revoke(t.Context(), other, tok.AccessToken, ""), auth.OAuthUnauthorizedClient)
	wantOAuthErr(t, "revoke another client's refresh token", env.Service.Revoke(t.Context(), other, tok.RefreshToken, ""), auth.OAuthUnauthorizedClient)
	for name, token := range map[string]string{"session": ses.Token, "access token": tok.AccessToken, "refresh token": tok.RefreshToken, "api key": key} {
		t.Run("revoke "+name, func(t *testing.T) {
			mustNoErr(t, "revoke", env.Service.Revoke(t.Context(), c, token, ""))
			mustNoErr(t, "revoke again", env.Service.Revoke(t.Context(), c, token, ""))
			in, err := env.Service.Introspect(t.Context(), rs, token, "")
			mustNoErr(t, "introspect", err)
			if in.Active {
				t.Errorf("after revocation: got %+v, want inactive", in)
			}
		})
	}
	_, err = env.Service.Exchange(t.Context(), tok.AccessToken, "")
	wantErr(t, "exchange of a revoked access token", err, auth.ErrUnauthenticated)
	mustNoErr(t, "revoke garbage", env.Service.Revoke(t.Context(), c, "garbage", ""))
}
