package accountstest

import (
	"crypto/sha256"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
)

// newInvitation returns a pending invitation to o of email with a fresh
// token hash, made at at and valid for a week.
func newInvitation(o accounts.Organization, email string, role accounts.Role, at time.Time) accounts.Invitation {
	_, hash := accounts.NewInvitationToken()
	return accounts.Invitation{ID: accounts.NewID(accounts.InvitationIDPrefix, at), OrgID: o.ID, Email: email, Role: role,
		Status: accounts.InvitationPending, TokenHash: hash, InvitedBy: "usr_inviter",
		CreatedAt: at, UpdatedAt: at, SentAt: at, ExpiresAt: at.Add(7 * 24 * time.Hour)}
}

func mustInvite(t *testing.T, s accounts.Store, o accounts.Organization, email string, role accounts.Role, at time.Time) accounts.Invitation {
	t.Helper()
	inv, err := s.CreateInvitation(ctx(t), newInvitation(o, email, role, at))
	mustNoErr(t, "create invitation "+email, err)
	return inv
}

func testInvitationCreateGet(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	in := newInvitation(o, "Ada@Example.com", accounts.RoleEditor, t0)
	got, err := s.CreateInvitation(ctx(t), in)
	mustNoErr(t, "create invitation", err)
	want := in
	want.CreatedAt, want.UpdatedAt, want.SentAt, want.ExpiresAt = us(t0), us(t0), us(t0), us(in.ExpiresAt)
	wantEqual(t, "created invitation", got, want)
	byID, err := s.GetInvitation(ctx(t), o.ID, in.ID)
	mustNoErr(t, "get invitation", err)
	wantEqual(t, "invitation by id", byID, want)
	byToken, err := s.GetInvitationByToken(ctx(t), in.TokenHash)
	mustNoErr(t, "get invitation by token", err)
	wantEqual(t, "invitation by token", byToken, want)

	_, err = s.GetInvitationByToken(ctx(t), sha256.Sum256([]byte("other")))
	wantErr(t, "unknown token", err, accounts.ErrNotFound)
	other := mustCreateOrg(t, s, "globex", t0)
	_, err = s.GetInvitation(ctx(t), other.ID, in.ID)
	wantErr(t, "invitation of another organization", err, accounts.ErrNotFound)

	_, err = s.CreateInvitation(ctx(t), newInvitation(o, "ada@example.COM", accounts.RoleViewer, t0))
	wantErr(t, "second pending invitation, other case", err, accounts.ErrConflict)
	mustInvite(t, s, other, "ada@example.com", accounts.RoleViewer, t0)
	dupToken := newInvitation(o, "bob@example.com", accounts.RoleViewer, t0)
	dupToken.TokenHash = in.TokenHash
	_, err = s.CreateInvitation(ctx(t), dupToken)
	wantErr(t, "token hash taken", err, accounts.ErrConflict)
	_, err = s.CreateInvitation(ctx(t), newInvitation(newOrg("nowhere", t0), "c@example.com", accounts.RoleViewer, t0))
	wantErr(t, "unknown organization", err, accounts.ErrNotFound)

	for name, mutate := range map[string]func(*accounts.Invitation){
		"bad id":        func(i *accounts.Invitation) { i.ID = "inv_x" },
		"bad email":     func(i *accounts.Invitation) { i.Email = "Ada <ada@example.com>" },
		"bad role":      func(i *accounts.Invitation) { i.Role = "root" },
		"no hash":       func(i *accounts.Invitation) { i.TokenHash = [32]byte{} },
		"expires early": func(i *accounts.Invitation) { i.ExpiresAt = i.SentAt },
		"not pending": func(i *accounts.Invitation) {
			i.Status, i.RevokedAt = accounts.InvitationRevoked, t0
		},
	} {
		_, err := s.CreateInvitation(ctx(t), newInvitation(o, "x-"+strings.ReplaceAll(name, " ", "-")+"@example.com", accounts.RoleViewer, t0))
		mustNoErr(t, name+": valid twin", err)
		bad := newInvitation(o, "y-"+strings.ReplaceAll(name, " ", "-")+"@example.com", accounts.RoleViewer, t0)
		mutate(&bad)
		_, err = s.CreateInvitation(ctx(t), bad)
		wantErr(t, name, err, accounts.ErrInvalid)
	}
}

