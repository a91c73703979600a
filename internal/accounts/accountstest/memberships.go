package accountstest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
)

func testMembershipAddGetList(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	in := accounts.Membership{OrgID: o.ID, IdentityID: "usr_ada", Role: accounts.RoleOwner, CreatedAt: t0, UpdatedAt: t0}
	got, err := s.AddMembership(ctx(t), in)
	mustNoErr(t, "add membership", err)
	want := in
	want.CreatedAt, want.UpdatedAt = us(t0), us(t0)
	wantEqual(t, "added membership", got, want)

	byKey, err := s.GetMembership(ctx(t), o.ID, "usr_ada")
	mustNoErr(t, "get membership", err)
	wantEqual(t, "membership by key", byKey, want)

	_, err = s.AddMembership(ctx(t), in)
	wantErr(t, "add again", err, accounts.ErrConflict)
	unknownOrg := in
	unknownOrg.OrgID = accounts.NewID(accounts.OrgIDPrefix, t0)
	_, err = s.AddMembership(ctx(t), unknownOrg)
	wantErr(t, "add to unknown organization", err, accounts.ErrNotFound)
	for name, mutate := range map[string]func(*accounts.Membership){
		"bad org id":      func(m *accounts.Membership) { m.OrgID = "acme" },
		"empty identity":  func(m *accounts.Membership) { m.IdentityID = "" },
		"identity spaces": func(m *accounts.Membership) { m.IdentityID = "usr ada" },
		"bad role":        func(m *accounts.Membership) { m.Role = "superuser" },
		"bad email":       func(m *accounts.Membership) { m.Email = "Ada <ada@example.com>" },
		"zero time":       func(m *accounts.Membership) { m.UpdatedAt = time.Time{} },
	} {
		m := in
		m.IdentityID = "usr_other"
		mutate(&m)
		_, err := s.AddMembership(ctx(t), m)
		wantErr(t, name, err, accounts.ErrInvalid)
	}

	mustAddMember(t, s, o.ID, "usr_bob", accounts.RoleViewer, t0.Add(time.Second))
	p, err := listMemberships(ctx(t), s, o.ID, accounts.PageRequest{})
	mustNoErr(t, "list memberships", err)
	if len(p.Items) != 2 || p.Items[0].IdentityID != "usr_bob" || p.Items[1].IdentityID != "usr_ada" || p.NextCursor != "" {
		t.Errorf("got %+v, want bob then ada and no cursor", p)
	}
	_, err = s.GetMembership(ctx(t), o.ID, "usr_carol")
	wantErr(t, "get unknown membership", err, accounts.ErrNotFound)
}

func testListMembers(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	other := mustCreateOrg(t, s, "globex", t0)
	ada := accounts.Membership{OrgID: o.ID, IdentityID: "usr_ada", Role: accounts.RoleOwner, Email: "Ada@Example.com",
		CreatedAt: t0, UpdatedAt: t0}
	got, err := s.AddMembership(ctx(t), ada)
	mustNoErr(t, "add ada", err)
	if got.Email != ada.Email {
		t.Errorf("added membership: got email %q, want %q as given", got.Email, ada.Email)
	}
	bob := mustAddMember(t, s, o.ID, "usr_bob", accounts.RoleViewer, t0.Add(time.Second))
	mustAddMember(t, s, other.ID, "usr_ada", accounts.RoleViewer, t0)
	_, err = s.PutProfile(ctx(t), accounts.Profile{IdentityID: "usr_ada", DisplayName: "Ada L.", UpdatedAt: t0})
	mustNoErr(t, "put ada's profile", err)
	// A profile of someone who is not a member is not listed.
	_, err = s.PutProfile(ctx(t), accounts.Profile{IdentityID: "usr_carol", DisplayName: "Carol", UpdatedAt: t0})
	mustNoErr(t, "put carol's profile", err)

	p, err := s.ListMembers(ctx(t), o.ID, accounts.PageRequest{})
	mustNoErr(t, "list members", err)
	ada.CreatedAt, ada.UpdatedAt = us(t0), us(t0)
	wantEqual(t, "members", p, accounts.Page[accounts.Member]{Items: []accounts.Member{
		{Membership: bob},
		{Membership: ada, DisplayName: "Ada L."},
	}})

	// The display name follows the profile; the page size and cursor
	// work as for any list.
	_, err = s.PutProfile(ctx(t), accounts.Profile{IdentityID: "usr_bob", DisplayName: "Bob", UpdatedAt: t0})
	mustNoErr(t, "put bob's profile", err)
	first, err := s.ListMembers(ctx(t), o.ID, accounts.PageRequest{Limit: 1})
	mustNoErr(t, "list first page", err)
	if len(first.Items) != 1 || first.Items[0].DisplayName != "Bob" || first.NextCursor == "" {
		t.Fatalf("first page: got %+v, want bob named Bob and a cursor", first)
	}
	second, err := s.ListMembers(ctx(t), o.ID, accounts.PageRequest{Limit: 1, Cursor: first.NextCursor})
	mustNoErr(t, "list second page", err)
	if len(second.Items) != 1 || second.Items[0].IdentityID != "usr_ada" || second.Items[0].Email != "Ada@Example.com" {
		t.Errorf("second page: got %+v, want ada with her address", second)
	}
}

