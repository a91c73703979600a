package accounts_test

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/accounts/accountsstore"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

// mailbox is a Mailer that keeps what it is given, or fails with err.
type mailbox struct {
	mu    sync.Mutex
	mails []accounts.InvitationMail
	err   error
}

func (m *mailbox) SendInvitation(_ context.Context, mail accounts.InvitationMail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.mails = append(m.mails, mail)
	return nil
}

// token returns the token of the last mail.
func (m *mailbox) token(tb testing.TB) string {
	tb.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.mails) == 0 {
		tb.Fatal("no mail sent")
	}
	_, tok, ok := strings.Cut(m.mails[len(m.mails)-1].AcceptURL, "#")
	if !ok {
		tb.Fatalf("accept URL %q has no token fragment", m.mails[len(m.mails)-1].AcceptURL)
	}
	return tok
}

// provisioner is an IdentityProvisioner that creates one identity per
// idempotency key, refuses addresses in taken, and counts calls.
type provisioner struct {
	mu    sync.Mutex
	byKey map[string]string
	taken map[string]bool
	calls int
}

func (p *provisioner) CreateIdentity(_ context.Context, email, password, key string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if id, ok := p.byKey[key]; ok {
		return id, nil
	}
	if p.taken[strings.ToLower(email)] {
		return "", accounts.NewError(accounts.ErrConflict, "an account with this address exists")
	}
	if len(password) < 8 {
		return "", accounts.NewError(accounts.ErrInvalid, "password too short (minimum 8 characters)")
	}
	id := "usr_" + strings.NewReplacer("@", "_", ".", "_").Replace(strings.ToLower(email))
	p.byKey[key] = id
	p.taken[strings.ToLower(email)] = true
	return id, nil
}

type invFixture struct {
	svc     *accounts.Service
	org     accounts.Organization
	mail    *mailbox
	prov    *provisioner
	now     *time.Time
	changes *[]accounts.MembershipChange
}

func newInvFixture(tb testing.TB) invFixture {
	tb.Helper()
	store, err := accountsstore.Open(tb.Context(), sqldbtest.Backends(tb)[0].Open(tb))
	mustNoErr(tb, "open store", err)
	now := t0
	var changes []accounts.MembershipChange
	f := invFixture{mail: &mailbox{}, prov: &provisioner{byKey: map[string]string{}, taken: map[string]bool{}}, now: &now, changes: &changes}
	accept, _ := url.Parse("https://dashboard.example.com/invitations/accept")
	f.svc = accounts.NewService(store, accounts.WithClock(func() time.Time { return *f.now }),
		accounts.WithMailer(f.mail), accounts.WithIdentityProvisioner(f.prov), accounts.WithAcceptURL(accept),
		accounts.WithMembershipHook(func(_ context.Context, c accounts.MembershipChange) { changes = append(changes, c) }))
	org, _, err := f.svc.CreateOrganization(tb.Context(), staff, accounts.NewOrganization{Name: "Acme", Slug: "acme", Plan: accounts.Plan{Name: "starter"}, Owner: "owner1"})
	mustNoErr(tb, "create org", err)
	for id, role := range map[string]accounts.Role{"admin1": accounts.RoleAdmin, "editor1": accounts.RoleEditor} {
		_, _, err := f.svc.PutMember(tb.Context(), person("owner1"), org.ID, id, role)
		mustNoErr(tb, "add "+id, err)
	}
	f.org = org
	return f
}

func (f invFixture) tick(d time.Duration) { *f.now = f.now.Add(d) }

