package auth_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

// staff makes an identity, makes it staff and signs it in.
func staff(tb testing.TB, env *authtest.Env, email string) auth.Principal {
	tb.Helper()
	id := mustIdentity(tb, env, email)
	env.Dir.SetStaff(id.ID, true)
	return mustPrincipal(tb, env, mustLogin(tb, env, email, "192.0.2.1").Token)
}

// auditKinds returns the kinds of the audit events outside any
// organization, each with its detail, oldest first.
func auditKinds(tb testing.TB, env *authtest.Env) []auth.AuditEvent {
	tb.Helper()
	page, err := env.Store.ListAuditEvents(tb.Context(), "", auth.PageRequest{Limit: auth.MaxPageLimit})
	mustNoErr(tb, "list audit", err)
	out := page.Items
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// wantAudit checks that an event of the given kind and actor was recorded
// with at least the given details.
func wantAudit(tb testing.TB, env *authtest.Env, kind, actor string, detail map[string]string) {
	tb.Helper()
	for _, e := range auditKinds(tb, env) {
		if e.Kind != kind || e.ActorID != actor {
			continue
		}
		match := true
		for k, v := range detail {
			if e.Detail[k] != v {
				match = false
			}
		}
		if match {
			return
		}
	}
	tb.Errorf("got no audit event %s by %s with %v, want one", kind, actor, detail)
}

func TestAdminCreateIdentity(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{ResetURL: "https://dash.example.com/reset"})
	st := staff(t, env, "staff@example.com")
	_, member := admin(t, env, "member@example.com", "org_acme")

	_, err := env.Service.AdminCreateIdentity(t.Context(), member, auth.NewIdentity{Email: "x@example.com", Password: testPassword})
	wantErr(t, "non-staff", err, auth.ErrForbidden)

	c, err := env.Service.AdminCreateIdentity(t.Context(), st, auth.NewIdentity{Email: "With.Password@example.com", Password: testPassword, IP: "198.51.100.7"})
	mustNoErr(t, "create with password", err)
	if c.Replayed || c.Identity.Status != auth.StatusActive || c.Identity.Email != "With.Password@example.com" {
		t.Errorf("got %+v, want a new active identity", c)
	}
	mustLogin(t, env, "with.password@example.com", "")
	if n := len(env.Mailer.Sent()); n != 0 {
		t.Errorf("got %d mails for an identity with a password, want 0", n)
	}
	wantAudit(t, env, "identity.created", st.IdentityID, map[string]string{"identity": c.Identity.ID, "via": "staff", "password": "set"})

	t.Run("without a password the person is mailed a reset link", func(t *testing.T) {
		c, err := env.Service.AdminCreateIdentity(t.Context(), st, auth.NewIdentity{Email: "new.hire@example.com"})
		mustNoErr(t, "create", err)
		if c.Identity.PasswordHash != "" {
			t.Errorf("got a password hash, want none")
		}
		sent := env.Mailer.Wait(t, 1)
		if len(sent) != 1 || sent[0].To != "new.hire@example.com" {
			t.Fatalf("got mails %+v, want one to new.hire@example.com", sent)
		}
		_, err = env.Service.Login(t.Context(), auth.LoginRequest{Email: "new.hire@example.com", Password: ""})
		wantErr(t, "login before setting a password", err, auth.ErrUnauthenticated)
		mustNoErr(t, "set password", env.Service.ResetPassword(t.Context(), resetToken(t, env, 1), testPassword, ""))
		mustLogin(t, env, "new.hire@example.com", "")
		wantAudit(t, env, "identity.created", st.IdentityID, map[string]string{"identity": c.Identity.ID, "password": "reset_mailed"})
		wantAudit(t, env, "password.reset_requested", c.Identity.ID, nil)
	})
	t.Run("refused", func(t *testing.T) {
		for name, req := range map[string]auth.NewIdentity{
			"same address in other case": {Email: "WITH.PASSWORD@EXAMPLE.COM", Password: testPassword},
		} {
			_, err := env.Service.AdminCreateIdentity(t.Context(), st, req)
			wantErr(t, name, err, auth.ErrConflict)
		}
		for name, req := range map[string]auth.NewIdentity{
			"bad address":     {Email: "Ada <ada@example.com>"},
			"short password":  {Email: "short@example.com", Password: "short"},
			"bad key":         {Email: "key@example.com", IdempotencyKey: "a\x00b"},
			"key with spaces": {Email: "key@example.com", IdempotencyKey: " k "},
		} {
			_, err := env.Service.AdminCreateIdentity(t.Context(), st, req)
			wantErr(t, name, err, auth.ErrInvalid)
		}
	})
	t.Run("a retry with the same key sends no second mail", func(t *testing.T) {
		before := len(env.Mailer.Sent())
		req := auth.NewIdentity{Email: "retry@example.com", IdempotencyKey: "create-retry"}
		first, err := env.Service.AdminCreateIdentity(t.Context(), st, req)
		mustNoErr(t, "first", err)
		again, err := env.Service.AdminCreateIdentity(t.Context(), st, req)
		mustNoErr(t, "retry", err)
		if !again.Replayed || again.Identity.ID != first.Identity.ID {
			t.Errorf("got retry (%s, replayed %v), want (%s, true)", again.Identity.ID, again.Replayed, first.Identity.ID)
		}
		if got := len(env.Mailer.Wait(t, before+1)) - before; got != 1 {
			t.Errorf("got %d mails, want 1", got)
		}
		// Another staff member's key of the same name is another request.
		other := staff(t, env, "staff2@example.com")
		_, err = env.Service.AdminCreateIdentity(t.Context(), other, req)
		wantErr(t, "same key, other staff", err, auth.ErrConflict)
	})
}