func testListMemberships(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	other := mustCreateOrg(t, s, "globex", t0)
	mustAddMember(t, s, other.ID, "usr_outsider", accounts.RoleOwner, t0)
	list := func(r accounts.PageRequest) (accounts.Page[accounts.Membership], error) {
		return listMemberships(ctx(t), s, o.ID, r)
	}
	all, pages := collect(t, 4, list)
	if len(all) != 0 || pages != 1 {
		t.Errorf("empty organization: got %d memberships on %d pages, want 0 on 1", len(all), pages)
	}

	want := map[string]bool{}
	for n := range 8 {
		at := t0
		if n >= 5 {
			at = t0.Add(time.Duration(n) * time.Minute)
		}
		id := fmt.Sprintf("usr_%02d", n)
		mustAddMember(t, s, o.ID, id, accounts.RoleViewer, at)
		want[id] = true
	}
	for _, tc := range []struct{ limit, pages int }{{1, 8}, {3, 3}, {4, 2}, {7, 2}, {8, 1}, {9, 1}} {
		t.Run(fmt.Sprintf("limit %d", tc.limit), func(t *testing.T) {
			all, pages := collect(t, tc.limit, list)
			if pages != tc.pages {
				t.Errorf("got %d pages, want %d", pages, tc.pages)
			}
			if len(all) != len(want) {
				t.Fatalf("got %d memberships, want %d", len(all), len(want))
			}
			keys := make([]accounts.Cursor, len(all))
			for i, m := range all {
				if !want[m.IdentityID] || m.OrgID != o.ID {
					t.Errorf("unexpected membership %+v", m)
				}
				keys[i] = accounts.Cursor{At: m.CreatedAt, Key: m.IdentityID}
			}
			wantNewestFirst(t, "memberships", keys)
		})
	}
}

func testChangeRole(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	mustAddMember(t, s, o.ID, "usr_owner", accounts.RoleOwner, t0)
	mustAddMember(t, s, o.ID, "usr_ed", accounts.RoleViewer, t0)
	later := t0.Add(time.Hour)
	for _, role := range []accounts.Role{accounts.RoleEditor, accounts.RoleAdmin, accounts.RoleOwner, accounts.RoleViewer} {
		got, err := s.ChangeRole(ctx(t), o.ID, "usr_ed", role, later)
		mustNoErr(t, "change role to "+string(role), err)
		want := accounts.Membership{OrgID: o.ID, IdentityID: "usr_ed", Role: role, CreatedAt: us(t0), UpdatedAt: us(later)}
		wantEqual(t, "changed membership", got, want)
		byKey, err := s.GetMembership(ctx(t), o.ID, "usr_ed")
		mustNoErr(t, "get membership", err)
		wantEqual(t, "membership after change", byKey, want)
	}
	_, err := s.ChangeRole(ctx(t), o.ID, "usr_ed", "root", later)
	wantErr(t, "unknown role", err, accounts.ErrInvalid)
	_, err = s.ChangeRole(ctx(t), o.ID, "usr_nobody", accounts.RoleAdmin, later)
	wantErr(t, "unknown member", err, accounts.ErrNotFound)
	_, err = s.ChangeRole(ctx(t), accounts.NewID(accounts.OrgIDPrefix, t0), "usr_ed", accounts.RoleAdmin, later)
	wantErr(t, "unknown organization", err, accounts.ErrNotFound)
}

