package auth_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

// Attacks on credentials through their owner (docs/security.md,
// "Credentials and their owner").

// TestDisabledCreatorStopsClients: a machine client made by an identity
// that is then disabled gets no token by either grant, and the access
// tokens it already holds fail the exchange and introspection, until the
// identity is enabled again.
func TestDisabledCreatorStopsClients(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{StaffOrgID: "org_staff"})
	st := staff(t, env, "staff@example.com")
	creator, p := admin(t, env, "adm@example.com", "org_acme")
	c, secret := mustClient(t, env, p, "org_acme", true, "analytics:read")
	_, sp := admin(t, env, "ops@example.com", "org_staff")
	rs, _ := mustClient(t, env, sp, "org_staff", false, "auth:introspect")
	tok, err := env.Service.ClientCredentials(t.Context(), c, nil, nil)
	mustNoErr(t, "grant before disabling", err)

	_, err = env.Service.SetIdentityStatus(t.Context(), st, creator.ID, auth.StatusDisabled, "")
	mustNoErr(t, "disable the creator", err)

	_, err = env.Service.AuthenticateClient(t.Context(), c.ID, secret)
	wantErr(t, "client authentication (both grants) while the creator is disabled", err, auth.ErrUnauthenticated)
	_, err = env.Service.Exchange(t.Context(), tok.AccessToken, "")
	wantErr(t, "exchange of an access token held before", err, auth.ErrUnauthenticated)
	for name, token := range map[string]string{"access token": tok.AccessToken, "refresh token": tok.RefreshToken} {
		in, err := env.Service.Introspect(t.Context(), rs, token, "")
		mustNoErr(t, "introspect "+name, err)
		if in.Active {
			t.Errorf("introspect %s: got active, want inactive", name)
		}
	}

	_, err = env.Service.SetIdentityStatus(t.Context(), st, creator.ID, auth.StatusActive, "")
	mustNoErr(t, "enable the creator", err)
	c2, err := env.Service.AuthenticateClient(t.Context(), c.ID, secret)
	mustNoErr(t, "client authentication after re-enabling", err)
	_, err = env.Service.Refresh(t.Context(), c2, tok.RefreshToken, nil, nil)
	mustNoErr(t, "refresh after re-enabling", err)
	_, err = env.Service.Exchange(t.Context(), tok.AccessToken, "")
	mustNoErr(t, "exchange after re-enabling", err)
}

// TestResetBurnsOtherCodes: a successful reset spends every code the
// identity was mailed, not only the one used.
func TestResetBurnsOtherCodes(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	mustIdentity(t, env, "two@example.com")
	mustNoErr(t, "first request", env.Service.RequestPasswordReset(t.Context(), "two@example.com", ""))
	mustNoErr(t, "second request", env.Service.RequestPasswordReset(t.Context(), "two@example.com", ""))
	first, second := resetToken(t, env, 1), resetToken(t, env, 2)
	mustNoErr(t, "reset with the second code", env.Service.ResetPassword(t.Context(), second, "a fresh password", ""))
	wantErr(t, "the first code after the reset", env.Service.ResetPassword(t.Context(), first, "the attacker's password", ""), auth.ErrUnauthenticated)
}

// TestChangePasswordBurnsCodes: a code mailed before a password change
// cannot undo it.
func TestChangePasswordBurnsCodes(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	mustIdentity(t, env, "chg@example.com")
	ses := mustLogin(t, env, "chg@example.com", "")
	mustNoErr(t, "request", env.Service.RequestPasswordReset(t.Context(), "chg@example.com", ""))
	code := resetToken(t, env, 1)
	mustNoErr(t, "change", env.Service.ChangePassword(t.Context(), mustPrincipal(t, env, ses.Token), testPassword, "a changed password", ""))
	wantErr(t, "code mailed before the change", env.Service.ResetPassword(t.Context(), code, "the attacker's password", ""), auth.ErrUnauthenticated)
	mustPrincipal(t, env, ses.Token) // the session that changed it stays
}

