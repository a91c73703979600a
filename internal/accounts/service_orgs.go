package accounts

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// NewOrganization is what CreateOrganization needs.
type NewOrganization struct {
	Name string
	Slug string
	Plan Plan
	// Owner is the identity that becomes the organization's first owner.
	Owner string
}

// CreateOrganization creates an active organization and makes n.Owner its
// owner. Only staff may. The two writes are not one transaction (the
// Store has none across records): should the second fail, which only a
// store failure can cause as both records are validated first, the
// organization exists without an owner and the internal error, logged,
// names it for an operator to repair.
func (s *Service) CreateOrganization(ctx context.Context, p Principal, n NewOrganization) (Organization, error) {
	if !p.Staff {
		return Organization{}, NewError(ErrForbidden, "only staff create organizations")
	}
	now := s.now()
	o := Organization{ID: NewID(OrgIDPrefix, now), Name: n.Name, Slug: n.Slug, Plan: n.Plan,
		Status: OrgActive, CreatedAt: now, UpdatedAt: now}
	m := Membership{OrgID: o.ID, IdentityID: n.Owner, Role: RoleOwner, CreatedAt: now, UpdatedAt: now}
	if err := o.Validate(); err != nil {
		return Organization{}, err
	}
	if !ValidIdentityID(n.Owner) {
		return Organization{}, NewError(ErrInvalid, "owner must be an identity id")
	}
	o, err := s.store.CreateOrganization(ctx, o)
	if err != nil {
		return Organization{}, slugConflict(err)
	}
	if _, err := s.store.AddMembership(ctx, m); err != nil {
		return Organization{}, fmt.Errorf("organization %s created without its owner: %w", o.ID, err)
	}
	return o, nil
}

// slugConflict gives a store's ErrConflict on an organization its safe
// message.
func slugConflict(err error) error {
	if Code(err) == ErrConflict && SafeMessage(err) == "" {
		return &Error{Code: ErrConflict, Message: "slug already in use", Err: err}
	}
	return err
}

// GetOrganization returns an organization its members and staff may see.
func (s *Service) GetOrganization(ctx context.Context, p Principal, orgID string) (Organization, error) {
	o, _, err := s.access(ctx, p, orgID)
	return o, err
}

// ListOrganizations returns, to staff, one page of every organization;
// to anyone else, all of their own organizations in one page, newest
// first (a person belongs to few), for which a cursor is ErrInvalid.
func (s *Service) ListOrganizations(ctx context.Context, p Principal, page PageRequest) (Page[Organization], error) {
	if p.Staff {
		return s.store.ListOrganizations(ctx, page)
	}
	if page.Cursor != "" {
		return Page[Organization]{}, NewError(ErrInvalid, "cursor is not one this list gave")
	}
	if _, err := page.EffectiveLimit(); err != nil {
		return Page[Organization]{}, err
	}
	ms, err := s.store.ListIdentityMemberships(ctx, p.IdentityID)
	if err != nil {
		return Page[Organization]{}, err
	}
	out := Page[Organization]{Items: make([]Organization, 0, len(ms))}
	for _, m := range ms {
		o, err := s.store.GetOrganization(ctx, m.OrgID)
		if err != nil {
			return Page[Organization]{}, err
		}
		out.Items = append(out.Items, o)
	}
	slices.SortFunc(out.Items, func(a, b Organization) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out, nil
}

// OrganizationPatch is a change to an organization; nil fields stay.
type OrganizationPatch struct {
	Name   *string
	Slug   *string
	Plan   *Plan
	Status *OrgStatus
}

// UpdateOrganization applies patch. Owners and admins may change the name
// and slug of their active organization; staff may change anything,
// and only staff the plan and status (suspending and reactivating).
func (s *Service) UpdateOrganization(ctx context.Context, p Principal, orgID string, patch OrganizationPatch) (Organization, error) {
	o, role, err := s.access(ctx, p, orgID)
	if err != nil {
		return Organization{}, err
	}
	if err := writable(p, o); err != nil {
		return Organization{}, err
	}
	if !p.Staff {
		if !manager(role) {
			return Organization{}, NewError(ErrForbidden, "only owners and admins edit the organization")
		}
		if patch.Plan != nil || patch.Status != nil {
			return Organization{}, NewError(ErrForbidden, "only staff change the plan or status")
		}
	}
	if patch.Name != nil {
		o.Name = *patch.Name
	}
	if patch.Slug != nil {
		o.Slug = *patch.Slug
	}
	if patch.Plan != nil {
		o.Plan = *patch.Plan
	}
	if patch.Status != nil {
		o.Status = *patch.Status
	}
	o.UpdatedAt = s.now()
	o, err = s.store.UpdateOrganization(ctx, o)
	if err != nil {
		return Organization{}, slugConflict(err)
	}
	return o, nil
}
