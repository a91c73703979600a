package accountstest

import (
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
)

func owner(o accounts.Organization, id string, at time.Time) *accounts.Membership {
	return &accounts.Membership{OrgID: o.ID, IdentityID: id, Role: accounts.RoleOwner, CreatedAt: at, UpdatedAt: at}
}

func testCreateOrganizationWithOwner(t *testing.T, s accounts.Store) {
	o := newOrg("acme", t0)
	got, err := s.CreateOrganizationWithOwner(ctx(t), o, owner(o, "usr_ada", t0), nil)
	mustNoErr(t, "create", err)
	want := o
	want.CreatedAt, want.UpdatedAt = us(t0), us(t0)
	wantEqual(t, "organization", got, want)
	m, err := s.GetMembership(ctx(t), o.ID, "usr_ada")
	mustNoErr(t, "get owner", err)
	if m.Role != accounts.RoleOwner {
		t.Errorf("got role %s, want owner", m.Role)
	}

	// A slug conflict stores neither record.
	dup := newOrg("acme", t0)
	_, err = s.CreateOrganizationWithOwner(ctx(t), dup, owner(dup, "usr_bob", t0), nil)
	wantErr(t, "slug taken", err, accounts.ErrConflict)
	_, err = s.GetMembership(ctx(t), dup.ID, "usr_bob")
	wantErr(t, "owner of the refused organization", err, accounts.ErrNotFound)

	bad := newOrg("globex", t0)
	_, err = s.CreateOrganizationWithOwner(ctx(t), bad, owner(o, "usr_bob", t0), nil)
	wantErr(t, "owner of another organization", err, accounts.ErrInvalid)
	_, err = s.GetOrganization(ctx(t), bad.ID)
	wantErr(t, "refused organization", err, accounts.ErrNotFound)

	// Without an owner the organization has no member until an invitation
	// is accepted.
	pending := newOrg("initech", t0)
	_, err = s.CreateOrganizationWithOwner(ctx(t), pending, nil, nil)
	mustNoErr(t, "create without owner", err)
	ms, err := listMemberships(ctx(t), s, pending.ID, accounts.PageRequest{})
	mustNoErr(t, "members", err)
	if len(ms.Items) != 0 {
		t.Errorf("organization created without owner has members %+v", ms.Items)
	}
}

func testIdempotencyRecords(t *testing.T, s accounts.Store) {
	rec := func(o accounts.Organization, key string, at time.Time) *accounts.IdempotencyRecord {
		return &accounts.IdempotencyRecord{Scope: "create-org:usr_staff", Key: key, Fingerprint: sha256.Sum256([]byte(o.Slug)),
			ResourceID: o.ID, CreatedAt: at, ExpiresAt: at.Add(24 * time.Hour)}
	}
	o := newOrg("acme", t0)
	r := rec(o, "key-1", t0)
	_, err := s.CreateOrganizationWithOwner(ctx(t), o, owner(o, "usr_ada", t0), r)
	mustNoErr(t, "create", err)
	got, err := s.GetIdempotencyRecord(ctx(t), r.Scope, r.Key, t0.Add(time.Hour))
	mustNoErr(t, "get record", err)
	want := *r
	want.CreatedAt, want.ExpiresAt = us(r.CreatedAt), us(r.ExpiresAt)
	wantEqual(t, "record", got, want)
	_, err = s.GetIdempotencyRecord(ctx(t), "create-org:usr_other", r.Key, t0)
	wantErr(t, "other scope", err, accounts.ErrNotFound)
	_, err = s.GetIdempotencyRecord(ctx(t), r.Scope, r.Key, r.ExpiresAt)
	wantErr(t, "expired record", err, accounts.ErrNotFound)

	// The same key again, before expiry: nothing is stored.
	o2 := newOrg("globex", t0)
	_, err = s.CreateOrganizationWithOwner(ctx(t), o2, owner(o2, "usr_ada", t0), rec(o2, "key-1", t0.Add(time.Hour)))
	wantErr(t, "key reused", err, accounts.ErrIdempotencyKeyReused)
	_, err = s.GetOrganization(ctx(t), o2.ID)
	wantErr(t, "organization of a reused key", err, accounts.ErrNotFound)
	// After expiry the key is free again.
	later := r.ExpiresAt.Add(time.Second)
	_, err = s.CreateOrganizationWithOwner(ctx(t), o2, owner(o2, "usr_ada", t0), rec(o2, "key-1", later))
	mustNoErr(t, "key reused after expiry", err)
	got, err = s.GetIdempotencyRecord(ctx(t), r.Scope, r.Key, later)
	mustNoErr(t, "get renewed record", err)
	if got.ResourceID != o2.ID {
		t.Errorf("renewed record: got resource %s, want %s", got.ResourceID, o2.ID)
	}

	o3 := newOrg("initech", t0)
	_, err = s.CreateOrganizationWithOwner(ctx(t), o3, owner(o3, "usr_ada", t0), rec(o3, "key-2", t0))
	mustNoErr(t, "create with key-2", err)
	n, err := s.PruneIdempotencyRecords(ctx(t), t0.Add(25*time.Hour))
	mustNoErr(t, "prune", err)
	if n != 1 {
		t.Errorf("pruned %d records, want 1 (key-2)", n)
	}
	_, err = s.GetIdempotencyRecord(ctx(t), r.Scope, r.Key, t0.Add(25*time.Hour))
	mustNoErr(t, "unexpired record survives pruning", err)
}

