package accountstest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
)

func testOrgCreateGet(t *testing.T, s accounts.Store) {
	in := newOrg("acme-video", t0)
	in.Staff = true
	got, err := s.CreateOrganization(ctx(t), in)
	mustNoErr(t, "create organization", err)
	want := in
	want.CreatedAt, want.UpdatedAt = us(t0), us(t0)
	wantEqual(t, "created organization", got, want)

	byID, err := s.GetOrganization(ctx(t), in.ID)
	mustNoErr(t, "get organization", err)
	wantEqual(t, "organization by id", byID, want)

	_, err = s.GetOrganization(ctx(t), accounts.NewID(accounts.OrgIDPrefix, t0))
	wantErr(t, "get unknown organization", err, accounts.ErrNotFound)
}

func testOrgInvalid(t *testing.T, s accounts.Store) {
	for name, mutate := range map[string]func(*accounts.Organization){
		"bad id":            func(o *accounts.Organization) { o.ID = "usr_" + o.ID[4:] },
		"empty name":        func(o *accounts.Organization) { o.Name = "" },
		"control in name":   func(o *accounts.Organization) { o.Name = "a\nb" },
		"short slug":        func(o *accounts.Organization) { o.Slug = "ab" },
		"long slug":         func(o *accounts.Organization) { o.Slug = strings.Repeat("a", accounts.MaxSlugLen+1) },
		"upper-case slug":   func(o *accounts.Organization) { o.Slug = "Acme" },
		"underscore slug":   func(o *accounts.Organization) { o.Slug = "ac_me" },
		"leading hyphen":    func(o *accounts.Organization) { o.Slug = "-acme" },
		"empty plan":        func(o *accounts.Organization) { o.Plan.Name = "" },
		"negative cap":      func(o *accounts.Organization) { o.Plan.ViewerCap = -1 },
		"bad status":        func(o *accounts.Organization) { o.Status = "deleted" },
		"zero created time": func(o *accounts.Organization) { o.CreatedAt = time.Time{} },
	} {
		o := newOrg("valid-slug", t0)
		mutate(&o)
		_, err := s.CreateOrganization(ctx(t), o)
		wantErr(t, name, err, accounts.ErrInvalid)
		if accounts.SafeMessage(err) == "" {
			t.Errorf("%s: got no safe message in %v", name, err)
		}
	}
	for _, slug := range []string{"abc", strings.Repeat("a", accounts.MaxSlugLen), "a-1", "0rg"} {
		if !accounts.ValidSlug(slug) {
			t.Errorf("ValidSlug(%q) = false, want true", slug)
		}
	}
	page, err := s.ListOrganizations(ctx(t), accounts.PageRequest{})
	mustNoErr(t, "list organizations", err)
	if len(page.Items) != 0 {
		t.Errorf("got %d organizations after invalid creates, want 0", len(page.Items))
	}
}

func testOrgSlugConflict(t *testing.T, s accounts.Store) {
	first := mustCreateOrg(t, s, "acme", t0)
	_, err := s.CreateOrganization(ctx(t), newOrg("acme", t0))
	wantErr(t, "same slug", err, accounts.ErrConflict)

	sameID := newOrg("other", t0)
	sameID.ID = first.ID
	_, err = s.CreateOrganization(ctx(t), sameID)
	wantErr(t, "same id", err, accounts.ErrConflict)

	second := mustCreateOrg(t, s, "globex", t0)
	second.Slug = "acme"
	_, err = s.UpdateOrganization(ctx(t), second)
	wantErr(t, "update to a taken slug", err, accounts.ErrConflict)
}

func testOrgOneStaff(t *testing.T, s accounts.Store) {
	a := newOrg("operator", t0)
	a.Staff = true
	_, err := s.CreateOrganization(ctx(t), a)
	mustNoErr(t, "create staff organization", err)
	b := newOrg("operator-two", t0)
	b.Staff = true
	_, err = s.CreateOrganization(ctx(t), b)
	wantErr(t, "second staff organization", err, accounts.ErrConflict)
	mustCreateOrg(t, s, "customer-one", t0)
	mustCreateOrg(t, s, "customer-two", t0)
}