func TestInviteRules(t *testing.T) {
	for _, c := range []struct {
		who  accounts.Principal
		role accounts.Role
		want error
	}{
		{person("owner1"), accounts.RoleOwner, nil},
		{person("admin1"), accounts.RoleAdmin, nil},
		{person("admin1"), accounts.RoleOwner, accounts.ErrForbidden},
		{person("editor1"), accounts.RoleViewer, accounts.ErrForbidden},
		{person("stranger"), accounts.RoleViewer, accounts.ErrNotFound},
		{staff, accounts.RoleOwner, nil},
	} {
		t.Run(c.who.IdentityID+" invites "+string(c.role), func(t *testing.T) {
			f := newInvFixture(t)
			inv, err := f.svc.Invite(t.Context(), c.who, f.org.ID, accounts.NewInvitation{Email: "new@example.com", Role: c.role})
			if c.want == nil {
				mustNoErr(t, "invite", err)
				if inv.Status != accounts.InvitationPending || !inv.ExpiresAt.Equal(t0.Add(accounts.DefaultInvitationTTL)) {
					t.Errorf("got %+v", inv)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Errorf("got error %v, want %v", err, c.want)
			}
		})
	}
}

func TestInvitationMail(t *testing.T) {
	f := newInvFixture(t)
	_, err := f.svc.PutProfile(t.Context(), person("owner1"), accounts.ProfileUpdate{DisplayName: "Olive Owner"})
	mustNoErr(t, "profile", err)
	inv, err := f.svc.Invite(t.Context(), person("owner1"), f.org.ID, accounts.NewInvitation{Email: "Ada@Example.com", Role: accounts.RoleEditor})
	mustNoErr(t, "invite", err)
	m := f.mail.mails[0]
	if m.To != "Ada@Example.com" || m.OrgName != "Acme" || m.InviterName != "Olive Owner" || m.Role != accounts.RoleEditor || !m.ExpiresAt.Equal(inv.ExpiresAt) {
		t.Errorf("got mail %+v", m)
	}
	if !strings.HasPrefix(m.AcceptURL, "https://dashboard.example.com/invitations/accept#pinv_") {
		t.Errorf("got accept URL %q", m.AcceptURL)
	}
	_, err = f.svc.Invite(t.Context(), person("owner1"), f.org.ID, accounts.NewInvitation{Email: "ada@example.com", Role: accounts.RoleViewer})
	if accounts.Code(err) != accounts.ErrConflict || accounts.Reason(err) != "invitation-pending" {
		t.Errorf("second invitation: got %v, want a conflict of reason invitation-pending", err)
	}

	f.mail.err = errors.New("smtp: connection refused")
	inv2, err := f.svc.Invite(t.Context(), person("owner1"), f.org.ID, accounts.NewInvitation{Email: "bob@example.com", Role: accounts.RoleViewer})
	if accounts.Code(err) != accounts.ErrNotSent || inv2.ID == "" {
		t.Fatalf("failed mail: got %+v, %v; want the invitation and ErrNotSent", inv2, err)
	}
	if strings.Contains(accounts.SafeMessage(err), "smtp") {
		t.Errorf("the safe message %q carries the cause", accounts.SafeMessage(err))
	}
	if _, err := f.svc.GetInvitation(t.Context(), person("owner1"), f.org.ID, inv2.ID); err != nil {
		t.Errorf("the invitation whose mail failed is not stored: %v", err)
	}
}

func TestInvitationNeedsAcceptURL(t *testing.T) {
	store, err := accountsstore.Open(t.Context(), sqldbtest.Backends(t)[0].Open(t))
	mustNoErr(t, "open store", err)
	svc := accounts.NewService(store)
	org, _, err := svc.CreateOrganization(t.Context(), staff, accounts.NewOrganization{Name: "Acme", Slug: "acme", Plan: accounts.Plan{Name: "starter"}, Owner: "owner1"})
	mustNoErr(t, "create org", err)
	_, err = svc.Invite(t.Context(), person("owner1"), org.ID, accounts.NewInvitation{Email: "a@example.com", Role: accounts.RoleViewer})
	if accounts.Code(err) != accounts.ErrUnavailable {
		t.Errorf("got %v, want ErrUnavailable without an accept URL", err)
	}
}

func TestDefaultMailerSendsAndLogsNothing(t *testing.T) {
	store, err := accountsstore.Open(t.Context(), sqldbtest.Backends(t)[0].Open(t))
	mustNoErr(t, "open store", err)
	accept, _ := url.Parse("https://dashboard.example.com/accept")
	svc := accounts.NewService(store, accounts.WithAcceptURL(accept))
	org, _, err := svc.CreateOrganization(t.Context(), staff, accounts.NewOrganization{Name: "Acme", Slug: "acme", Plan: accounts.Plan{Name: "starter"}, Owner: "owner1"})
	mustNoErr(t, "create org", err)
	_, err = svc.Invite(t.Context(), person("owner1"), org.ID, accounts.NewInvitation{Email: "a@example.com", Role: accounts.RoleViewer})
	if accounts.Code(err) != accounts.ErrNotSent || !errors.Is(err, accounts.ErrNoMailer) {
		t.Errorf("got %v, want ErrNotSent caused by ErrNoMailer", err)
	}
}

func TestResendInvitation(t *testing.T) {
	f := newInvFixture(t)
	inv, err := f.svc.Invite(t.Context(), person("owner1"), f.org.ID, accounts.NewInvitation{Email: "ada@example.com", Role: accounts.RoleOwner})
	mustNoErr(t, "invite", err)
	first := f.mail.token(t)
	f.tick(30 * time.Second)
	_, err = f.svc.ResendInvitation(t.Context(), person("owner1"), f.org.ID, inv.ID)
	var te *accounts.ThrottledError
	if !errors.As(err, &te) || te.RetryAfter != 30*time.Second {
		t.Fatalf("resend too soon: got %v, want a ThrottledError of 30s", err)
	}
	f.tick(30 * time.Second)
	_, err = f.svc.ResendInvitation(t.Context(), person("admin1"), f.org.ID, inv.ID)
	if !errors.Is(err, accounts.ErrForbidden) {
		t.Errorf("admin resends an owner invitation: got %v, want ErrForbidden", err)
	}
	again, err := f.svc.ResendInvitation(t.Context(), person("owner1"), f.org.ID, inv.ID)
	mustNoErr(t, "resend", err)
	if !again.ExpiresAt.Equal(f.now.Add(accounts.DefaultInvitationTTL)) {
		t.Errorf("resent: got expiry %v", again.ExpiresAt)
	}
	second := f.mail.token(t)
	if second == first {
		t.Fatal("resend kept the token")
	}
	_, _, err = f.svc.AcceptInvitationAs(t.Context(), person("someone"), first)
	if !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("old token: got %v, want ErrNotFound", err)
	}
	_, _, err = f.svc.AcceptInvitationAs(t.Context(), person("someone"), second)
	mustNoErr(t, "accept with the new token", err)
	f.tick(time.Hour)
	_, err = f.svc.ResendInvitation(t.Context(), person("owner1"), f.org.ID, inv.ID)
	if !errors.Is(err, accounts.ErrGone) {
		t.Errorf("resend accepted: got %v, want ErrGone", err)
	}
}

