package accounts

import (
	"context"
	"time"
)

// Store keeps the accounts service's records. Implementations return the
// sentinel errors ErrNotFound, ErrConflict, ErrInvalid and ErrLastOwner
// (wrapped or not) for the cases each method names, and store times in UTC
// truncated to microseconds.
//
// Every method that reads or changes a membership takes the organization's
// ID and only ever sees that organization's memberships: a membership of
// another organization is ErrNotFound.
//
// Lists are ordered newest first by (creation time, key) and paginated with
// PageRequest; a malformed cursor is ErrInvalid.
type Store interface {
	// CreateOrganization stores a new organization and returns it as
	// stored. ErrInvalid if it fails Organization.Validate; ErrConflict if
	// its ID or slug is taken, or it is Staff and a staff organization
	// exists.
	CreateOrganization(ctx context.Context, o Organization) (Organization, error)
	// GetOrganization returns the organization with the given ID, or
	// ErrNotFound.
	GetOrganization(ctx context.Context, id string) (Organization, error)
	// ListOrganizations returns one page of all organizations.
	ListOrganizations(ctx context.Context, page PageRequest) (Page[Organization], error)
	// UpdateOrganization replaces the Name, Slug, Plan, Status and
	// UpdatedAt of the organization with o's ID and returns it as stored;
	// its Staff flag and CreatedAt never change. ErrInvalid if o fails
	// Organization.Validate; ErrNotFound if there is no such organization;
	// ErrConflict if the slug is another organization's.
	UpdateOrganization(ctx context.Context, o Organization) (Organization, error)

	// AddMembership stores a new membership and returns it as stored.
	// ErrInvalid if it fails Membership.Validate; ErrNotFound if its
	// organization does not exist; ErrConflict if the identity is already
	// a member of it.
	AddMembership(ctx context.Context, m Membership) (Membership, error)
	// GetMembership returns an identity's membership of an organization,
	// or ErrNotFound.
	GetMembership(ctx context.Context, orgID, identityID string) (Membership, error)
	// ListMemberships returns one page of an organization's memberships,
	// keyed by identity ID; an organization that does not exist has none.
	ListMemberships(ctx context.Context, orgID string, page PageRequest) (Page[Membership], error)
	// ChangeRole sets the role of an identity's membership of an
	// organization, and its UpdatedAt to at, and returns it as stored.
	// ErrInvalid for an unknown role; ErrNotFound if there is no such
	// membership; ErrLastOwner if the member is the organization's only
	// owner and role is not RoleOwner, also when concurrent calls would
	// each leave another owner in place.
	ChangeRole(ctx context.Context, orgID, identityID string, role Role, at time.Time) (Membership, error)
	// RemoveMembership deletes an identity's membership of an
	// organization. ErrNotFound if there is no such membership;
	// ErrLastOwner if the member is the organization's only owner, also
	// under concurrency as for ChangeRole.
	RemoveMembership(ctx context.Context, orgID, identityID string) error
	// ListIdentityMemberships returns every membership of an identity,
	// across organizations, ordered by organization ID; none is an empty
	// list, not an error. It is what the claims of the identity's tokens
	// are made from.
	ListIdentityMemberships(ctx context.Context, identityID string) ([]Membership, error)

	// GetProfile returns an identity's profile, or ErrNotFound if it has
	// never been put.
	GetProfile(ctx context.Context, identityID string) (Profile, error)
	// PutProfile creates or replaces an identity's profile and returns it
	// as stored, as GetProfile will return it (locale canonical,
	// preferences decoded from JSON). ErrInvalid if it fails
	// Profile.Validate.
	PutProfile(ctx context.Context, p Profile) (Profile, error)
}