func testOrgUpdate(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	later := t0.Add(time.Hour)
	in := o
	in.Name, in.Slug = "Acme Corp", "acme-corp"
	in.Plan = accounts.Plan{Name: "enterprise", ViewerCap: 0}
	in.Status = accounts.OrgSuspended
	in.Staff = true                  // never changes
	in.CreatedAt = t0.Add(time.Hour) // never changes
	in.UpdatedAt = later
	got, err := s.UpdateOrganization(ctx(t), in)
	mustNoErr(t, "update organization", err)
	want := in
	want.Staff, want.CreatedAt, want.UpdatedAt = false, o.CreatedAt, us(later)
	wantEqual(t, "updated organization", got, want)
	byID, err := s.GetOrganization(ctx(t), o.ID)
	mustNoErr(t, "get organization", err)
	wantEqual(t, "organization after update", byID, want)

	unknown := newOrg("nobody", t0)
	_, err = s.UpdateOrganization(ctx(t), unknown)
	wantErr(t, "update unknown organization", err, accounts.ErrNotFound)
	in.Slug = "X"
	_, err = s.UpdateOrganization(ctx(t), in)
	wantErr(t, "update with bad slug", err, accounts.ErrInvalid)
}

func testListOrgs(t *testing.T, s accounts.Store) {
	list := func(r accounts.PageRequest) (accounts.Page[accounts.Organization], error) {
		return s.ListOrganizations(ctx(t), r)
	}
	// Empty: one empty page and no cursor.
	p, err := list(accounts.PageRequest{Limit: 3})
	mustNoErr(t, "list empty", err)
	if len(p.Items) != 0 || p.NextCursor != "" {
		t.Errorf("empty list: got %d items and cursor %q, want none", len(p.Items), p.NextCursor)
	}

	// Seven organizations share one timestamp, so page boundaries fall
	// inside a run of equal times and only the ID orders them.
	want := map[string]bool{}
	for n := range 12 {
		at := t0
		if n >= 7 {
			at = t0.Add(time.Duration(n) * time.Second)
		}
		want[mustCreateOrg(t, s, fmt.Sprintf("org-%02d", n), at).ID] = true
	}
	for _, tc := range []struct{ limit, pages int }{
		{1, 12}, {5, 3}, {6, 2}, {11, 2}, {12, 1}, {13, 1}, {50, 1},
	} {
		t.Run(fmt.Sprintf("limit %d", tc.limit), func(t *testing.T) {
			all, pages := collect(t, tc.limit, list)
			if pages != tc.pages {
				t.Errorf("got %d pages, want %d", pages, tc.pages)
			}
			if len(all) != len(want) {
				t.Fatalf("got %d organizations, want %d", len(all), len(want))
			}
			keys := make([]accounts.Cursor, len(all))
			for i, o := range all {
				if !want[o.ID] {
					t.Errorf("unexpected organization %s", o.ID)
				}
				keys[i] = accounts.Cursor{At: o.CreatedAt, Key: o.ID}
			}
			wantNewestFirst(t, "organizations", keys)
		})
	}
}

func testPageRequestInvalid(t *testing.T, s accounts.Store) {
	o := mustCreateOrg(t, s, "acme", t0)
	for name, r := range map[string]accounts.PageRequest{
		"negative limit":   {Limit: -1},
		"limit too large":  {Limit: accounts.MaxPageLimit + 1},
		"garbage cursor":   {Cursor: "not a cursor"},
		"membership key":   {Cursor: accounts.Cursor{At: t0, Key: "usr_x"}.String()},
		"other version":    {Cursor: "YzEuMS5vcmdf"},
		"cursor with CRLF": {Cursor: "YTEu\r\nMS5v"},
	} {
		_, err := s.ListOrganizations(ctx(t), r)
		wantErr(t, "organizations: "+name, err, accounts.ErrInvalid)
	}
	_, err := s.ListMemberships(ctx(t), o.ID, accounts.PageRequest{Cursor: accounts.Cursor{At: t0, Key: "bad key!"}.String()})
	wantErr(t, "memberships: bad key", err, accounts.ErrInvalid)
}