func testListPendingInvitations(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	other := mustCreateOrg(t, s, "globex", t0)
	mustInvite(t, s, other, "outsider@example.com", accounts.RoleViewer, t0)
	var want []accounts.Cursor
	for i := range 7 {
		at := t0.Add(time.Duration(i/2) * time.Second) // pairs share a time: the ID breaks the tie
		inv := mustInvite(t, s, o, string(rune('a'+i))+"@example.com", accounts.RoleViewer, at)
		want = append(want, accounts.Cursor{At: inv.CreatedAt, Key: inv.ID})
	}
	revoked := mustInvite(t, s, o, "revoked@example.com", accounts.RoleViewer, t0)
	_, err := s.RevokeInvitation(ctx(t), o.ID, revoked.ID, t0)
	mustNoErr(t, "revoke", err)
	items, pages := collect(t, 3, func(r accounts.PageRequest) (accounts.Page[accounts.Invitation], error) {
		return s.ListPendingInvitations(ctx(t), o.ID, r)
	})
	if len(items) != 7 || pages != 3 {
		t.Fatalf("got %d invitations in %d pages, want 7 in 3", len(items), pages)
	}
	var got []accounts.Cursor
	for _, inv := range items {
		got = append(got, accounts.Cursor{At: inv.CreatedAt, Key: inv.ID})
		if inv.OrgID != o.ID || inv.Status != accounts.InvitationPending {
			t.Errorf("listed %+v, want only pending invitations of %s", inv, o.ID)
		}
	}
	wantNewestFirst(t, "invitations", got)
	_, err = s.ListPendingInvitations(ctx(t), o.ID, accounts.PageRequest{Cursor: "bogus"})
	wantErr(t, "bad cursor", err, accounts.ErrInvalid)
}

func testRenewInvitation(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	inv := mustInvite(t, s, o, "ada@example.com", accounts.RoleViewer, t0)
	_, hash := accounts.NewInvitationToken()
	later := t0.Add(time.Minute)
	_, err := s.RenewInvitation(ctx(t), o.ID, inv.ID, hash, t0.Add(30*time.Second), later.Add(time.Hour), t0.Add(-30*time.Second))
	wantErr(t, "renew too soon", err, accounts.ErrThrottled)
	got, err := s.RenewInvitation(ctx(t), o.ID, inv.ID, hash, later, later.Add(time.Hour), t0)
	mustNoErr(t, "renew", err)
	if got.TokenHash != hash || !got.SentAt.Equal(us(later)) || !got.ExpiresAt.Equal(us(later.Add(time.Hour))) || !got.CreatedAt.Equal(us(t0)) {
		t.Errorf("renewed: got %+v", got)
	}
	_, err = s.GetInvitationByToken(ctx(t), inv.TokenHash)
	wantErr(t, "old token", err, accounts.ErrNotFound)
	_, err = s.RenewInvitation(ctx(t), o.ID, accounts.NewID(accounts.InvitationIDPrefix, t0), hash, later, later.Add(time.Hour), later)
	wantErr(t, "renew unknown", err, accounts.ErrNotFound)
	other := mustCreateOrg(t, s, "globex", t0)
	_, err = s.RenewInvitation(ctx(t), other.ID, inv.ID, hash, later, later.Add(time.Hour), later)
	wantErr(t, "renew in another organization", err, accounts.ErrNotFound)
	_, err = s.RevokeInvitation(ctx(t), o.ID, inv.ID, later)
	mustNoErr(t, "revoke", err)
	_, err = s.RenewInvitation(ctx(t), o.ID, inv.ID, hash, later.Add(time.Hour), later.Add(2*time.Hour), later.Add(time.Hour))
	wantErr(t, "renew revoked", err, accounts.ErrGone)
}