func TestAcceptInvitationWithoutAccount(t *testing.T) {
	f := newInvFixture(t)
	_, err := f.svc.Invite(t.Context(), person("owner1"), f.org.ID, accounts.NewInvitation{Email: "ada@example.com", Role: accounts.RoleEditor})
	mustNoErr(t, "invite", err)
	tok := f.mail.token(t)
	_, _, err = f.svc.AcceptInvitation(t.Context(), accounts.Acceptance{Token: tok, Password: "short"})
	if accounts.Code(err) != accounts.ErrInvalid || accounts.SafeMessage(err) != "password too short (minimum 8 characters)" {
		t.Errorf("short password: got %v, want the provisioner's safe message", err)
	}
	m, created, err := f.svc.AcceptInvitation(t.Context(), accounts.Acceptance{Token: tok, Password: "long enough", DisplayName: "Ada"})
	mustNoErr(t, "accept", err)
	if !created || m.IdentityID != "usr_ada_example_com" || m.Role != accounts.RoleEditor {
		t.Errorf("got %+v created %v", m, created)
	}
	pr, err := f.svc.Profile(t.Context(), person(m.IdentityID))
	mustNoErr(t, "profile", err)
	if pr.DisplayName != "Ada" {
		t.Errorf("got display name %q, want Ada", pr.DisplayName)
	}
	if n := len(*f.changes); n == 0 || (*f.changes)[n-1] != (accounts.MembershipChange{OrgID: f.org.ID, IdentityID: m.IdentityID, To: accounts.RoleEditor}) {
		t.Errorf("hook: got %+v", *f.changes)
	}
	// The same request again, as after a lost answer: the same
	// membership, no second identity.
	again, created, err := f.svc.AcceptInvitation(t.Context(), accounts.Acceptance{Token: tok, Password: "long enough"})
	mustNoErr(t, "accept again", err)
	if created || again != m {
		t.Errorf("accept again: got %+v created %v, want %+v not created", again, created, m)
	}
	f.tick(2 * time.Hour)
	_, _, err = f.svc.AcceptInvitation(t.Context(), accounts.Acceptance{Token: tok, Password: "long enough"})
	if !errors.Is(err, accounts.ErrGone) {
		t.Errorf("accept much later: got %v, want ErrGone", err)
	}
}

func TestAcceptInvitationAccountExists(t *testing.T) {
	f := newInvFixture(t)
	f.prov.taken["ada@example.com"] = true
	_, err := f.svc.Invite(t.Context(), person("owner1"), f.org.ID, accounts.NewInvitation{Email: "Ada@example.com", Role: accounts.RoleViewer})
	mustNoErr(t, "invite", err)
	_, _, err = f.svc.AcceptInvitation(t.Context(), accounts.Acceptance{Token: f.mail.token(t), Password: "long enough"})
	if accounts.Code(err) != accounts.ErrConflict || accounts.Reason(err) != "account-exists" {
		t.Errorf("got %v, want a conflict of reason account-exists", err)
	}
	m, created, err := f.svc.AcceptInvitationAs(t.Context(), person("usr_ada"), f.mail.token(t))
	mustNoErr(t, "accept signed in", err)
	if !created || m.Role != accounts.RoleViewer {
		t.Errorf("got %+v created %v", m, created)
	}
}