func TestAcceptInvitation(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	c, err := env.Service.AcceptInvitation(t.Context(), auth.NewIdentity{Email: "Invitee@Example.com", Password: testPassword})
	mustNoErr(t, "accept", err)
	mustLogin(t, env, "invitee@example.com", "")
	wantAudit(t, env, "identity.created", c.Identity.ID, map[string]string{"identity": c.Identity.ID, "via": "invitation"})

	for name, tc := range map[string]struct {
		req  auth.NewIdentity
		want error
	}{
		"no password":                {auth.NewIdentity{Email: "np@example.com"}, auth.ErrInvalid},
		"short password":             {auth.NewIdentity{Email: "sp@example.com", Password: "1234567"}, auth.ErrInvalid},
		"bad address":                {auth.NewIdentity{Email: "np", Password: testPassword}, auth.ErrInvalid},
		"same address in other case": {auth.NewIdentity{Email: "INVITEE@example.COM", Password: testPassword}, auth.ErrConflict},
	} {
		_, err := env.Service.AcceptInvitation(t.Context(), tc.req)
		wantErr(t, name, err, tc.want)
		if err != nil && strings.Contains(err.Error(), c.Identity.ID) {
			t.Errorf("%s: error %q names the existing identity", name, err)
		}
	}
}

func TestAcceptInvitationIdempotency(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	req := auth.NewIdentity{Email: "idem@example.com", Password: testPassword, IdempotencyKey: "inv-1"}
	first, err := env.Service.AcceptInvitation(t.Context(), req)
	mustNoErr(t, "first", err)
	if first.Replayed {
		t.Error("got the first answer replayed, want it fresh")
	}
	again, err := env.Service.AcceptInvitation(t.Context(), req)
	mustNoErr(t, "same key, same request", err)
	if !again.Replayed || again.Identity.ID != first.Identity.ID {
		t.Errorf("got (%s, replayed %v), want (%s, true)", again.Identity.ID, again.Replayed, first.Identity.ID)
	}
	for name, other := range map[string]auth.NewIdentity{
		"other address":  {Email: "someone.else@example.com", Password: testPassword, IdempotencyKey: "inv-1"},
		"other case":     {Email: "IDEM@example.com", Password: testPassword, IdempotencyKey: "inv-1"},
		"other password": {Email: "idem@example.com", Password: "a different password", IdempotencyKey: "inv-1"},
	} {
		_, err := env.Service.AcceptInvitation(t.Context(), other)
		wantErr(t, name, err, auth.ErrIdempotencyKeyReused)
	}
	_, err = env.Service.AcceptInvitation(t.Context(), auth.NewIdentity{Email: "idem@example.com", Password: testPassword, IdempotencyKey: "inv-2"})
	wantErr(t, "same request, new key", err, auth.ErrConflict)

	created := 0
	for _, e := range auditKinds(t, env) {
		if e.Kind == "identity.created" {
			created++
		}
	}
	if created != 1 {
		t.Errorf("got %d identity.created events, want 1: replays are not new events", created)
	}

	t.Run("the key expires after a day", func(t *testing.T) {
		env.Clock.Advance(auth.IdempotencyLifetime)
		_, err := env.Service.AcceptInvitation(t.Context(), req)
		wantErr(t, "retry after a day", err, auth.ErrConflict)
		n, err := env.Service.PruneIdempotencyRecords(t.Context())
		mustNoErr(t, "prune", err)
		if n != 1 {
			t.Errorf("got %d pruned, want 1", n)
		}
	})
	t.Run("concurrent retries all get the one identity", func(t *testing.T) {
		req := auth.NewIdentity{Email: "racer@example.com", Password: testPassword, IdempotencyKey: "race"}
		const n = 6
		got := make([]auth.CreatedIdentity, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for k := range n {
			wg.Go(func() { got[k], errs[k] = env.Service.AcceptInvitation(t.Context(), req) })
		}
		wg.Wait()
		fresh := 0
		for k := range n {
			mustNoErr(t, "concurrent accept", errs[k])
			if got[k].Identity.ID != got[0].Identity.ID {
				t.Errorf("attempt %d: got identity %s, want %s", k, got[k].Identity.ID, got[0].Identity.ID)
			}
			if !got[k].Replayed {
				fresh++
			}
		}
		if fresh != 1 {
			t.Errorf("got %d fresh answers, want 1", fresh)
		}
	})
}

func TestSetIdentityStatus(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	st := staff(t, env, "staff@example.com")
	user, up := admin(t, env, "user@example.com", "org_acme")
	ses := mustLogin(t, env, "user@example.com", "")
	_, key, err := env.Service.CreateAPIKey(t.Context(), up, "org_acme", auth.CreateAPIKeyRequest{Name: "ci"})
	mustNoErr(t, "create api key", err)
	rs, _ := mustClient(t, env, up, "org_acme", false, "auth:introspect")
	_, err = env.Service.Exchange(t.Context(), key, "")
	mustNoErr(t, "exchange api key while active", err)

	_, err = env.Service.SetIdentityStatus(t.Context(), up, st.IdentityID, auth.StatusDisabled, "")
	wantErr(t, "non-staff", err, auth.ErrForbidden)
	_, err = env.Service.SetIdentityStatus(t.Context(), st, st.IdentityID, auth.StatusDisabled, "")
	wantErr(t, "staff disabling themselves", err, auth.ErrInvalid)
	_, err = env.Service.SetIdentityStatus(t.Context(), st, user.ID, "frozen", "")
	wantErr(t, "unknown status", err, auth.ErrInvalid)
	_, err = env.Service.SetIdentityStatus(t.Context(), st, auth.NewID(auth.IdentityIDPrefix, env.Clock.Now()), auth.StatusDisabled, "")
	wantErr(t, "unknown identity", err, auth.ErrNotFound)

	got, err := env.Service.SetIdentityStatus(t.Context(), st, user.ID, auth.StatusDisabled, "198.51.100.7")
	mustNoErr(t, "disable", err)
	if got.Status != auth.StatusDisabled {
		t.Errorf("got status %s, want disabled", got.Status)
	}
	wantAudit(t, env, "identity.disabled", st.IdentityID, map[string]string{"identity": user.ID, "sessions_revoked": "2"})

	_, _, err = env.Service.AuthenticateSession(t.Context(), ses.Token)
	wantErr(t, "session of a disabled identity", err, auth.ErrUnauthenticated)
	active, err := env.Store.ListActiveSessions(t.Context(), user.ID, env.Clock.Now(), auth.PageRequest{})
	mustNoErr(t, "list sessions", err)
	if len(active.Items) != 0 {
		t.Errorf("got %d active sessions after disabling, want 0", len(active.Items))
	}
	_, err = env.Service.Login(t.Context(), auth.LoginRequest{Email: "user@example.com", Password: testPassword})
	wantErr(t, "login while disabled", err, auth.ErrUnauthenticated)
	for name, tc := range map[string]struct{ credential, kind string }{
		"session": {ses.Token, auth.CredentialSession},
		"api key": {key, ""},
	} {
		_, err := env.Service.Exchange(t.Context(), tc.credential, tc.kind)
		wantErr(t, "exchange of a disabled identity's "+name, err, auth.ErrUnauthenticated)
	}
	if in, err := env.Service.Introspect(t.Context(), rs, key, ""); err != nil || in.Active {
		t.Errorf("introspect api key of a disabled identity: got (%+v, %v), want inactive", in, err)
	}

	again, err := env.Service.SetIdentityStatus(t.Context(), st, user.ID, auth.StatusDisabled, "")
	mustNoErr(t, "disable again", err)
	if !again.UpdatedAt.Equal(got.UpdatedAt) {
		t.Errorf("disabling again: got updated %v, want unchanged %v", again.UpdatedAt, got.UpdatedAt)
	}

	_, err = env.Service.SetIdentityStatus(t.Context(), st, user.ID, auth.StatusActive, "")
	mustNoErr(t, "enable", err)
	wantAudit(t, env, "identity.enabled", st.IdentityID, map[string]string{"identity": user.ID})
	_, err = env.Service.Exchange(t.Context(), key, "")
	mustNoErr(t, "exchange api key after re-enabling: the key was kept", err)
	_, _, err = env.Service.AuthenticateSession(t.Context(), ses.Token)
	wantErr(t, "session after re-enabling: it stays revoked", err, auth.ErrUnauthenticated)
	mustLogin(t, env, "user@example.com", "")
}

func TestGetAndListIdentities(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	st := staff(t, env, "staff@example.com")
	user, up := admin(t, env, "user@example.com", "org_acme")

	for name, tc := range map[string]struct {
		p    auth.Principal
		id   string
		want error
	}{
		"staff reads another":        {st, user.ID, nil},
		"identity reads itself":      {up, user.ID, nil},
		"non-staff reads another":    {up, st.IdentityID, auth.ErrForbidden},
		"non-staff reads an unknown": {up, auth.NewID(auth.IdentityIDPrefix, env.Clock.Now()), auth.ErrForbidden},
		"staff reads an unknown":     {st, auth.NewID(auth.IdentityIDPrefix, env.Clock.Now()), auth.ErrNotFound},
	} {
		i, err := env.Service.GetIdentity(t.Context(), tc.p, tc.id)
		if tc.want != nil {
			wantErr(t, name, err, tc.want)
			continue
		}
		mustNoErr(t, name, err)
		if i.ID != tc.id {
			t.Errorf("%s: got %s, want %s", name, i.ID, tc.id)
		}
	}
	_, err := env.Service.ListIdentities(t.Context(), up, auth.PageRequest{})
	wantErr(t, "non-staff list", err, auth.ErrForbidden)
	page, err := env.Service.ListIdentities(t.Context(), st, auth.PageRequest{Limit: 1})
	mustNoErr(t, "staff list", err)
	if len(page.Items) != 1 || page.NextCursor == "" {
		t.Errorf("got %d items and cursor %q, want 1 and a cursor", len(page.Items), page.NextCursor)
	}
}