func testRenewInvitationConcurrent(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	inv := mustInvite(t, s, o, "ada@example.com", accounts.RoleViewer, t0)
	later := t0.Add(time.Hour)
	const n = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok, slow int
	)
	for range n {
		wg.Go(func() {
			_, hash := accounts.NewInvitationToken()
			_, err := s.RenewInvitation(ctx(t), o.ID, inv.ID, hash, later, later.Add(time.Hour), later.Add(-time.Minute))
			mu.Lock()
			defer mu.Unlock()
			switch accounts.Code(err) {
			case nil:
				ok++
			case accounts.ErrThrottled:
				slow++
			default:
				t.Errorf("renew: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 1 || slow != n-1 {
		t.Errorf("got %d renewals and %d throttled, want 1 and %d", ok, slow, n-1)
	}
}

func testRevokeInvitation(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	inv := mustInvite(t, s, o, "ada@example.com", accounts.RoleViewer, t0)
	at := t0.Add(time.Minute)
	got, err := s.RevokeInvitation(ctx(t), o.ID, inv.ID, at)
	mustNoErr(t, "revoke", err)
	if got.Status != accounts.InvitationRevoked || !got.RevokedAt.Equal(us(at)) {
		t.Errorf("revoked: got %+v", got)
	}
	again, err := s.RevokeInvitation(ctx(t), o.ID, inv.ID, at.Add(time.Minute))
	mustNoErr(t, "revoke again", err)
	wantEqual(t, "revoked again", again, got)
	// A revoked invitation no longer blocks a new one for the address.
	mustInvite(t, s, o, "ada@example.com", accounts.RoleViewer, at)
	_, err = s.RevokeInvitation(ctx(t), o.ID, accounts.NewID(accounts.InvitationIDPrefix, t0), at)
	wantErr(t, "revoke unknown", err, accounts.ErrNotFound)

	accepted := mustInvite(t, s, o, "bob@example.com", accounts.RoleViewer, t0)
	_, _, err = s.AcceptInvitation(ctx(t), accounts.InvitationAcceptance{InvitationID: accepted.ID, TokenHash: accepted.TokenHash, IdentityID: "usr_bob", At: at})
	mustNoErr(t, "accept", err)
	_, err = s.RevokeInvitation(ctx(t), o.ID, accepted.ID, at)
	wantErr(t, "revoke accepted", err, accounts.ErrGone)
}

func testAcceptInvitation(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	inv := mustInvite(t, s, o, "ada@example.com", accounts.RoleAdmin, t0)
	at := t0.Add(time.Hour)
	a := accounts.InvitationAcceptance{InvitationID: inv.ID, TokenHash: inv.TokenHash, IdentityID: "usr_ada", DisplayName: "Ada L.", At: at}
	m, created, err := s.AcceptInvitation(ctx(t), a)
	mustNoErr(t, "accept", err)
	want := accounts.Membership{OrgID: o.ID, IdentityID: "usr_ada", Role: accounts.RoleAdmin, Email: "ada@example.com",
		CreatedAt: us(at), UpdatedAt: us(at)}
	if !created {
		t.Error("first acceptance: got created false")
	}
	wantEqual(t, "membership", m, want)
	stored, err := s.GetMembership(ctx(t), o.ID, "usr_ada")
	mustNoErr(t, "get membership", err)
	wantEqual(t, "stored membership", stored, want)
	got, err := s.GetInvitation(ctx(t), o.ID, inv.ID)
	mustNoErr(t, "get invitation", err)
	if got.Status != accounts.InvitationAccepted || got.AcceptedBy != "usr_ada" || !got.AcceptedAt.Equal(us(at)) {
		t.Errorf("accepted invitation: got %+v", got)
	}
	p, err := s.GetProfile(ctx(t), "usr_ada")
	mustNoErr(t, "get profile", err)
	if p.DisplayName != "Ada L." {
		t.Errorf("profile: got display name %q, want Ada L.", p.DisplayName)
	}

	again, created, err := s.AcceptInvitation(ctx(t), a)
	mustNoErr(t, "accept again", err)
	if created {
		t.Error("second acceptance: got created true")
	}
	wantEqual(t, "membership again", again, want)
	other := a
	other.IdentityID = "usr_eve"
	_, _, err = s.AcceptInvitation(ctx(t), other)
	wantErr(t, "accept by another", err, accounts.ErrGone)
	if _, err := s.GetMembership(ctx(t), o.ID, "usr_eve"); err == nil {
		t.Error("the second identity became a member")
	}
	// A second owner lets the membership go; the acceptance stays spent.
	mustAddMember(t, s, o.ID, "usr_owner", accounts.RoleOwner, t0)
	mustNoErr(t, "remove", s.RemoveMembership(ctx(t), o.ID, "usr_ada"))
	_, _, err = s.AcceptInvitation(ctx(t), a)
	wantErr(t, "accept after removal", err, accounts.ErrGone)

	_, _, err = s.AcceptInvitation(ctx(t), accounts.InvitationAcceptance{InvitationID: accounts.NewID(accounts.InvitationIDPrefix, t0),
		TokenHash: inv.TokenHash, IdentityID: "usr_ada", At: at})
	wantErr(t, "accept unknown", err, accounts.ErrNotFound)
}

func testAcceptInvitationRefused(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	mustAddMember(t, s, o.ID, "usr_member", accounts.RoleViewer, t0)
	accept := func(inv accounts.Invitation, who string, at time.Time) error {
		_, _, err := s.AcceptInvitation(ctx(t), accounts.InvitationAcceptance{InvitationID: inv.ID, TokenHash: inv.TokenHash, IdentityID: who, At: at})
		return err
	}
	expired := mustInvite(t, s, o, "late@example.com", accounts.RoleViewer, t0)
	wantErr(t, "expired", accept(expired, "usr_late", expired.ExpiresAt), accounts.ErrGone)
	mustNoErr(t, "just in time", accept(expired, "usr_late", expired.ExpiresAt.Add(-time.Microsecond)))

	revoked := mustInvite(t, s, o, "gone@example.com", accounts.RoleViewer, t0)
	_, err := s.RevokeInvitation(ctx(t), o.ID, revoked.ID, t0)
	mustNoErr(t, "revoke", err)
	wantErr(t, "revoked", accept(revoked, "usr_gone", t0), accounts.ErrGone)

	resent := mustInvite(t, s, o, "resent@example.com", accounts.RoleViewer, t0)
	_, hash := accounts.NewInvitationToken()
	_, err = s.RenewInvitation(ctx(t), o.ID, resent.ID, hash, t0.Add(time.Hour), t0.Add(2*time.Hour), t0.Add(time.Hour))
	mustNoErr(t, "renew", err)
	wantErr(t, "old token", accept(resent, "usr_resent", t0.Add(time.Hour)), accounts.ErrGone)

	member := mustInvite(t, s, o, "member@example.com", accounts.RoleOwner, t0)
	wantErr(t, "already a member", accept(member, "usr_member", t0), accounts.ErrConflict)
	got, err := s.GetInvitation(ctx(t), o.ID, member.ID)
	mustNoErr(t, "get invitation", err)
	if got.Status != accounts.InvitationPending {
		t.Errorf("invitation of a member: got status %s, want pending", got.Status)
	}
	m, err := s.GetMembership(ctx(t), o.ID, "usr_member")
	mustNoErr(t, "get membership", err)
	if m.Role != accounts.RoleViewer {
		t.Errorf("member's role: got %s, want viewer unchanged", m.Role)
	}
}

func testAcceptInvitationConcurrent(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	inv := mustInvite(t, s, o, "ada@example.com", accounts.RoleViewer, t0)
	const n = 8
	var (
		wg          sync.WaitGroup
		mu          sync.Mutex
		created, gn int
	)
	for i := range n {
		wg.Go(func() {
			who := "usr_a"
			if i%2 == 1 {
				who = "usr_b"
			}
			_, c, err := s.AcceptInvitation(ctx(t), accounts.InvitationAcceptance{InvitationID: inv.ID, TokenHash: inv.TokenHash, IdentityID: who, At: t0})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && c:
				created++
			case err == nil:
			case accounts.Code(err) == accounts.ErrGone:
				gn++
			default:
				t.Errorf("accept: %v", err)
			}
		})
	}
	wg.Wait()
	if created != 1 || gn != n/2 {
		t.Errorf("got %d created and %d gone, want 1 and %d", created, gn, n/2)
	}
	p, err := listMemberships(ctx(t), s, o.ID, accounts.PageRequest{})
	mustNoErr(t, "list", err)
	if len(p.Items) != 1 {
		t.Errorf("got %d members, want 1", len(p.Items))
	}
}

func testPruneInvitations(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	pending := mustInvite(t, s, o, "pending@example.com", accounts.RoleViewer, t0)
	revoked := mustInvite(t, s, o, "revoked@example.com", accounts.RoleViewer, t0)
	_, err := s.RevokeInvitation(ctx(t), o.ID, revoked.ID, t0.Add(time.Hour))
	mustNoErr(t, "revoke", err)
	accepted := mustInvite(t, s, o, "accepted@example.com", accounts.RoleViewer, t0)
	_, _, err = s.AcceptInvitation(ctx(t), accounts.InvitationAcceptance{InvitationID: accepted.ID, TokenHash: accepted.TokenHash,
		IdentityID: "usr_accepted", At: t0.Add(2 * time.Hour)})
	mustNoErr(t, "accept", err)

	// Before anything ended, nothing goes.
	n, err := s.PruneInvitations(ctx(t), t0.Add(time.Hour))
	mustNoErr(t, "prune early", err)
	if n != 0 {
		t.Errorf("pruned %d invitations before any ended, want 0", n)
	}
	// After the revocation and the acceptance, not the pending one (it
	// expires after seven days).
	n, err = s.PruneInvitations(ctx(t), t0.Add(3*time.Hour))
	mustNoErr(t, "prune ended", err)
	if n != 2 {
		t.Errorf("pruned %d, want the revoked and the accepted invitation", n)
	}
	for _, id := range []string{revoked.ID, accepted.ID} {
		_, err := s.GetInvitation(ctx(t), o.ID, id)
		wantErr(t, "pruned invitation", err, accounts.ErrNotFound)
	}
	if _, err := s.GetInvitation(ctx(t), o.ID, pending.ID); err != nil {
		t.Errorf("pending invitation: %v", err)
	}
	// The membership the accepted one made stays.
	if _, err := s.GetMembership(ctx(t), o.ID, "usr_accepted"); err != nil {
		t.Errorf("membership of the pruned invitation: %v", err)
	}
	n, err = s.PruneInvitations(ctx(t), pending.ExpiresAt.Add(time.Second))
	mustNoErr(t, "prune expired", err)
	if n != 1 {
		t.Errorf("pruned %d after the pending one expired, want 1", n)
	}
}
