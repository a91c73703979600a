package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

func TestLogin(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	id := mustIdentity(t, env, "ada@example.com")

	t.Run("correct password", func(t *testing.T) {
		ns := mustLogin(t, env, "ADA@example.com", "192.0.2.1")
		if ns.Session.IdentityID != id.ID || len(ns.Token) != auth.TokenLen {
			t.Errorf("got session of %s with token of %d chars, want %s and %d", ns.Session.IdentityID, len(ns.Token), id.ID, auth.TokenLen)
		}
		if want := ns.Session.CreatedAt.Add(30 * time.Minute); !ns.Session.IdleExpiresAt.Equal(want) {
			t.Errorf("got idle expiry %v, want %v", ns.Session.IdleExpiresAt, want)
		}
		if want := ns.Session.CreatedAt.Add(12 * time.Hour); !ns.Session.ExpiresAt.Equal(want) {
			t.Errorf("got absolute expiry %v, want %v", ns.Session.ExpiresAt, want)
		}
	})
	for name, req := range map[string]auth.LoginRequest{
		"wrong password":  {Email: "ada@example.com", Password: "not the password"},
		"unknown account": {Email: "nobody@example.com", Password: testPassword},
		"empty password":  {Email: "ada@example.com"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := env.Service.Login(t.Context(), req)
			wantErr(t, name, err, auth.ErrUnauthenticated)
		})
	}
	t.Run("disabled identity", func(t *testing.T) {
		other := mustIdentity(t, env, "off@example.com")
		mustNoErr(t, "disable", env.Store.SetIdentityStatus(t.Context(), other.ID, auth.StatusDisabled, env.Clock.Now()))
		_, err := env.Service.Login(t.Context(), auth.LoginRequest{Email: "off@example.com", Password: testPassword})
		wantErr(t, "disabled", err, auth.ErrUnauthenticated)
	})
	t.Run("failures are audited", func(t *testing.T) {
		page, err := env.Store.ListAuditEvents(t.Context(), "", auth.PageRequest{Limit: 100})
		mustNoErr(t, "list audit", err)
		kinds := map[string]int{}
		for _, e := range page.Items {
			kinds[e.Kind]++
		}
		if kinds["login.failed"] < 3 || kinds["login.succeeded"] < 1 {
			t.Errorf("got audit kinds %v, want at least 3 login.failed and 1 login.succeeded", kinds)
		}
	})
}

func TestLoginRehashesOldParameters(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	old := authtest.FastHasher()
	old.Params.Iterations = 2
	hash, err := old.Hash(testPassword)
	mustNoErr(t, "hash", err)
	now := env.Clock.Now()
	id, err := env.Store.CreateIdentity(t.Context(), auth.Identity{ID: auth.NewID(auth.IdentityIDPrefix, now), Email: "old@example.com",
		Status: auth.StatusActive, PasswordHash: hash, CreatedAt: now, UpdatedAt: now})
	mustNoErr(t, "create", err)
	mustLogin(t, env, "old@example.com", "")
	got, err := env.Store.GetIdentity(t.Context(), id.ID)
	mustNoErr(t, "get", err)
	if got.PasswordHash == hash || !strings.Contains(got.PasswordHash, "t=1") {
		t.Errorf("got hash %q after login, want a new one with t=1", got.PasswordHash)
	}
	mustLogin(t, env, "old@example.com", "")
}

func TestBootstrap(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	id, password, err := env.Service.Bootstrap(t.Context(), "root@example.com", "")
	mustNoErr(t, "bootstrap", err)
	if len(password) < 20 {
		t.Errorf("got generated password of %d chars, want at least 20", len(password))
	}
	res, err := env.Service.Login(t.Context(), auth.LoginRequest{Email: "root@example.com", Password: password})
	mustNoErr(t, "login with generated password", err)
	if res.Session == nil || res.Session.Session.IdentityID != id.ID {
		t.Errorf("got %+v, want a session of %s", res, id.ID)
	}
	_, _, err = env.Service.Bootstrap(t.Context(), "second@example.com", "another password")
	wantErr(t, "second bootstrap", err, auth.ErrConflict)
}

