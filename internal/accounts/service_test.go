package accounts_test

import (
	"errors"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/accounts/accountsstore"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
)

// fixture is an organization with one member of each role, a second
// owner, and a member to act on.
type fixture struct {
	svc   *accounts.Service
	org   accounts.Organization
	other accounts.Organization
}

var t0 = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func person(id string) accounts.Principal { return accounts.Principal{IdentityID: id} }

var staff = accounts.Principal{IdentityID: "staff1", Staff: true}

func mustNoErr(tb testing.TB, what string, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

func newFixture(tb testing.TB) fixture {
	tb.Helper()
	db := sqldbtest.Backends(tb)[0].Open(tb)
	store, err := accountsstore.Open(tb.Context(), db)
	mustNoErr(tb, "open store", err)
	now := t0
	svc := accounts.NewService(store, accounts.WithClock(func() time.Time { now = now.Add(time.Millisecond); return now }))
	ctx := tb.Context()
	org, _, err := svc.CreateOrganization(ctx, staff, accounts.NewOrganization{Name: "Acme", Slug: "acme", Plan: accounts.Plan{Name: "starter"}, Owner: "owner1"})
	mustNoErr(tb, "create org", err)
	for id, role := range map[string]accounts.Role{"owner2": accounts.RoleOwner, "admin1": accounts.RoleAdmin,
		"editor1": accounts.RoleEditor, "viewer1": accounts.RoleViewer, "target1": accounts.RoleEditor} {
		_, _, err := svc.PutMember(ctx, person("owner1"), org.ID, id, role)
		mustNoErr(tb, "add "+id, err)
	}
	other, _, err := svc.CreateOrganization(ctx, staff, accounts.NewOrganization{Name: "Other", Slug: "other", Plan: accounts.Plan{Name: "starter"}, Owner: "stranger"})
	mustNoErr(tb, "create other org", err)
	return fixture{svc: svc, org: org, other: other}
}

func ptr[T any](v T) *T { return &v }

// TestServiceRules runs each action as each kind of caller on a fresh
// organization.
func TestServiceRules(t *testing.T) {
	type action func(f fixture, p accounts.Principal) error
	actions := map[string]action{
		"get": func(f fixture, p accounts.Principal) error {
			_, err := f.svc.GetOrganization(t.Context(), p, f.org.ID)
			return err
		},
		"list members": func(f fixture, p accounts.Principal) error {
			_, err := f.svc.ListMembers(t.Context(), p, f.org.ID, accounts.PageRequest{})
			return err
		},
		"rename": func(f fixture, p accounts.Principal) error {
			_, err := f.svc.UpdateOrganization(t.Context(), p, f.org.ID, accounts.OrganizationPatch{Name: ptr("Acme 2")})
			return err
		},
		"change plan": func(f fixture, p accounts.Principal) error {
			_, err := f.svc.UpdateOrganization(t.Context(), p, f.org.ID, accounts.OrganizationPatch{Plan: &accounts.Plan{Name: "pro"}})
			return err
		},
		"suspend": func(f fixture, p accounts.Principal) error {
			_, err := f.svc.UpdateOrganization(t.Context(), p, f.org.ID, accounts.OrganizationPatch{Status: ptr(accounts.OrgSuspended)})
			return err
		},
		"add viewer": func(f fixture, p accounts.Principal) error {
			_, _, err := f.svc.PutMember(t.Context(), p, f.org.ID, "newbie", accounts.RoleViewer)
			return err
		},
		"add owner": func(f fixture, p accounts.Principal) error {
			_, _, err := f.svc.PutMember(t.Context(), p, f.org.ID, "newbie", accounts.RoleOwner)
			return err
		},
		"change role": func(f fixture, p accounts.Principal) error {
			_, _, err := f.svc.PutMember(t.Context(), p, f.org.ID, "target1", accounts.RoleViewer)
			return err
		},
		"promote to owner": func(f fixture, p accounts.Principal) error {
			_, _, err := f.svc.PutMember(t.Context(), p, f.org.ID, "target1", accounts.RoleOwner)
			return err
		},
		"demote owner": func(f fixture, p accounts.Principal) error {
			_, _, err := f.svc.PutMember(t.Context(), p, f.org.ID, "owner2", accounts.RoleAdmin)
			return err
		},
		"remove member": func(f fixture, p accounts.Principal) error {
			return f.svc.RemoveMember(t.Context(), p, f.org.ID, "target1")
		},
		"remove owner": func(f fixture, p accounts.Principal) error {
			return f.svc.RemoveMember(t.Context(), p, f.org.ID, "owner2")
		},
		"leave": func(f fixture, p accounts.Principal) error {
			return f.svc.RemoveMember(t.Context(), p, f.org.ID, p.IdentityID)
		},
		"create organization": func(f fixture, p accounts.Principal) error {
			_, _, err := f.svc.CreateOrganization(t.Context(), p, accounts.NewOrganization{Name: "New", Slug: "new-org", Plan: accounts.Plan{Name: "starter"}, Owner: "someone"})
			return err
		},
	}
	ok, no, hidden := error(nil), accounts.ErrForbidden, accounts.ErrNotFound
	callers := []accounts.Principal{person("owner1"), person("admin1"), person("editor1"), person("viewer1"), person("stranger"), staff}
	// want lists the outcome for each caller, in the order of callers.
	want := map[string][6]error{
		"get":                 {ok, ok, ok, ok, hidden, ok},
		"list members":        {ok, ok, ok, ok, hidden, ok},
		"rename":              {ok, ok, no, no, hidden, ok},
		"change plan":         {no, no, no, no, hidden, ok},
		"suspend":             {no, no, no, no, hidden, ok},
		"add viewer":          {ok, ok, no, no, hidden, no},
		"add owner":           {ok, no, no, no, hidden, no},
		"change role":         {ok, ok, no, no, hidden, no},
		"promote to owner":    {ok, no, no, no, hidden, no},
		"demote owner":        {ok, no, no, no, hidden, no},
		"remove member":       {ok, ok, no, no, hidden, no},
		"remove owner":        {ok, no, no, no, hidden, no},
		"leave":               {ok, ok, ok, ok, hidden, hidden},
		"create organization": {no, no, no, no, no, ok},
	}
	for name, act := range actions {
		for i, p := range callers {
			t.Run(name+"/"+p.IdentityID, func(t *testing.T) {
				err := act(newFixture(t), p)
				w := want[name][i]
				if w == nil && err != nil || w != nil && !errors.Is(err, w) {
					t.Fatalf("got %v, want %v", err, w)
				}
				if err != nil && accounts.SafeMessage(err) == "" {
					t.Errorf("error %v has no safe message", err)
				}
			})
		}
	}
}

func TestServiceLastOwner(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	mustNoErr(t, "owner2 leaves", f.svc.RemoveMember(ctx, person("owner2"), f.org.ID, "owner2"))
	for name, err := range map[string]error{
		"leave": f.svc.RemoveMember(ctx, person("owner1"), f.org.ID, "owner1"),
		"demote": func() error {
			_, _, err := f.svc.PutMember(ctx, person("owner1"), f.org.ID, "owner1", accounts.RoleAdmin)
			return err
		}(),
	} {
		if !errors.Is(err, accounts.ErrLastOwner) || accounts.SafeMessage(err) == "" {
			t.Errorf("%s: got %v, want ErrLastOwner with a safe message", name, err)
		}
	}
}

func TestServiceSuspendedIsReadOnly(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	_, err := f.svc.UpdateOrganization(ctx, staff, f.org.ID, accounts.OrganizationPatch{Status: ptr(accounts.OrgSuspended)})
	mustNoErr(t, "suspend", err)
	if _, err := f.svc.GetOrganization(ctx, person("viewer1"), f.org.ID); err != nil {
		t.Errorf("read of a suspended organization: %v", err)
	}
	_, err = f.svc.UpdateOrganization(ctx, person("owner1"), f.org.ID, accounts.OrganizationPatch{Name: ptr("x")})
	if !errors.Is(err, accounts.ErrForbidden) || accounts.SafeMessage(err) != "the organization is suspended and read-only" {
		t.Errorf("rename: got %v (%q), want ErrForbidden saying the organization is suspended", err, accounts.SafeMessage(err))
	}
	if err := f.svc.RemoveMember(ctx, person("viewer1"), f.org.ID, "viewer1"); !errors.Is(err, accounts.ErrForbidden) {
		t.Errorf("leave: got %v, want ErrForbidden", err)
	}
	o, err := f.svc.UpdateOrganization(ctx, staff, f.org.ID, accounts.OrganizationPatch{Status: ptr(accounts.OrgActive)})
	if err != nil || o.Status != accounts.OrgActive {
		t.Errorf("reactivate: got %v, %v; want active", o.Status, err)
	}
}

func TestServiceListOrganizations(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	page, err := f.svc.ListOrganizations(ctx, person("viewer1"), accounts.OrgFilter{}, accounts.PageRequest{})
	mustNoErr(t, "list as member", err)
	if len(page.Items) != 1 || page.Items[0].ID != f.org.ID {
		t.Errorf("member sees %+v, want only %s", page.Items, f.org.ID)
	}
	page, err = f.svc.ListOrganizations(ctx, staff, accounts.OrgFilter{}, accounts.PageRequest{})
	mustNoErr(t, "list as staff", err)
	if len(page.Items) != 2 {
		t.Errorf("staff sees %d organizations, want 2", len(page.Items))
	}
	if _, err := f.svc.ListOrganizations(ctx, person("viewer1"), accounts.OrgFilter{}, accounts.PageRequest{Cursor: "x"}); !errors.Is(err, accounts.ErrInvalid) {
		t.Errorf("member with a cursor: got %v, want ErrInvalid", err)
	}
	// A member's search reads their own organizations only.
	page, err = f.svc.ListOrganizations(ctx, person("viewer1"), accounts.OrgFilter{Query: f.org.ID}, accounts.PageRequest{})
	mustNoErr(t, "search as member", err)
	if len(page.Items) != 1 {
		t.Errorf("member searching their organization's id sees %d, want 1", len(page.Items))
	}
	page, err = f.svc.ListOrganizations(ctx, person("viewer1"), accounts.OrgFilter{Status: accounts.OrgSuspended}, accounts.PageRequest{})
	mustNoErr(t, "search as member", err)
	if len(page.Items) != 0 {
		t.Errorf("member searching suspended organizations sees %d, want 0", len(page.Items))
	}
	if _, err := f.svc.ListOrganizations(ctx, staff, accounts.OrgFilter{Status: "gone"}, accounts.PageRequest{}); !errors.Is(err, accounts.ErrInvalid) {
		t.Errorf("unknown status: got %v, want ErrInvalid", err)
	}
}

func TestServiceProfile(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	p, err := f.svc.Profile(ctx, person("viewer1"))
	if err != nil || p.IdentityID != "viewer1" || !p.UpdatedAt.IsZero() {
		t.Fatalf("unwritten profile: got %+v, %v; want an empty one", p, err)
	}
	_, err = f.svc.PutProfile(ctx, person("viewer1"), accounts.ProfileUpdate{DisplayName: "Vi", Locale: "en-gb"})
	mustNoErr(t, "put profile", err)
	p, err = f.svc.Profile(ctx, person("viewer1"))
	if err != nil || p.DisplayName != "Vi" || p.Locale != "en-GB" {
		t.Errorf("got %+v, %v; want the written profile", p, err)
	}
	if p, _ := f.svc.Profile(ctx, person("editor1")); p.DisplayName != "" {
		t.Errorf("another person reads %q, want their own empty profile", p.DisplayName)
	}
	if _, err := f.svc.PutProfile(ctx, person("viewer1"), accounts.ProfileUpdate{Timezone: "Mars/Olympus"}); !errors.Is(err, accounts.ErrInvalid) {
		t.Errorf("bad timezone: got %v, want ErrInvalid", err)
	}
}

func TestServiceIdentityMemberships(t *testing.T) {
	f := newFixture(t)
	ms, err := f.svc.IdentityMemberships(t.Context(), "owner1")
	if err != nil || len(ms) != 1 || ms[0].OrgID != f.org.ID || ms[0].Role != accounts.RoleOwner || ms[0].Status != accounts.OrgActive {
		t.Errorf("got %+v, %v; want owner of %s", ms, err, f.org.ID)
	}
}

func TestNewPrincipal(t *testing.T) {
	c := &identity.Claims{Subject: "id_1", Kind: identity.KindUser, Staff: true,
		Orgs: []identity.OrgRole{{ID: "org_x", Role: "admin"}}}
	p, err := accounts.NewPrincipal(c)
	if err != nil || p.IdentityID != "id_1" || !p.Staff || p.Orgs["org_x"] != accounts.RoleAdmin {
		t.Errorf("user: got %+v, %v", p, err)
	}
	for _, k := range []identity.PrincipalKind{identity.KindClient, identity.KindAPIKey, ""} {
		if _, err := accounts.NewPrincipal(&identity.Claims{Subject: "id_1", Kind: k}); !errors.Is(err, accounts.ErrForbidden) {
			t.Errorf("kind %q: got %v, want ErrForbidden", k, err)
		}
	}
	if _, err := accounts.NewPrincipal(&identity.Claims{Subject: "bad subject", Kind: identity.KindUser}); !errors.Is(err, accounts.ErrInvalid) {
		t.Errorf("bad subject: got %v, want ErrInvalid", err)
	}
}
