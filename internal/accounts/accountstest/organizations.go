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
	page, err := s.ListOrganizations(ctx(t), accounts.OrgFilter{}, accounts.PageRequest{})
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
		return s.ListOrganizations(ctx(t), accounts.OrgFilter{}, r)
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

func testSearchOrgs(t *testing.T, s accounts.Store) {
	acme := mustCreateOrg(t, s, "acme", t0)
	globex := mustCreateOrg(t, s, "globex-tv", t0.Add(time.Second))
	under := newOrg("under-score", t0.Add(2*time.Second))
	under.Name = "Under_Score Media"
	other, err := s.CreateOrganization(ctx(t), under)
	mustNoErr(t, "create organization", err)
	globex.Status, globex.UpdatedAt = accounts.OrgSuspended, t0.Add(time.Hour)
	_, err = s.UpdateOrganization(ctx(t), globex)
	mustNoErr(t, "suspend", err)
	for _, tc := range []struct {
		f    accounts.OrgFilter
		want []string
	}{
		{accounts.OrgFilter{}, []string{other.ID, globex.ID, acme.ID}},
		{accounts.OrgFilter{Query: "ACM"}, []string{acme.ID}},
		{accounts.OrgFilter{Query: "tv"}, []string{globex.ID}},
		{accounts.OrgFilter{Query: acme.ID}, []string{acme.ID}},
		{accounts.OrgFilter{Query: "_"}, []string{other.ID}}, // a literal, not LIKE's wildcard
		{accounts.OrgFilter{Query: "%"}, nil},
		{accounts.OrgFilter{Status: accounts.OrgSuspended}, []string{globex.ID}},
		{accounts.OrgFilter{Status: accounts.OrgActive, Query: "e"}, []string{other.ID, acme.ID}},
	} {
		p, err := s.ListOrganizations(ctx(t), tc.f, accounts.PageRequest{})
		mustNoErr(t, "search", err)
		var got []string
		for _, o := range p.Items {
			got = append(got, o.ID)
			if !tc.f.Selects(o) {
				t.Errorf("filter %+v: the store selected %s, which Selects refuses", tc.f, o.ID)
			}
		}
		wantEqual(t, fmt.Sprintf("filter %+v", tc.f), got, tc.want)
	}
	// Pages of a search.
	p, err := s.ListOrganizations(ctx(t), accounts.OrgFilter{Query: "e"}, accounts.PageRequest{Limit: 1})
	mustNoErr(t, "first page", err)
	p2, err := s.ListOrganizations(ctx(t), accounts.OrgFilter{Query: "e"}, accounts.PageRequest{Limit: 5, Cursor: p.NextCursor})
	mustNoErr(t, "second page", err)
	if len(p.Items) != 1 || len(p2.Items) != 2 || p2.NextCursor != "" {
		t.Errorf("pages of a search: %d then %d items (cursor %q), want 1 then 2", len(p.Items), len(p2.Items), p2.NextCursor)
	}
	for _, f := range []accounts.OrgFilter{{Status: "closed"}, {Query: strings.Repeat("a", accounts.MaxOrgQuery+1)}, {Query: "a\nb"}} {
		_, err := s.ListOrganizations(ctx(t), f, accounts.PageRequest{})
		wantErr(t, fmt.Sprintf("filter %+v", f), err, accounts.ErrInvalid)
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
		_, err := s.ListOrganizations(ctx(t), accounts.OrgFilter{}, r)
		wantErr(t, "organizations: "+name, err, accounts.ErrInvalid)
	}
	_, err := listMemberships(ctx(t), s, o.ID, accounts.PageRequest{Cursor: accounts.Cursor{At: t0, Key: "bad key!"}.String()})
	wantErr(t, "memberships: bad key", err, accounts.ErrInvalid)
}