func testEnsureStaffOrganization(t *testing.T, s accounts.Store) {
	staff := func(slug string) accounts.Organization {
		o := newOrg(slug, t0)
		o.Staff = true
		return o
	}
	o := staff("operator")
	got, created, err := s.EnsureStaffOrganization(ctx(t), o, *owner(o, "usr_admin", t0))
	mustNoErr(t, "ensure", err)
	if !created || got.ID != o.ID || !got.Staff {
		t.Errorf("first ensure: got %+v, created %v", got, created)
	}
	// Again, with another candidate and another identity: the same
	// organization, and the identity joins it as owner.
	o2 := staff("operator-2")
	again, created, err := s.EnsureStaffOrganization(ctx(t), o2, *owner(o2, "usr_second", t0))
	mustNoErr(t, "ensure again", err)
	if created || again.ID != o.ID {
		t.Errorf("second ensure: got %s created %v, want %s not created", again.ID, created, o.ID)
	}
	m, err := s.GetMembership(ctx(t), o.ID, "usr_second")
	mustNoErr(t, "second owner", err)
	if m.Role != accounts.RoleOwner {
		t.Errorf("got role %s, want owner", m.Role)
	}
	// A member keeps their role.
	_, err = s.ChangeRole(ctx(t), o.ID, "usr_second", accounts.RoleViewer, t0)
	mustNoErr(t, "demote", err)
	_, _, err = s.EnsureStaffOrganization(ctx(t), o2, *owner(o2, "usr_second", t0))
	mustNoErr(t, "ensure for a member", err)
	m, err = s.GetMembership(ctx(t), o.ID, "usr_second")
	mustNoErr(t, "get member", err)
	if m.Role != accounts.RoleViewer {
		t.Errorf("got role %s, want viewer kept", m.Role)
	}

	if m.Email != "" {
		t.Errorf("got email %q, want none: none was given", m.Email)
	}
	// An address given later fills the member's unknown one, and never
	// replaces a known one.
	withEmail := *owner(o2, "usr_second", t0)
	withEmail.Email = "second@example.com"
	_, _, err = s.EnsureStaffOrganization(ctx(t), o2, withEmail)
	mustNoErr(t, "ensure with an address", err)
	m, err = s.GetMembership(ctx(t), o.ID, "usr_second")
	mustNoErr(t, "get member", err)
	if m.Email != "second@example.com" || m.Role != accounts.RoleViewer {
		t.Errorf("got %s %q, want viewer second@example.com", m.Role, m.Email)
	}
	withEmail.Email = "other@example.com"
	_, _, err = s.EnsureStaffOrganization(ctx(t), o2, withEmail)
	mustNoErr(t, "ensure with another address", err)
	m, err = s.GetMembership(ctx(t), o.ID, "usr_second")
	mustNoErr(t, "get member", err)
	if m.Email != "second@example.com" {
		t.Errorf("got email %q, want second@example.com kept", m.Email)
	}
	withEmail.IdentityID, withEmail.Email = "usr_third", "third@example.com"
	_, _, err = s.EnsureStaffOrganization(ctx(t), o2, withEmail)
	mustNoErr(t, "ensure a new owner with an address", err)
	m, err = s.GetMembership(ctx(t), o.ID, "usr_third")
	mustNoErr(t, "get new owner", err)
	if m.Email != "third@example.com" || m.Role != accounts.RoleOwner {
		t.Errorf("got %s %q, want owner third@example.com", m.Role, m.Email)
	}
	withEmail.Email = "not an address"
	_, _, err = s.EnsureStaffOrganization(ctx(t), o2, withEmail)
	wantErr(t, "malformed address", err, accounts.ErrInvalid)

	notStaff := newOrg("plain", t0)
	_, _, err = s.EnsureStaffOrganization(ctx(t), notStaff, *owner(notStaff, "usr_admin", t0))
	wantErr(t, "not staff", err, accounts.ErrInvalid)
}

func testEnsureStaffOrganizationSlugTaken(t *testing.T, s accounts.Store) {
	mustCreateOrg(t, s, "operator", t0)
	o := newOrg("operator", t0)
	o.Staff = true
	_, _, err := s.EnsureStaffOrganization(ctx(t), o, *owner(o, "usr_admin", t0))
	wantErr(t, "slug taken", err, accounts.ErrConflict)
}

func testEnsureStaffOrganizationConcurrent(t *testing.T, s accounts.Store) {
	const n = 6
	var (
		wg  sync.WaitGroup
		ids = make([]string, n)
	)
	for i := range n {
		wg.Go(func() {
			o := newOrg("operator-"+string(rune('a'+i)), t0)
			o.Staff = true
			got, _, err := s.EnsureStaffOrganization(ctx(t), o, *owner(o, "usr_admin", t0))
			if err != nil {
				t.Errorf("ensure %d: %v", i, err)
				return
			}
			ids[i] = got.ID
		})
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if ids[i] != ids[0] {
			t.Fatalf("got staff organizations %v, want one", ids)
		}
	}
}
