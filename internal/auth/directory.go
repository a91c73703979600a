package auth

import (
	"context"
	"maps"
	"slices"
	"sync"
)

// Roles a member can have in an organization, from most to least
// powerful.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleEditor = "editor"
	RoleViewer = "viewer"
)

// RoleScoped is the role internal tokens give a client or an API key in
// its organization. Those principals have no role (their scopes decide what
// they may do), but every organization entry of an internal token names
// one; no member ever has this role, so a route that asks for a role never
// admits a client or an API key by it.
const RoleScoped = "scoped"

// Membership is an identity's role in one organization.
type Membership struct {
	OrgID string
	Role  string
}

// Directory answers who belongs where: the accounts service implements it
// over HTTP; StaticDirectory serves tests and the embedded default.
type Directory interface {
	// Memberships returns the organizations an identity belongs to, with
	// its role in each; none is an empty slice, not an error.
	Memberships(ctx context.Context, identityID string) ([]Membership, error)
	// IsStaff reports whether an identity is one of the operator's staff.
	IsStaff(ctx context.Context, identityID string) (bool, error)
	// Organization describes an organization: whether it is active (a
	// suspended organization's API keys and clients are refused) and
	// whether it is the staff organization (whose clients may introspect
	// any credential). ErrNotFound when there is no such organization.
	Organization(ctx context.Context, orgID string) (OrgInfo, error)
}

// OrgInfo is what auth needs to know of an organization.
type OrgInfo struct {
	Active bool
	Staff  bool
}

// StaticDirectory is a Directory kept in memory. Its zero value is an empty
// directory ready to use; it is safe for concurrent use.
type StaticDirectory struct {
	mu        sync.RWMutex
	members   map[string][]Membership
	staff     map[string]bool
	suspended map[string]bool
	staffOrgs map[string]bool
}

// NewStaticDirectory returns an empty StaticDirectory.
func NewStaticDirectory() *StaticDirectory { return &StaticDirectory{} }

// SetMemberships replaces an identity's memberships.
func (d *StaticDirectory) SetMemberships(identityID string, ms ...Membership) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.members == nil {
		d.members = map[string][]Membership{}
	}
	d.members[identityID] = slices.Clone(ms)
}

// SetStaff makes an identity staff or not.
func (d *StaticDirectory) SetStaff(identityID string, staff bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.staff == nil {
		d.staff = map[string]bool{}
	}
	if staff {
		d.staff[identityID] = true
	} else {
		delete(d.staff, identityID)
	}
}

// SetOrganization records an organization's state; organizations never
// set are active and not staff.
func (d *StaticDirectory) SetOrganization(orgID string, info OrgInfo) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.suspended == nil {
		d.suspended, d.staffOrgs = map[string]bool{}, map[string]bool{}
	}
	d.suspended[orgID], d.staffOrgs[orgID] = !info.Active, info.Staff
}

// Organization implements Directory: every organization exists, active
// unless SetOrganization said otherwise.
func (d *StaticDirectory) Organization(_ context.Context, orgID string) (OrgInfo, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return OrgInfo{Active: !d.suspended[orgID], Staff: d.staffOrgs[orgID]}, nil
}

// Memberships implements Directory.
func (d *StaticDirectory) Memberships(_ context.Context, identityID string) ([]Membership, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return append([]Membership{}, d.members[identityID]...), nil
}

// IsStaff implements Directory.
func (d *StaticDirectory) IsStaff(_ context.Context, identityID string) (bool, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.staff[identityID], nil
}

// Staff returns the IDs of every staff identity, sorted.
func (d *StaticDirectory) Staff() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return slices.Sorted(maps.Keys(d.staff))
}

var _ Directory = (*StaticDirectory)(nil)