// TestResetCodeOfDisabledIdentity: a code mailed before the identity was
// disabled works neither while it is disabled nor after it is enabled.
func TestResetCodeOfDisabledIdentity(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	st := staff(t, env, "staff@example.com")
	id := mustIdentity(t, env, "gone@example.com")
	mustNoErr(t, "request", env.Service.RequestPasswordReset(t.Context(), "gone@example.com", ""))
	code := resetToken(t, env, 1)
	_, err := env.Service.SetIdentityStatus(t.Context(), st, id.ID, auth.StatusDisabled, "")
	mustNoErr(t, "disable", err)
	wantErr(t, "code while disabled", env.Service.ResetPassword(t.Context(), code, "the attacker's password", ""), auth.ErrUnauthenticated)
	_, err = env.Service.SetIdentityStatus(t.Context(), st, id.ID, auth.StatusActive, "")
	mustNoErr(t, "enable", err)
	wantErr(t, "code after re-enabling", env.Service.ResetPassword(t.Context(), code, "the attacker's password", ""), auth.ErrUnauthenticated)
}

// TestPrunePasswordResets: requests are deleted once expired and out of the
// limits' window, not before.
func TestPrunePasswordResets(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{ResetLimits: auth.ResetLimitOptions{Window: time.Hour}})
	mustIdentity(t, env, "old@example.com")
	mustNoErr(t, "known", env.Service.RequestPasswordReset(t.Context(), "old@example.com", "192.0.2.1"))
	mustNoErr(t, "unknown", env.Service.RequestPasswordReset(t.Context(), "nobody@example.com", "192.0.2.1"))
	env.Clock.Advance(59 * time.Minute)
	n, err := env.Service.PrunePasswordResets(t.Context())
	mustNoErr(t, "prune within the window", err)
	if n != 0 {
		t.Errorf("within the window: got %d pruned, want 0", n)
	}
	env.Clock.Advance(2 * time.Minute)
	n, err = env.Service.PrunePasswordResets(t.Context())
	mustNoErr(t, "prune", err)
	if n != 2 {
		t.Errorf("got %d pruned, want 2", n)
	}
}

// countingStore records which store methods a service calls, and the
// length of each reset's token hash.
type countingStore struct {
	auth.Store
	mu    sync.Mutex
	calls []string
}

func (s *countingStore) record(call string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, call)
}

func (s *countingStore) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls
	s.calls = nil
	return c
}

func (s *countingStore) GetIdentityByEmail(ctx context.Context, email string) (auth.Identity, error) {
	s.record("GetIdentityByEmail")
	return s.Store.GetIdentityByEmail(ctx, email)
}

func (s *countingStore) PasswordResetStats(ctx context.Context, account, ip string, since time.Time) (auth.PasswordResetStats, error) {
	s.record("PasswordResetStats")
	return s.Store.PasswordResetStats(ctx, account, ip, since)
}

func (s *countingStore) CreatePasswordReset(ctx context.Context, r auth.PasswordReset) (auth.PasswordReset, error) {
	s.record(fmt.Sprintf("CreatePasswordReset(hash %d bytes)", len(r.TokenHash)))
	return s.Store.CreatePasswordReset(ctx, r)
}

func (s *countingStore) AppendAuditEvent(ctx context.Context, e auth.AuditEvent) (auth.AuditEvent, error) {
	s.record("AppendAuditEvent")
	return s.Store.AppendAuditEvent(ctx, e)
}

// TestResetRequestSameWork: a reset request for a known address does the
// same store and hashing work as one for an unknown address (counted, not
// timed); only the queued mail differs.
func TestResetRequestSameWork(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	mustIdentity(t, env, "known@example.com")
	cs := &countingStore{Store: env.Store}
	svc := auth.NewService(cs, env.Issuer, env.Dir, auth.Options{Now: env.Clock.Now, Mailer: env.Mailer,
		Hasher: authtest.FastHasher(), Logger: slog.New(slog.DiscardHandler)})
	authtest.RunService(t, svc)

	mustNoErr(t, "unknown", svc.RequestPasswordReset(t.Context(), "unknown@example.com", "192.0.2.1"))
	unknown := cs.take()
	mustNoErr(t, "known", svc.RequestPasswordReset(t.Context(), "known@example.com", "192.0.2.1"))
	known := cs.take()
	if !slices.Equal(known, unknown) {
		t.Errorf("store calls differ:\nknown   %v\nunknown %v", known, unknown)
	}
	if !slices.Contains(unknown, fmt.Sprintf("CreatePasswordReset(hash %d bytes)", auth.TokenHashLen)) {
		t.Errorf("unknown address: got calls %v, want a reset record with a token hash", unknown)
	}
	if sent := env.Mailer.Wait(t, 1); len(sent) != 1 || sent[0].To != "known@example.com" {
		t.Errorf("got mails %+v, want one to known@example.com", sent)
	}
}