func testRemoveMembership(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	mustAddMember(t, s, o.ID, "usr_owner", accounts.RoleOwner, t0)
	mustAddMember(t, s, o.ID, "usr_v", accounts.RoleViewer, t0)
	mustNoErr(t, "remove viewer", s.RemoveMembership(ctx(t), o.ID, "usr_v"))
	_, err := s.GetMembership(ctx(t), o.ID, "usr_v")
	wantErr(t, "get removed membership", err, accounts.ErrNotFound)
	wantErr(t, "remove again", s.RemoveMembership(ctx(t), o.ID, "usr_v"), accounts.ErrNotFound)
	wantErr(t, "remove from unknown organization",
		s.RemoveMembership(ctx(t), accounts.NewID(accounts.OrgIDPrefix, t0), "usr_owner"), accounts.ErrNotFound)
	// Re-adding after removal is a new membership.
	mustAddMember(t, s, o.ID, "usr_v", accounts.RoleEditor, t0.Add(time.Hour))
}

func testMembershipScopedByOrg(t *testing.T, s accounts.Store) {
	a := mustCreateOrg(t, s, "org-a", t0)
	b := mustCreateOrg(t, s, "org-b", t0)
	mustAddMember(t, s, a.ID, "usr_a_owner", accounts.RoleOwner, t0)
	mustAddMember(t, s, a.ID, "usr_a_owner2", accounts.RoleOwner, t0)
	mustAddMember(t, s, b.ID, "usr_b_owner", accounts.RoleOwner, t0)

	_, err := s.GetMembership(ctx(t), b.ID, "usr_a_owner")
	wantErr(t, "get A's member via B", err, accounts.ErrNotFound)
	_, err = s.ChangeRole(ctx(t), b.ID, "usr_a_owner", accounts.RoleViewer, t0)
	wantErr(t, "change A's member via B", err, accounts.ErrNotFound)
	wantErr(t, "remove A's member via B", s.RemoveMembership(ctx(t), b.ID, "usr_a_owner"), accounts.ErrNotFound)
	p, err := listMemberships(ctx(t), s, b.ID, accounts.PageRequest{})
	mustNoErr(t, "list B", err)
	if len(p.Items) != 1 || p.Items[0].IdentityID != "usr_b_owner" {
		t.Errorf("B's memberships: got %+v, want only usr_b_owner", p.Items)
	}
	// A cursor of A's list, used on B's, still sees only B's rows.
	pa, err := listMemberships(ctx(t), s, a.ID, accounts.PageRequest{Limit: 1})
	mustNoErr(t, "list A", err)
	pb, err := listMemberships(ctx(t), s, b.ID, accounts.PageRequest{Cursor: pa.NextCursor})
	mustNoErr(t, "list B with A's cursor", err)
	for _, m := range pb.Items {
		if m.OrgID != b.ID {
			t.Errorf("B's list with A's cursor returned %+v", m)
		}
	}
	got, err := s.GetMembership(ctx(t), a.ID, "usr_a_owner")
	mustNoErr(t, "get A's member via A", err)
	if got.Role != accounts.RoleOwner {
		t.Errorf("A's member: got role %s, want owner (unchanged)", got.Role)
	}
}

func testLastOwner(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	mustAddMember(t, s, o.ID, "usr_one", accounts.RoleOwner, t0)
	mustAddMember(t, s, o.ID, "usr_admin", accounts.RoleAdmin, t0)

	_, err := s.ChangeRole(ctx(t), o.ID, "usr_one", accounts.RoleAdmin, t0)
	wantErr(t, "demote only owner", err, accounts.ErrLastOwner)
	if accounts.Code(err) != accounts.ErrLastOwner || accounts.SafeMessage(err) == "" {
		t.Errorf("demote only owner: got code %v and message %q, want ErrLastOwner and a message", accounts.Code(err), accounts.SafeMessage(err))
	}
	wantErr(t, "remove only owner", s.RemoveMembership(ctx(t), o.ID, "usr_one"), accounts.ErrLastOwner)
	_, err = s.ChangeRole(ctx(t), o.ID, "usr_one", accounts.RoleOwner, t0)
	mustNoErr(t, "owner stays owner", err)

	// With a second owner, one of them may go, then not the other.
	_, err = s.ChangeRole(ctx(t), o.ID, "usr_admin", accounts.RoleOwner, t0)
	mustNoErr(t, "promote admin", err)
	_, err = s.ChangeRole(ctx(t), o.ID, "usr_one", accounts.RoleViewer, t0)
	mustNoErr(t, "demote first owner", err)
	wantErr(t, "remove second owner", s.RemoveMembership(ctx(t), o.ID, "usr_admin"), accounts.ErrLastOwner)
	mustNoErr(t, "remove demoted", s.RemoveMembership(ctx(t), o.ID, "usr_one"))
	m, err := s.GetMembership(ctx(t), o.ID, "usr_admin")
	mustNoErr(t, "get last owner", err)
	if m.Role != accounts.RoleOwner {
		t.Errorf("last owner: got role %s, want owner", m.Role)
	}
}

