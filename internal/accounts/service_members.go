package accounts

import (
	"context"
	"errors"
)

// ListMembers returns one page of an organization's members, each with
// their display name and the address the service knows them by, to any
// member and to staff: what teammates may see of each other.
func (s *Service) ListMembers(ctx context.Context, p Principal, orgID string, page PageRequest) (Page[Member], error) {
	if _, _, err := s.access(ctx, p, orgID); err != nil {
		return Page[Member]{}, err
	}
	return s.store.ListMembers(ctx, orgID, page)
}

// member returns m with the display name of the member's profile.
func (s *Service) member(ctx context.Context, m Membership) (Member, error) {
	pr, err := s.store.GetProfile(ctx, m.IdentityID)
	switch {
	case errors.Is(err, ErrNotFound):
		return Member{Membership: m}, nil
	case err != nil:
		return Member{}, err
	}
	return Member{Membership: m, DisplayName: pr.DisplayName}, nil
}

// errNoMember is the answer for a membership that does not exist.
func errNoMember(cause error) error {
	return &Error{Code: ErrNotFound, Message: "no such member", Err: cause}
}

// PutMember makes identityID a member of the organization with role,
// adding it or changing its role, and reports whether it added it. Owners
// and admins may; only owners may grant the owner role or change an
// owner's role. Demoting the last owner is ErrLastOwner. A member added
// this way has no Email: the service knows identities only by ID.
func (s *Service) PutMember(ctx context.Context, p Principal, orgID, identityID string, role Role) (Member, bool, error) {
	m, created, err := s.putMember(ctx, p, orgID, identityID, role)
	if err != nil {
		return Member{}, false, err
	}
	mem, err := s.member(ctx, m)
	return mem, created, err
}

func (s *Service) putMember(ctx context.Context, p Principal, orgID, identityID string, role Role) (Membership, bool, error) {
	o, caller, err := s.access(ctx, p, orgID)
	if err != nil {
		return Membership{}, false, err
	}
	if err := writable(p, o); err != nil {
		return Membership{}, false, err
	}
	if !manager(caller) {
		return Membership{}, false, NewError(ErrForbidden, "only owners and admins manage members")
	}
	if !ValidIdentityID(identityID) {
		return Membership{}, false, NewError(ErrInvalid, "identity id is malformed")
	}
	if !role.Valid() {
		return Membership{}, false, NewError(ErrInvalid, "role must be owner, admin, editor or viewer")
	}
	cur, err := s.store.GetMembership(ctx, orgID, identityID)
	switch {
	case errors.Is(err, ErrNotFound):
		if role == RoleOwner && caller != RoleOwner {
			return Membership{}, false, NewError(ErrForbidden, "only owners grant the owner role")
		}
		now := s.now()
		m, err := s.store.AddMembership(ctx, Membership{OrgID: orgID, IdentityID: identityID, Role: role, CreatedAt: now, UpdatedAt: now})
		if Code(err) == ErrConflict {
			return Membership{}, false, &Error{Code: ErrConflict, Message: "the identity was added meanwhile; retry", Err: err}
		}
		if err != nil {
			return Membership{}, false, err
		}
		s.changed(ctx, MembershipChange{OrgID: orgID, IdentityID: identityID, To: role})
		return m, true, nil
	case err != nil:
		return Membership{}, false, err
	}
	if cur.Role == role {
		return cur, false, nil
	}
	if (cur.Role == RoleOwner || role == RoleOwner) && caller != RoleOwner {
		return Membership{}, false, NewError(ErrForbidden, "only owners grant or remove the owner role")
	}
	m, err := s.store.ChangeRole(ctx, orgID, identityID, role, s.now())
	switch Code(err) {
	case ErrNotFound:
		return Membership{}, false, errNoMember(err)
	case ErrLastOwner:
		return Membership{}, false, lastOwner(err)
	}
	if err != nil {
		return Membership{}, false, err
	}
	s.changed(ctx, MembershipChange{OrgID: orgID, IdentityID: identityID, From: cur.Role, To: m.Role})
	return m, false, nil
}

// RemoveMember removes identityID from the organization. Any member may
// remove themselves; owners and admins may remove others, and only owners
// remove an owner. Removing the last owner is ErrLastOwner.
func (s *Service) RemoveMember(ctx context.Context, p Principal, orgID, identityID string) error {
	o, caller, err := s.access(ctx, p, orgID)
	if err != nil {
		return err
	}
	if err := writable(p, o); err != nil {
		return err
	}
	self := identityID == p.IdentityID
	var target Membership
	if !self {
		if !manager(caller) {
			return NewError(ErrForbidden, "only owners and admins remove other members")
		}
		if !ValidIdentityID(identityID) {
			return errNoMember(nil)
		}
		target, err = s.store.GetMembership(ctx, orgID, identityID)
		if errors.Is(err, ErrNotFound) {
			return errNoMember(err)
		}
		if err != nil {
			return err
		}
		if target.Role == RoleOwner && caller != RoleOwner {
			return NewError(ErrForbidden, "only owners remove an owner")
		}
	}
	if self {
		// The caller's own membership was read by access.
		target = Membership{Role: caller}
	}
	err = s.store.RemoveMembership(ctx, orgID, identityID)
	switch Code(err) {
	case ErrNotFound:
		return errNoMember(err)
	case ErrLastOwner:
		return lastOwner(err)
	}
	if err != nil {
		return err
	}
	s.changed(ctx, MembershipChange{OrgID: orgID, IdentityID: identityID, From: target.Role})
	return nil
}

// lastOwner gives a store's ErrLastOwner its safe message.
func lastOwner(err error) error {
	return &Error{Code: ErrLastOwner, Message: "the organization must keep at least one owner", Err: err}
}

// IdentityMembership is one organization of an identity, for the claims
// of its tokens.
type IdentityMembership struct {
	OrgID  string
	Role   Role
	Status OrgStatus
	// Staff marks the operator's staff organization.
	Staff bool
}

// IdentityMemberships returns every organization identityID belongs to,
// ordered by organization ID. It trusts its caller: only the auth
// service, by its workload token, reaches it.
func (s *Service) IdentityMemberships(ctx context.Context, identityID string) ([]IdentityMembership, error) {
	if !ValidIdentityID(identityID) {
		return nil, NewError(ErrInvalid, "identity id is malformed")
	}
	ms, err := s.store.ListIdentityMemberships(ctx, identityID)
	if err != nil {
		return nil, err
	}
	out := make([]IdentityMembership, 0, len(ms))
	for _, m := range ms {
		o, err := s.store.GetOrganization(ctx, m.OrgID)
		if err != nil {
			return nil, err
		}
		out = append(out, IdentityMembership{OrgID: m.OrgID, Role: m.Role, Status: o.Status, Staff: o.Staff})
	}
	return out, nil
}

// InternalOrganization returns the organization with the given ID, or
// ErrNotFound, for the auth service, which refuses the machine
// credentials of a suspended organization and lets the staff
// organization's clients introspect any credential. It trusts its caller:
// only the auth service, by its workload token, reaches it.
func (s *Service) InternalOrganization(ctx context.Context, orgID string) (Organization, error) {
	if !ValidOrgID(orgID) {
		return Organization{}, NewError(ErrNotFound, "no such organization")
	}
	o, err := s.store.GetOrganization(ctx, orgID)
	if errors.Is(err, ErrNotFound) {
		return Organization{}, &Error{Code: ErrNotFound, Message: "no such organization", Err: err}
	}
	return o, err
}