// flakyMailer fails its first failures sends.
type flakyMailer struct {
	authtest.Mailbox
	mu       sync.Mutex
	failures int
}

func (m *flakyMailer) Send(ctx context.Context, mail auth.Mail) error {
	m.mu.Lock()
	fail := m.failures > 0
	m.failures--
	m.mu.Unlock()
	if fail {
		return errors.New("mail server down")
	}
	return m.Mailbox.Send(ctx, mail)
}

// TestMailQueueRetries: a mail the mailer refuses is retried with backoff
// and delivered.
func TestMailQueueRetries(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	mustIdentity(t, env, "retry@example.com")
	m := &flakyMailer{failures: 2}
	svc := auth.NewService(env.Store, env.Issuer, env.Dir, auth.Options{Now: env.Clock.Now, Mailer: m,
		Hasher: authtest.FastHasher(), Logger: slog.New(slog.DiscardHandler),
		MailQueue: auth.MailQueueOptions{Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}})
	authtest.RunService(t, svc)
	mustNoErr(t, "request", svc.RequestPasswordReset(t.Context(), "retry@example.com", ""))
	if sent := m.Wait(t, 1); sent[0].To != "retry@example.com" {
		t.Errorf("got mail to %s, want retry@example.com", sent[0].To)
	}
	// Sent is counted just after the mailer returns.
	for deadline := time.Now().Add(10 * time.Second); svc.MailStats().Sent == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if got, want := svc.MailStats(), (auth.MailStats{Queued: 1, Sent: 1, Retried: 2}); got != want {
		t.Errorf("got stats %+v, want %+v", got, want)
	}
}

// stuckMailer never returns from Send until the test ends.
type stuckMailer struct{ done <-chan struct{} }

func (m stuckMailer) Send(ctx context.Context, _ auth.Mail) error {
	select {
	case <-m.done:
	case <-ctx.Done():
	}
	return errors.New("stuck")
}

// TestMailQueueFullNeverBlocks: with a mail server that never answers and
// the queue full, requests still answer (a request that waited for the
// mailer would never return); the mail is dropped and counted.
func TestMailQueueFullNeverBlocks(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{})
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	svc := auth.NewService(env.Store, env.Issuer, env.Dir, auth.Options{Now: env.Clock.Now, Mailer: stuckMailer{stuck},
		Hasher: authtest.FastHasher(), Logger: slog.New(slog.DiscardHandler), MailQueue: auth.MailQueueOptions{Size: 1}})
	for i := range 3 {
		mustIdentity(t, env, fmt.Sprintf("q%d@example.com", i))
	}
	answered := make(chan error, 1)
	go func() {
		for i := range 3 {
			if err := svc.RequestPasswordReset(context.Background(), fmt.Sprintf("q%d@example.com", i), ""); err != nil {
				answered <- err
				return
			}
		}
		answered <- nil
	}()
	select {
	case err := <-answered:
		mustNoErr(t, "requests", err)
	case <-time.After(10 * time.Second): // a bound on a hang, not a timing assertion
		t.Fatal("a request waited for the mailer")
	}
	if got, want := svc.MailStats(), (auth.MailStats{Queued: 1, Dropped: 2}); got != want {
		t.Errorf("got stats %+v, want %+v", got, want)
	}
}