func TestAcceptInvitationExpiredAndRevoked(t *testing.T) {
	f := newInvFixture(t)
	_, err := f.svc.Invite(t.Context(), person("owner1"), f.org.ID, accounts.NewInvitation{Email: "late@example.com", Role: accounts.RoleViewer})
	mustNoErr(t, "invite", err)
	late := f.mail.token(t)
	inv, err := f.svc.Invite(t.Context(), person("owner1"), f.org.ID, accounts.NewInvitation{Email: "gone@example.com", Role: accounts.RoleViewer})
	mustNoErr(t, "invite", err)
	gone := f.mail.token(t)
	mustNoErr(t, "revoke", f.svc.RevokeInvitation(t.Context(), person("admin1"), f.org.ID, inv.ID))
	mustNoErr(t, "revoke again", f.svc.RevokeInvitation(t.Context(), person("admin1"), f.org.ID, inv.ID))
	f.tick(accounts.DefaultInvitationTTL)
	calls := f.prov.calls
	for name, tok := range map[string]string{"expired": late, "revoked": gone} {
		_, _, err := f.svc.AcceptInvitation(t.Context(), accounts.Acceptance{Token: tok, Password: "long enough"})
		if !errors.Is(err, accounts.ErrGone) {
			t.Errorf("%s without account: got %v, want ErrGone", name, err)
		}
		_, _, err = f.svc.AcceptInvitationAs(t.Context(), person("someone"), tok)
		if !errors.Is(err, accounts.ErrGone) {
			t.Errorf("%s signed in: got %v, want ErrGone", name, err)
		}
	}
	if f.prov.calls != calls {
		t.Error("an identity was requested for a dead invitation")
	}
}

func TestAcceptInvitationAlreadyMember(t *testing.T) {
	f := newInvFixture(t)
	_, err := f.svc.Invite(t.Context(), person("owner1"), f.org.ID, accounts.NewInvitation{Email: "ed@example.com", Role: accounts.RoleAdmin})
	mustNoErr(t, "invite", err)
	_, _, err = f.svc.AcceptInvitationAs(t.Context(), person("editor1"), f.mail.token(t))
	if accounts.Code(err) != accounts.ErrConflict || accounts.Reason(err) != "already-member" {
		t.Errorf("got %v, want a conflict of reason already-member", err)
	}
	p, err := f.svc.ListInvitations(t.Context(), person("owner1"), f.org.ID, accounts.PageRequest{})
	mustNoErr(t, "list", err)
	if len(p.Items) != 1 {
		t.Errorf("got %d pending invitations, want the one left pending", len(p.Items))
	}
}

func TestCreateOrganizationIdempotent(t *testing.T) {
	f := newInvFixture(t)
	n := accounts.NewOrganization{Name: "Globex", Slug: "globex", Plan: accounts.Plan{Name: "pro"}, Owner: "gowner", IdempotencyKey: "k-1"}
	o, replayed, err := f.svc.CreateOrganization(t.Context(), staff, n)
	mustNoErr(t, "create", err)
	if replayed {
		t.Error("first create: replayed")
	}
	again, replayed, err := f.svc.CreateOrganization(t.Context(), staff, n)
	mustNoErr(t, "retry", err)
	if !replayed || again.ID != o.ID {
		t.Errorf("retry: got %s replayed %v, want %s replayed", again.ID, replayed, o.ID)
	}
	other := n
	other.Slug = "globex-2"
	if _, _, err := f.svc.CreateOrganization(t.Context(), staff, other); !errors.Is(err, accounts.ErrIdempotencyKeyReused) {
		t.Errorf("same key, other body: got %v, want ErrIdempotencyKeyReused", err)
	}
	otherStaff := accounts.Principal{IdentityID: "staff2", Staff: true}
	if _, replayed, err := f.svc.CreateOrganization(t.Context(), otherStaff, other); err != nil || replayed {
		t.Errorf("same key, other caller: got replayed %v, %v; want a new organization", replayed, err)
	}
	f.tick(accounts.IdempotencyLifetime + time.Second)
	pruned, err := f.svc.PruneIdempotencyRecords(t.Context())
	mustNoErr(t, "prune", err)
	if pruned != 2 {
		t.Errorf("pruned %d, want 2", pruned)
	}
}

