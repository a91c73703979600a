package auth_test

import (
	"errors"
	"testing"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

const testPassword = "correct horse battery staple"

func mustIdentity(tb testing.TB, env *authtest.Env, email string) auth.Identity {
	tb.Helper()
	id, err := env.Service.CreateIdentity(tb.Context(), email, testPassword)
	if err != nil {
		tb.Fatalf("create identity %s: %v", email, err)
	}
	return id
}

func mustLogin(tb testing.TB, env *authtest.Env, email, ip string) auth.NewSession {
	tb.Helper()
	res, err := env.Service.Login(tb.Context(), auth.LoginRequest{Email: email, Password: testPassword, IP: ip, UserAgent: "test"})
	if err != nil {
		tb.Fatalf("login %s: %v", email, err)
	}
	if res.Session == nil {
		tb.Fatalf("login %s: got a challenge, want a session", email)
	}
	return *res.Session
}

func mustPrincipal(tb testing.TB, env *authtest.Env, token string) auth.Principal {
	tb.Helper()
	p, _, err := env.Service.AuthenticateSession(tb.Context(), token)
	if err != nil {
		tb.Fatalf("authenticate session: %v", err)
	}
	return p
}

func wantErr(tb testing.TB, what string, err, want error) {
	tb.Helper()
	if !errors.Is(err, want) {
		tb.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

func mustNoErr(tb testing.TB, what string, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

func wantOAuthErr(tb testing.TB, what string, err error, code string) {
	tb.Helper()
	oe, ok := errors.AsType[*auth.OAuthError](err)
	if !ok || oe.Code != code {
		tb.Errorf("%s: got error %v, want OAuth error %s", what, err, code)
	}
}

// admin makes an identity, signs it in and makes it admin of org.
func admin(tb testing.TB, env *authtest.Env, email, org string) (auth.Identity, auth.Principal) {
	tb.Helper()
	id := mustIdentity(tb, env, email)
	env.Dir.SetMemberships(id.ID, auth.Membership{OrgID: org, Role: auth.RoleAdmin})
	ns := mustLogin(tb, env, email, "192.0.2.1")
	return id, mustPrincipal(tb, env, ns.Token)
}
