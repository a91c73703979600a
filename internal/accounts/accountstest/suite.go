// Package accountstest holds the conformance suite every accounts.Store
// implementation must pass.
package accountstest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
)

// RunStoreSuite runs every conformance test against stores made by open,
// each test on a fresh, empty store.
func RunStoreSuite(t *testing.T, open func(t *testing.T) accounts.Store) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s accounts.Store)
	}{
		{"organization create and get", testOrgCreateGet},
		{"organization invalid", testOrgInvalid},
		{"organization slug conflict", testOrgSlugConflict},
		{"organization one staff", testOrgOneStaff},
		{"organization update", testOrgUpdate},
		{"organization list pages", testListOrgs},
		{"organization search", testSearchOrgs},
		{"page request invalid", testPageRequestInvalid},
		{"membership add get list", testMembershipAddGetList},
		{"membership list pages", testListMemberships},
		{"members with names and addresses", testListMembers},
		{"membership change role", testChangeRole},
		{"membership remove", testRemoveMembership},
		{"membership scoped by organization", testMembershipScopedByOrg},
		{"membership last owner", testLastOwner},
		{"membership last owner concurrent", testLastOwnerConcurrent},
		{"memberships of identity", testIdentityMemberships},
		{"profile put and get", testProfilePutGet},
		{"profile invalid", testProfileInvalid},
		{"organization with owner", testCreateOrganizationWithOwner},
		{"idempotency records", testIdempotencyRecords},
		{"staff organization ensured", testEnsureStaffOrganization},
		{"staff organization slug taken", testEnsureStaffOrganizationSlugTaken},
		{"staff organization concurrent", testEnsureStaffOrganizationConcurrent},
		{"invitation create and get", testInvitationCreateGet},
		{"invitation list pending", testListPendingInvitations},
		{"invitation renew", testRenewInvitation},
		{"invitation renew concurrent", testRenewInvitationConcurrent},
		{"invitation revoke", testRevokeInvitation},
		{"invitation prune", testPruneInvitations},
		{"invitation accept", testAcceptInvitation},
		{"invitation accept refused", testAcceptInvitationRefused},
		{"invitation accept concurrent", testAcceptInvitationConcurrent},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// t0 has nanoseconds on purpose: stores keep microseconds.
var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

// us returns t as a store returns it.
func us(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func ctx(t *testing.T) context.Context { return t.Context() }

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

func mustNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// collect reads every page of a list with the given page size, checking
// each page's size and that the walk ends, and returns the items and the
// number of pages.
func collect[T any](t *testing.T, limit int, list func(accounts.PageRequest) (accounts.Page[T], error)) ([]T, int) {
	t.Helper()
	var all []T
	req := accounts.PageRequest{Limit: limit}
	for pages := 1; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination did not end after 1000 pages")
		}
		p, err := list(req)
		mustNoErr(t, fmt.Sprintf("list page %d", pages), err)
		if len(p.Items) > limit {
			t.Fatalf("page %d: got %d items, want at most %d", pages, len(p.Items), limit)
		}
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			return all, pages
		}
		if len(p.Items) != limit {
			t.Fatalf("page %d: got %d items and a next cursor, want a full page of %d", pages, len(p.Items), limit)
		}
		req.Cursor = p.NextCursor
	}
}

// wantNewestFirst checks that keys (time, key) strictly descend.
func wantNewestFirst(t *testing.T, what string, keys []accounts.Cursor) {
	t.Helper()
	for i := 1; i < len(keys); i++ {
		a, b := keys[i-1], keys[i]
		if a.At.Before(b.At) || (a.At.Equal(b.At) && a.Key <= b.Key) {
			t.Errorf("%s: item %d (%v, %s) is not before item %d (%v, %s) in newest-first order",
				what, i-1, a.At, a.Key, i, b.At, b.Key)
		}
	}
}

func newOrg(slug string, at time.Time) accounts.Organization {
	return accounts.Organization{
		ID:        accounts.NewID(accounts.OrgIDPrefix, at),
		Name:      "Org " + slug,
		Slug:      slug,
		Plan:      accounts.Plan{Name: "starter", ViewerCap: 1000},
		Status:    accounts.OrgActive,
		CreatedAt: at,
		UpdatedAt: at,
	}
}

func mustCreateOrg(t *testing.T, s accounts.Store, slug string, at time.Time) accounts.Organization {
	t.Helper()
	o, err := s.CreateOrganization(ctx(t), newOrg(slug, at))
	mustNoErr(t, "create organization "+slug, err)
	return o
}

func mustAddMember(t *testing.T, s accounts.Store, orgID, identityID string, role accounts.Role, at time.Time) accounts.Membership {
	t.Helper()
	m, err := s.AddMembership(ctx(t), accounts.Membership{OrgID: orgID, IdentityID: identityID, Role: role, CreatedAt: at, UpdatedAt: at})
	mustNoErr(t, "add membership "+identityID, err)
	return m
}

// listMemberships is s.ListMembers without the display names, for the
// tests about memberships themselves.
func listMemberships(ctx context.Context, s accounts.Store, orgID string, page accounts.PageRequest) (accounts.Page[accounts.Membership], error) {
	p, err := s.ListMembers(ctx, orgID, page)
	if err != nil {
		return accounts.Page[accounts.Membership]{}, err
	}
	out := accounts.Page[accounts.Membership]{Items: make([]accounts.Membership, len(p.Items)), NextCursor: p.NextCursor}
	for i, m := range p.Items {
		out.Items[i] = m.Membership
	}
	return out, nil
}