func TestBootstrapStaff(t *testing.T) {
	f := newInvFixture(t)
	o, err := f.svc.BootstrapStaff(t.Context(), "Operator", "operator", "admin0")
	mustNoErr(t, "bootstrap", err)
	if !o.Staff || o.Slug != "operator" {
		t.Errorf("got %+v", o)
	}
	again, err := f.svc.BootstrapStaff(t.Context(), "Operator", "operator", "admin0")
	mustNoErr(t, "bootstrap again", err)
	if again.ID != o.ID {
		t.Errorf("second start: got %s, want %s", again.ID, o.ID)
	}
	ms, err := f.svc.IdentityMemberships(t.Context(), "admin0")
	mustNoErr(t, "memberships", err)
	if len(ms) != 1 || ms[0].Role != accounts.RoleOwner || !ms[0].Staff {
		t.Errorf("got %+v, want owner of the staff organization", ms)
	}
	if _, err := f.svc.BootstrapStaff(t.Context(), "Operator", "acme", "admin1"); err != nil {
		t.Errorf("later start with a slug now taken: %v (the existing staff organization is kept)", err)
	}
}

func TestMembershipHook(t *testing.T) {
	f := newInvFixture(t)
	*f.changes = nil
	ctx := t.Context()
	_, _, err := f.svc.PutMember(ctx, person("owner1"), f.org.ID, "v1", accounts.RoleViewer)
	mustNoErr(t, "add", err)
	_, _, err = f.svc.PutMember(ctx, person("owner1"), f.org.ID, "v1", accounts.RoleEditor)
	mustNoErr(t, "promote", err)
	_, _, err = f.svc.PutMember(ctx, person("owner1"), f.org.ID, "admin1", accounts.RoleViewer)
	mustNoErr(t, "demote", err)
	mustNoErr(t, "remove", f.svc.RemoveMember(ctx, person("owner1"), f.org.ID, "v1"))
	mustNoErr(t, "leave", f.svc.RemoveMember(ctx, person("editor1"), f.org.ID, "editor1"))
	want := []accounts.MembershipChange{
		{OrgID: f.org.ID, IdentityID: "v1", To: accounts.RoleViewer},
		{OrgID: f.org.ID, IdentityID: "v1", From: accounts.RoleViewer, To: accounts.RoleEditor},
		{OrgID: f.org.ID, IdentityID: "admin1", From: accounts.RoleAdmin, To: accounts.RoleViewer},
		{OrgID: f.org.ID, IdentityID: "v1", From: accounts.RoleEditor},
		{OrgID: f.org.ID, IdentityID: "editor1", From: accounts.RoleEditor},
	}
	if len(*f.changes) != len(want) {
		t.Fatalf("got %+v, want %+v", *f.changes, want)
	}
	for i, c := range *f.changes {
		if c != want[i] {
			t.Errorf("change %d: got %+v, want %+v", i, c, want[i])
		}
	}
	demoted := []bool{false, false, true, true, true}
	for i, c := range want {
		if c.Demoted() != demoted[i] {
			t.Errorf("change %d Demoted: got %v, want %v", i, c.Demoted(), demoted[i])
		}
	}
}

func TestLogMailerLogsTheLink(t *testing.T) {
	var logs strings.Builder
	m := accounts.NewLogMailer(slog.New(slog.NewTextHandler(&logs, nil)))
	mustNoErr(t, "send", m.SendInvitation(t.Context(), accounts.InvitationMail{To: "a@example.com", OrgName: "Acme",
		Role: accounts.RoleViewer, AcceptURL: "https://d.example.com/accept#pinv_x"}))
	if !strings.Contains(logs.String(), "pinv_x") || !strings.Contains(logs.String(), "local use only") {
		t.Errorf("got log %q, want the link and the warning", logs.String())
	}
}

// syncBuffer is a log sink safe for the Run goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestRunPrunesAtOnceAndStops(t *testing.T) {
	store, err := accountsstore.Open(t.Context(), sqldbtest.Backends(t)[0].Open(t))
	mustNoErr(t, "open store", err)
	var logs syncBuffer
	now := t0
	svc := accounts.NewService(store, accounts.WithClock(func() time.Time { return now }),
		accounts.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	_, _, err = svc.CreateOrganization(t.Context(), staff, accounts.NewOrganization{Name: "G", Slug: "globex", Plan: accounts.Plan{Name: "p"}, Owner: "o", IdempotencyKey: "k"})
	mustNoErr(t, "create", err)
	now = now.Add(accounts.IdempotencyLifetime + time.Second)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "pruned idempotency records") {
		if time.Now().After(deadline) {
			t.Fatalf("Run did not prune at once; log %q", logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}