// TestResetRequestLimits: a client address gets ErrThrottled with a wait
// past its limit; an address gets no more mail past its limit, answered
// exactly as before, known or not.
func TestResetRequestLimits(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{ResetLimits: auth.ResetLimitOptions{Window: time.Hour, PerAddress: 2, PerClient: 4}})
	mustIdentity(t, env, "victim@example.com")
	req := func(email, ip string) error { return env.Service.RequestPasswordReset(t.Context(), email, ip) }

	t.Run("per address", func(t *testing.T) {
		for i, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"} {
			mustNoErr(t, fmt.Sprintf("known, request %d", i+1), req("victim@example.com", ip))
			mustNoErr(t, fmt.Sprintf("unknown, request %d", i+1), req("ghost@example.com", ip))
		}
		// Every request above was answered alike; two mails were queued.
		if got := env.Service.MailStats().Queued; got != 2 {
			t.Errorf("within the window: got %d mails queued, want 2", got)
		}
		env.Clock.Advance(61 * time.Minute)
		mustNoErr(t, "after the window", req("victim@example.com", "192.0.2.9"))
		if got := env.Service.MailStats().Queued; got != 3 {
			t.Errorf("after the window: got %d mails queued, want 3", got)
		}
		env.Mailer.Wait(t, 3)
	})
	t.Run("per client address", func(t *testing.T) {
		const ip = "198.51.100.7"
		for i := range 4 {
			mustNoErr(t, fmt.Sprintf("request %d", i+1), req(fmt.Sprintf("a%d@example.com", i), ip))
			env.Clock.Advance(time.Minute)
		}
		err := req("victim@example.com", ip)
		wantErr(t, "past the limit", err, auth.ErrThrottled)
		te, ok := errors.AsType[*auth.ThrottledError](err)
		if !ok || te.RetryAfter != 56*time.Minute {
			t.Errorf("got %v, want a wait of 56m0s (until the oldest request leaves the window)", err)
		}
		mustNoErr(t, "another client address", req("victim2@example.com", "198.51.100.8"))
		env.Clock.Advance(56 * time.Minute)
		mustNoErr(t, "once the oldest left the window", req("a9@example.com", ip))
	})
}

// TestIntrospectOtherOrganization: a client of an ordinary organization
// with the introspection scope sees only its own organization's
// credentials; another organization's, and sessions, are inactive to it,
// while a staff organization's client sees them all.
func TestIntrospectOtherOrganization(t *testing.T) {
	env := authtest.NewEnv(t, auth.Options{StaffOrgID: "org_staff"})
	_, acme := admin(t, env, "acme@example.com", "org_acme")
	_, beta := admin(t, env, "beta@example.com", "org_beta")
	_, ops := admin(t, env, "ops@example.com", "org_staff")
	spy, _ := mustClient(t, env, acme, "org_acme", false, "auth:introspect")
	staffRS, _ := mustClient(t, env, ops, "org_staff", false, "auth:introspect")
	acmeBot, _ := mustClient(t, env, acme, "org_acme", false, "analytics:read")
	betaBot, _ := mustClient(t, env, beta, "org_beta", true, "analytics:read")
	acmeTok, err := env.Service.ClientCredentials(t.Context(), acmeBot, nil, nil)
	mustNoErr(t, "acme grant", err)
	betaTok, err := env.Service.ClientCredentials(t.Context(), betaBot, nil, nil)
	mustNoErr(t, "beta grant", err)
	_, betaKey, err := env.Service.CreateAPIKey(t.Context(), beta, "org_beta", auth.CreateAPIKeyRequest{Name: "ci"})
	mustNoErr(t, "beta key", err)
	ses := mustLogin(t, env, "beta@example.com", "")

	for _, tc := range []struct {
		name   string
		client auth.Client
		token  string
		active bool
	}{
		{"own organization's access token", spy, acmeTok.AccessToken, true},
		{"other organization's access token", spy, betaTok.AccessToken, false},
		{"other organization's refresh token", spy, betaTok.RefreshToken, false},
		{"other organization's api key", spy, betaKey, false},
		{"a session", spy, ses.Token, false},
		{"staff: other organization's access token", staffRS, betaTok.AccessToken, true},
		{"staff: other organization's refresh token", staffRS, betaTok.RefreshToken, true},
		{"staff: other organization's api key", staffRS, betaKey, true},
		{"staff: a session", staffRS, ses.Token, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := env.Service.Introspect(t.Context(), tc.client, tc.token, "")
			mustNoErr(t, "introspect", err)
			if in.Active != tc.active {
				t.Errorf("got active %v, want %v", in.Active, tc.active)
			}
			if !in.Active && (in.TokenType != "" || in.Subject != "" || in.OrgID != "" || in.Scopes != nil) {
				t.Errorf("inactive answer says more: %+v", in)
			}
		})
	}
}
