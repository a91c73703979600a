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
	// ListOrganizations returns one page of the organizations f selects
	// (all, for the zero OrgFilter). ErrInvalid if f fails
	// OrgFilter.Validate.
	ListOrganizations(ctx context.Context, f OrgFilter, page PageRequest) (Page[Organization], error)
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
	// ListMembers returns one page of an organization's memberships,
	// keyed by identity ID, each with the display name of the member's
	// profile ("" without one); an organization that does not exist has
	// none.
	ListMembers(ctx context.Context, orgID string, page PageRequest) (Page[Member], error)
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

	// CreateOrganizationWithOwner stores a new organization and its first
	// owner's membership in one transaction, and with them idem when it
	// is not nil, and returns the organization as stored. A nil owner
	// stores the organization without members: its first owner comes by
	// an invitation. ErrInvalid if a
	// record fails its Validate; ErrConflict as CreateOrganization says;
	// ErrIdempotencyKeyReused if a record of idem's scope and key exists
	// and has not expired (the caller then replays it with
	// GetIdempotencyRecord), in which case nothing is stored.
	CreateOrganizationWithOwner(ctx context.Context, o Organization, owner *Membership, idem *IdempotencyRecord) (Organization, error)
	// EnsureStaffOrganization, in one transaction, creates o, which must
	// be Staff, unless a staff organization exists, and adds owner as a
	// membership of the staff organization (whichever it is) unless that
	// identity is already a member, whose role then stays; such a
	// member's Email is set to owner's when it is empty and owner's is
	// not (an address learned later fills the gap, never replaces one). It returns the
	// staff organization and whether it was created. ErrInvalid if o is
	// not Staff or a record fails its Validate; ErrConflict if there is no
	// staff organization and o's slug is taken. Concurrent calls agree on
	// one organization.
	EnsureStaffOrganization(ctx context.Context, o Organization, owner Membership) (Organization, bool, error)
	// GetIdempotencyRecord returns the record of scope and key that has
	// not expired at now, or ErrNotFound.
	GetIdempotencyRecord(ctx context.Context, scope, key string, now time.Time) (IdempotencyRecord, error)
	// PruneIdempotencyRecords deletes the records expired at now and
	// returns how many it deleted.
	PruneIdempotencyRecords(ctx context.Context, now time.Time) (int64, error)

	// CreateInvitation stores a new invitation and returns it as stored.
	// ErrInvalid if it fails Invitation.Validate or is not pending;
	// ErrNotFound if its organization does not exist; ErrConflict if the
	// organization has a pending invitation (expired or not) for the
	// same address, ignoring case (see EmailKey), or the token hash is
	// another invitation's.
	CreateInvitation(ctx context.Context, inv Invitation) (Invitation, error)
	// GetInvitation returns an organization's invitation, or ErrNotFound.
	GetInvitation(ctx context.Context, orgID, id string) (Invitation, error)
	// GetInvitationByToken returns the invitation whose current token has
	// the given hash, whatever its state, or ErrNotFound.
	GetInvitationByToken(ctx context.Context, tokenHash [32]byte) (Invitation, error)
	// ListPendingInvitations returns one page of an organization's
	// pending invitations, expired or not, keyed by invitation ID.
	ListPendingInvitations(ctx context.Context, orgID string, page PageRequest) (Page[Invitation], error)
	// RenewInvitation gives a pending invitation a new token hash, SentAt
	// and UpdatedAt set to at, and ExpiresAt, and returns it as stored;
	// the old token stops working at once. ErrNotFound if the
	// organization has no such invitation; ErrGone if it is not pending;
	// ErrThrottled if its SentAt is after sentBefore (sent too recently),
	// checked in the same statement so that concurrent renewals cannot
	// both pass.
	RenewInvitation(ctx context.Context, orgID, id string, tokenHash [32]byte, at, expiresAt, sentBefore time.Time) (Invitation, error)
	// RevokeInvitation marks a pending invitation revoked at at and
	// returns it as stored; one already revoked is returned as it is.
	// ErrNotFound if the organization has no such invitation; ErrGone if
	// it was accepted.
	RevokeInvitation(ctx context.Context, orgID, id string, at time.Time) (Invitation, error)
	// PruneInvitations deletes the invitations that ended before before:
	// accepted or revoked then, or pending and expired then. It returns
	// how many.
	PruneInvitations(ctx context.Context, before time.Time) (int64, error)
	// AcceptInvitation, in one transaction, makes a.IdentityID a member
	// of the invitation's organization with its role and its address as
	// the membership's Email, marks the invitation accepted, and stores
	// a.DisplayName, when not empty, in the identity's profile. It returns the membership and whether it
	// was created now. When the invitation was already accepted by the
	// same identity it changes nothing and returns that identity's
	// current membership (ErrGone if it has since been removed).
	// ErrNotFound if there is no such invitation; ErrGone if it is
	// revoked, accepted by another identity, expired at a.At, or its
	// token is no longer a.TokenHash (it was resent); ErrConflict, with
	// the invitation left pending, if the identity is already a member.
	AcceptInvitation(ctx context.Context, a InvitationAcceptance) (Membership, bool, error)

	// GetProfile returns an identity's profile, or ErrNotFound if it has
	// never been put.
	GetProfile(ctx context.Context, identityID string) (Profile, error)
	// PutProfile creates or replaces an identity's profile and returns it
	// as stored, as GetProfile will return it (locale canonical,
	// preferences decoded from JSON). ErrInvalid if it fails
	// Profile.Validate.
	PutProfile(ctx context.Context, p Profile) (Profile, error)
}

// InvitationAcceptance is what Store.AcceptInvitation needs.
type InvitationAcceptance struct {
	// InvitationID names the invitation, and TokenHash the token it was
	// found by.
	InvitationID string
	TokenHash    [32]byte
	// IdentityID is the identity accepting it.
	IdentityID string
	// DisplayName, when not empty, becomes the display name of the
	// identity's profile.
	DisplayName string
	// At is the time of acceptance.
	At time.Time
}