// testLastOwnerConcurrent takes both owners of an organization away at
// once, in every pairing of demotion and removal: exactly one call may
// succeed. Several rounds make a missing lock show up reliably.
func testLastOwnerConcurrent(t *testing.T, s accounts.Store) {
	type op func(orgID, identityID string) error
	demote := func(orgID, identityID string) error {
		_, err := s.ChangeRole(ctx(t), orgID, identityID, accounts.RoleAdmin, t0)
		return err
	}
	remove := func(orgID, identityID string) error { return s.RemoveMembership(ctx(t), orgID, identityID) }
	pairs := []struct {
		name   string
		first  op
		second op
	}{{"demote demote", demote, demote}, {"remove remove", remove, remove}, {"demote remove", demote, remove}}
	for pi, pair := range pairs {
		for round := range 8 {
			o := mustCreateOrg(t, s, fmt.Sprintf("org-%d-%d", pi, round), t0)
			mustAddMember(t, s, o.ID, "usr_a", accounts.RoleOwner, t0)
			mustAddMember(t, s, o.ID, "usr_b", accounts.RoleOwner, t0)
			start := make(chan struct{})
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, f := range []op{pair.first, pair.second} {
				wg.Go(func() {
					<-start
					errs[i] = f(o.ID, []string{"usr_a", "usr_b"}[i])
				})
			}
			close(start)
			wg.Wait()
			ok := 0
			for i, err := range errs {
				switch {
				case err == nil:
					ok++
				case accounts.Code(err) != accounts.ErrLastOwner:
					t.Errorf("%s round %d call %d: got error %v, want nil or ErrLastOwner", pair.name, round, i, err)
				}
			}
			if ok != 1 {
				t.Errorf("%s round %d: %d calls succeeded, want exactly 1 (errors %v)", pair.name, round, ok, errs)
			}
			p, err := listMemberships(ctx(t), s, o.ID, accounts.PageRequest{})
			mustNoErr(t, "list memberships", err)
			owners := 0
			for _, m := range p.Items {
				if m.Role == accounts.RoleOwner {
					owners++
				}
			}
			if owners != 1 {
				t.Errorf("%s round %d: got %d owners, want 1", pair.name, round, owners)
			}
		}
	}
}

func testIdentityMemberships(t *testing.T, s accounts.Store) {
	got, err := s.ListIdentityMemberships(ctx(t), "usr_ada")
	mustNoErr(t, "list with none", err)
	if got == nil || len(got) != 0 {
		t.Errorf("no memberships: got %#v, want an empty, non-nil list", got)
	}
	var want []accounts.Membership
	for n, role := range []accounts.Role{accounts.RoleOwner, accounts.RoleViewer, accounts.RoleEditor} {
		o := mustCreateOrg(t, s, fmt.Sprintf("org-%d", n), t0)
		want = append(want, mustAddMember(t, s, o.ID, "usr_ada", role, t0))
		mustAddMember(t, s, o.ID, "usr_bob", accounts.RoleAdmin, t0)
	}
	mustCreateOrg(t, s, "not-ada", t0)
	got, err = s.ListIdentityMemberships(ctx(t), "usr_ada")
	mustNoErr(t, "list identity memberships", err)
	// Ordered by organization ID.
	for i := 1; i < len(want); i++ {
		for j := i; j > 0 && want[j].OrgID < want[j-1].OrgID; j-- {
			want[j], want[j-1] = want[j-1], want[j]
		}
	}
	wantEqual(t, "ada's memberships", got, want)
}