func TestSessions(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	id := mustIdentity(t, env, "ses@example.com")
	other := mustIdentity(t, env, "other@example.com")
	a := mustLogin(t, env, "ses@example.com", "192.0.2.1")
	b := mustLogin(t, env, "ses@example.com", "192.0.2.2")
	o := mustLogin(t, env, "other@example.com", "192.0.2.3")

	p := mustPrincipal(t, env, a.Token)
	if p.IdentityID != id.ID || p.SessionID != a.Session.ID {
		t.Errorf("got principal %+v, want identity %s session %s", p, id.ID, a.Session.ID)
	}
	page, err := env.Service.ListSessions(t.Context(), p, auth.PageRequest{})
	mustNoErr(t, "list", err)
	if len(page.Items) != 2 {
		t.Errorf("got %d sessions, want 2", len(page.Items))
	}
	wantErr(t, "revoke another identity's session", env.Service.RevokeSession(t.Context(), p, o.Session.ID), auth.ErrNotFound)
	mustNoErr(t, "revoke own", env.Service.RevokeSession(t.Context(), p, b.Session.ID))
	_, _, err = env.Service.AuthenticateSession(t.Context(), b.Token)
	wantErr(t, "revoked session", err, auth.ErrUnauthenticated)
	mustPrincipal(t, env, o.Token)
	_ = other

	t.Run("idle expiry moves with use", func(t *testing.T) {
		for range 3 {
			env.Clock.Advance(20 * time.Minute)
			mustPrincipal(t, env, a.Token)
		}
		env.Clock.Advance(31 * time.Minute)
		_, _, err := env.Service.AuthenticateSession(t.Context(), a.Token)
		wantErr(t, "idle session", err, auth.ErrUnauthenticated)
	})
	t.Run("absolute expiry", func(t *testing.T) {
		c := mustLogin(t, env, "ses@example.com", "192.0.2.1")
		for range 12 * 3 {
			env.Clock.Advance(20 * time.Minute)
			if _, _, err := env.Service.AuthenticateSession(t.Context(), c.Token); err != nil {
				break
			}
		}
		_, _, err := env.Service.AuthenticateSession(t.Context(), c.Token)
		wantErr(t, "session past absolute expiry", err, auth.ErrUnauthenticated)
		if got := env.Clock.Now().Sub(c.Session.CreatedAt); got < 12*time.Hour {
			t.Errorf("session ended after %v, want at least 12h", got)
		}
	})
	t.Run("logout", func(t *testing.T) {
		c := mustLogin(t, env, "ses@example.com", "192.0.2.1")
		p := mustPrincipal(t, env, c.Token)
		wantErr(t, "logout of another identity's session", env.Service.Logout(t.Context(),
			auth.Principal{IdentityID: other.ID, SessionID: p.SessionID}, ""), auth.ErrUnauthenticated)
		mustNoErr(t, "logout", env.Service.Logout(t.Context(), p, ""))
		_, _, err := env.Service.AuthenticateSession(t.Context(), c.Token)
		wantErr(t, "after logout", err, auth.ErrUnauthenticated)
		wantErr(t, "logout without a session", env.Service.Logout(t.Context(), auth.Principal{IdentityID: p.IdentityID}, ""), auth.ErrUnauthenticated)
		wantErr(t, "logout of an unknown session", env.Service.Logout(t.Context(),
			auth.Principal{IdentityID: p.IdentityID, SessionID: auth.NewID(auth.SessionIDPrefix, env.Clock.Now())}, ""), auth.ErrUnauthenticated)
	})
	t.Run("disabled identity", func(t *testing.T) {
		mustNoErr(t, "disable", env.Store.SetIdentityStatus(t.Context(), other.ID, auth.StatusDisabled, env.Clock.Now()))
		_, _, err := env.Service.AuthenticateSession(t.Context(), o.Token)
		wantErr(t, "session of disabled identity", err, auth.ErrUnauthenticated)
	})
}
