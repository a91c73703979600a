package auth_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

func mustClient(tb testing.TB, env *authtest.Env, p auth.Principal, org string, refresh bool, scopes ...string) (auth.Client, string) {
	tb.Helper()
	c, secret, err := env.Service.CreateClient(tb.Context(), p, org, auth.CreateClientRequest{Name: "bot", Scopes: scopes, RefreshTokens: refresh})
	mustNoErr(tb, "create client", err)
	got, err := env.Service.AuthenticateClient(tb.Context(), c.ID, secret)
	mustNoErr(tb, "authenticate client", err)
	return got, secret
}

func TestClientCredentials(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	_, p := admin(t, env, "adm@example.com", "org_acme")
	c, secret := mustClient(t, env, p, "org_acme", false, "analytics:read", "configs:read")

	_, err := env.Service.AuthenticateClient(t.Context(), c.ID, secret[:42]+"x")
	wantErr(t, "wrong secret", err, auth.ErrUnauthenticated)
	_, err = env.Service.AuthenticateClient(t.Context(), auth.NewID(auth.ClientIDPrefix, env.Clock.Now()), secret)
	wantErr(t, "unknown client", err, auth.ErrUnauthenticated)

	for name, tc := range map[string]struct {
		requested, want []string
	}{
		"all scopes by default": {nil, []string{"analytics:read", "configs:read"}},
		"down-selected":         {[]string{"configs:read"}, []string{"configs:read"}},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := env.Service.ClientCredentials(t.Context(), c, tc.requested, nil)
			mustNoErr(t, "grant", err)
			if !slices.Equal(resp.Scopes, tc.want) || resp.RefreshToken != "" || resp.ExpiresIn != 5*time.Minute {
				t.Errorf("got (scopes %v, refresh %q, expires in %v), want (%v, none, 5m)", resp.Scopes, resp.RefreshToken, resp.ExpiresIn, tc.want)
			}
			ac, err := env.Issuer.VerifyAccessToken(t.Context(), resp.AccessToken)
			mustNoErr(t, "verify", err)
			if ac.ClientID != c.ID || ac.Subject != c.ID || !slices.Equal(ac.Scopes, tc.want) {
				t.Errorf("got claims %+v, want client %s with scopes %v", ac, c.ID, tc.want)
			}
		})
	}
	_, err = env.Service.ClientCredentials(t.Context(), c, []string{"configs:write"}, nil)
	wantOAuthErr(t, "scope beyond the client's", err, auth.OAuthInvalidScope)

	mustNoErr(t, "revoke client", env.Service.RevokeClient(t.Context(), p, "org_acme", c.ID))
	_, err = env.Service.AuthenticateClient(t.Context(), c.ID, secret)
	wantErr(t, "revoked client", err, auth.ErrUnauthenticated)

	_, outsider := admin(t, env, "out@example.com", "org_other")
	_, _, err = env.Service.CreateClient(t.Context(), outsider, "org_acme", auth.CreateClientRequest{Name: "x"})
	wantErr(t, "client for another organization", err, auth.ErrForbidden)
}

func TestRefreshRotation(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	_, p := admin(t, env, "adm@example.com", "org_acme")
	c, _ := mustClient(t, env, p, "org_acme", true, "analytics:read", "configs:read")
	other, _ := mustClient(t, env, p, "org_acme", true, "analytics:read")

	first, err := env.Service.ClientCredentials(t.Context(), c, nil, nil)
	mustNoErr(t, "grant", err)
	if first.RefreshToken == "" {
		t.Fatal("got no refresh token, want one")
	}
	_, err = env.Service.Refresh(t.Context(), other, first.RefreshToken, nil, nil)
	wantOAuthErr(t, "another client's refresh token", err, auth.OAuthInvalidGrant)

	second, err := env.Service.Refresh(t.Context(), c, first.RefreshToken, []string{"analytics:read"}, nil)
	mustNoErr(t, "refresh", err)
	if second.RefreshToken == first.RefreshToken || !slices.Equal(second.Scopes, []string{"analytics:read"}) {
		t.Errorf("got (refresh token reused %v, scopes %v), want a new token and [analytics:read]", second.RefreshToken == first.RefreshToken, second.Scopes)
	}

	t.Run("retry within the grace window gets the same successor", func(t *testing.T) {
		env.Clock.Advance(5 * time.Second)
		again, err := env.Service.Refresh(t.Context(), c, first.RefreshToken, nil, nil)
		mustNoErr(t, "retry", err)
		if again.RefreshToken != second.RefreshToken {
			t.Error("got a different refresh token, want the same successor")
		}
	})
	third, err := env.Service.Refresh(t.Context(), c, second.RefreshToken, nil, nil)
	mustNoErr(t, "refresh the successor", err)
	if !slices.Equal(third.Scopes, []string{"analytics:read", "configs:read"}) {
		t.Errorf("got scopes %v, want the family's full scopes", third.Scopes)
	}

	t.Run("reuse after the grace window revokes the family", func(t *testing.T) {
		env.Clock.Advance(11 * time.Second)
		_, err := env.Service.Refresh(t.Context(), c, first.RefreshToken, nil, nil)
		wantOAuthErr(t, "reuse", err, auth.OAuthInvalidGrant)
		_, err = env.Service.Refresh(t.Context(), c, third.RefreshToken, nil, nil)
		wantOAuthErr(t, "newest token of the revoked family", err, auth.OAuthInvalidGrant)
	})
	t.Run("reuse of a spent token whose successor was spent too", func(t *testing.T) {
		a, err := env.Service.ClientCredentials(t.Context(), c, nil, nil)
		mustNoErr(t, "grant", err)
		b, err := env.Service.Refresh(t.Context(), c, a.RefreshToken, nil, nil)
		mustNoErr(t, "refresh", err)
		cc, err := env.Service.Refresh(t.Context(), c, b.RefreshToken, nil, nil)
		mustNoErr(t, "refresh again", err)
		_, err = env.Service.Refresh(t.Context(), c, a.RefreshToken, nil, nil)
		wantOAuthErr(t, "stale token within grace", err, auth.OAuthInvalidGrant)
		_, err = env.Service.Refresh(t.Context(), c, cc.RefreshToken, nil, nil)
		wantOAuthErr(t, "family revoked", err, auth.OAuthInvalidGrant)
	})
	t.Run("concurrent refreshes agree", func(t *testing.T) {
		a, err := env.Service.ClientCredentials(t.Context(), c, nil, nil)
		mustNoErr(t, "grant", err)
		const n = 6
		got := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for k := range n {
			wg.Go(func() {
				resp, err := env.Service.Refresh(t.Context(), c, a.RefreshToken, nil, nil)
				got[k], errs[k] = resp.RefreshToken, err
			})
		}
		wg.Wait()
		for k := range n {
			if errs[k] != nil || got[k] != got[0] {
				t.Errorf("refresh %d: got (%v, same token %v), want success with the same token", k, errs[k], got[k] == got[0])
			}
		}
		_, err = env.Service.Refresh(t.Context(), c, got[0], nil, nil)
		mustNoErr(t, "the agreed successor works", err)
	})
}
