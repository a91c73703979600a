package auth_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
	"github.com/portico-gw/portico/internal/platform/identity"
)

func TestAuthenticateToken(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	id := mustIdentity(t, env, "ada@example.com")
	other := mustIdentity(t, env, "bob@example.com")
	ses := mustLogin(t, env, "ada@example.com", "192.0.2.1")
	claims := func(mutate func(c *identity.Claims)) *identity.Claims {
		c := &identity.Claims{Subject: id.ID, Kind: identity.KindUser, CredentialID: ses.Session.ID, Staff: true,
			Orgs: []identity.OrgRole{{ID: "org_acme", Role: auth.RoleOwner}}}
		if mutate != nil {
			mutate(c)
		}
		return c
	}

	p, err := env.Service.AuthenticateToken(t.Context(), claims(nil))
	mustNoErr(t, "authenticate", err)
	// Orgs and staff come from the token, not from the directory (which
	// knows nothing of this identity).
	if p.IdentityID != id.ID || p.SessionID != ses.Session.ID || !p.Staff || !slices.Equal(p.Orgs, claims(nil).Orgs) {
		t.Errorf("got %+v, want the token's identity, session, organizations and staff flag", p)
	}

	for name, tc := range map[string]struct {
		mutate func(c *identity.Claims)
		want   error
	}{
		"client":              {func(c *identity.Claims) { c.Kind = identity.KindClient }, auth.ErrForbidden},
		"api key":             {func(c *identity.Claims) { c.Kind = identity.KindAPIKey }, auth.ErrForbidden},
		"no sid":              {func(c *identity.Claims) { c.CredentialID = "" }, auth.ErrUnauthenticated},
		"unknown session":     {func(c *identity.Claims) { c.CredentialID = auth.NewID(auth.SessionIDPrefix, env.Clock.Now()) }, auth.ErrUnauthenticated},
		"another's session":   {func(c *identity.Claims) { c.Subject = other.ID }, auth.ErrUnauthenticated},
		"api key id as a sid": {func(c *identity.Claims) { c.CredentialID = "key_x" }, auth.ErrUnauthenticated},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := env.Service.AuthenticateToken(t.Context(), claims(tc.mutate))
			wantErr(t, name, err, tc.want)
		})
	}
	t.Run("forbidden says why, safely", func(t *testing.T) {
		_, err := env.Service.AuthenticateToken(t.Context(), claims(func(c *identity.Claims) { c.Kind = identity.KindClient }))
		if msg := auth.SafeMessage(err); msg == "" {
			t.Errorf("got no safe message in %v, want one", err)
		}
	})
	t.Run("session ends", func(t *testing.T) {
		env.Clock.Advance(env.Service.Options().SessionIdleLifetime)
		_, err := env.Service.AuthenticateToken(t.Context(), claims(nil))
		wantErr(t, "idle session", err, auth.ErrUnauthenticated)
	})
	t.Run("revoked session", func(t *testing.T) {
		s2 := mustLogin(t, env, "ada@example.com", "192.0.2.1")
		c := claims(func(c *identity.Claims) { c.CredentialID = s2.Session.ID })
		mustNoErr(t, "authenticate", errOnly(env.Service.AuthenticateToken(t.Context(), c)))
		mustNoErr(t, "revoke", env.Store.RevokeSession(t.Context(), s2.Session.ID, env.Clock.Now()))
		wantErr(t, "revoked at once", errOnly(env.Service.AuthenticateToken(t.Context(), c)), auth.ErrUnauthenticated)
	})
	t.Run("broken store is not unauthenticated", func(t *testing.T) {
		s3 := mustLogin(t, env, "ada@example.com", "192.0.2.1")
		env.DB.Close()
		_, err := env.Service.AuthenticateToken(t.Context(), claims(func(c *identity.Claims) { c.CredentialID = s3.Session.ID }))
		if err == nil || auth.Code(err) != nil {
			t.Errorf("got %v (code %v), want an internal error", err, auth.Code(err))
		}
	})
}

func errOnly[T any](_ T, err error) error { return err }

func TestErrorCodeAndMessage(t *testing.T) {
	cause := errors.New("insert into identities: UNIQUE constraint failed")
	for name, tc := range map[string]struct {
		err      error
		code     error
		safe     string
		isCodeOf []error
	}{
		"bare sentinel":   {auth.ErrNotFound, auth.ErrNotFound, "", []error{auth.ErrNotFound}},
		"wrapped":         {errors.Join(errors.New("x"), auth.ErrConflict), auth.ErrConflict, "", []error{auth.ErrConflict}},
		"throttled":       {&auth.ThrottledError{RetryAfter: time.Second}, auth.ErrThrottled, "", []error{auth.ErrThrottled}},
		"error with code": {&auth.Error{Code: auth.ErrConflict, Message: "email already in use", Err: cause}, auth.ErrConflict, "email already in use", []error{auth.ErrConflict}},
		"outer error wins": {&auth.Error{Code: auth.ErrInvalid, Message: "bad", Err: auth.ErrNotFound}, auth.ErrInvalid, "bad",
			[]error{auth.ErrInvalid, auth.ErrNotFound}},
		"internal": {cause, nil, "", nil},
	} {
		t.Run(name, func(t *testing.T) {
			if got := auth.Code(tc.err); got != tc.code {
				t.Errorf("got code %v, want %v", got, tc.code)
			}
			if got := auth.SafeMessage(tc.err); got != tc.safe {
				t.Errorf("got safe message %q, want %q", got, tc.safe)
			}
			for _, c := range tc.isCodeOf {
				if !errors.Is(tc.err, c) {
					t.Errorf("errors.Is(%v, %v) = false, want true", tc.err, c)
				}
			}
		})
	}
}
