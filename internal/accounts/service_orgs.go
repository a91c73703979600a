package accounts

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// NewOrganization is what CreateOrganization needs.
type NewOrganization struct {
	Name string
	Slug string
	Plan Plan
	// Owner is the identity that becomes the organization's first owner.
	Owner string
	// IdempotencyKey, when not empty, makes the request safe to retry:
	// within IdempotencyLifetime a request of the same caller with the
	// same key and fields returns the organization the first one created,
	// and one with other fields is ErrIdempotencyKeyReused.
	IdempotencyKey string
}

// fingerprint is the SHA-256 of n's fields, its key excluded.
func (n NewOrganization) fingerprint() [sha256.Size]byte {
	b, _ := json.Marshal([]any{n.Name, n.Slug, n.Plan.Name, n.Plan.ViewerCap, n.Owner}) // cannot fail: strings and an int
	return sha256.Sum256(b)
}

// idempotencyScopeCreateOrg prefixes the identity ID of the caller in the
// scope of organization creations.
const idempotencyScopeCreateOrg = "create-org:"

// CreateOrganization creates an active organization and makes n.Owner,
// when set, its owner, in one store transaction; without one the
// organization has no member until an invitation (staff may invite its
// first owner) is accepted. Only staff may. It reports whether the
// answer repeats an earlier request's (see NewOrganization.IdempotencyKey):
// the organization is then the one that request created, as it is now.
func (s *Service) CreateOrganization(ctx context.Context, p Principal, n NewOrganization) (Organization, bool, error) {
	if !p.Staff {
		return Organization{}, false, NewError(ErrForbidden, "only staff create organizations")
	}
	if n.IdempotencyKey != "" && !ValidIdempotencyKey(n.IdempotencyKey) {
		return Organization{}, false, NewError(ErrInvalid, "idempotency key must be 1 to %d printable ASCII characters", MaxIdempotencyKeyLen)
	}
	now := s.now()
	o := Organization{ID: NewID(OrgIDPrefix, now), Name: n.Name, Slug: n.Slug, Plan: n.Plan,
		Status: OrgActive, CreatedAt: now, UpdatedAt: now}
	if err := o.Validate(); err != nil {
		return Organization{}, false, err
	}
	var m *Membership
	if n.Owner != "" {
		if !ValidIdentityID(n.Owner) {
			return Organization{}, false, NewError(ErrInvalid, "owner must be an identity id")
		}
		m = &Membership{OrgID: o.ID, IdentityID: n.Owner, Role: RoleOwner, CreatedAt: now, UpdatedAt: now}
	}
	var idem *IdempotencyRecord
	if n.IdempotencyKey != "" {
		idem = &IdempotencyRecord{Scope: idempotencyScopeCreateOrg + p.IdentityID, Key: n.IdempotencyKey,
			Fingerprint: n.fingerprint(), ResourceID: o.ID, CreatedAt: now, ExpiresAt: now.Add(IdempotencyLifetime)}
		if o, found, err := s.replayOrganization(ctx, idem, now); found {
			return o, true, err
		}
	}
	created, err := s.store.CreateOrganizationWithOwner(ctx, o, m, idem)
	if idem != nil && Code(err) == ErrIdempotencyKeyReused {
		// A concurrent request with the same key won.
		if o, found, err := s.replayOrganization(ctx, idem, now); found {
			return o, true, err
		}
	}
	if err != nil {
		return Organization{}, false, slugConflict(err)
	}
	if m != nil {
		s.changed(ctx, MembershipChange{OrgID: o.ID, IdentityID: n.Owner, To: RoleOwner})
	}
	return created, false, nil
}

// replayOrganization answers a request whose key has a record: the
// organization it created, or ErrIdempotencyKeyReused if the record is of
// another request. found is false when there is no record.
func (s *Service) replayOrganization(ctx context.Context, idem *IdempotencyRecord, now time.Time) (o Organization, found bool, err error) {
	rec, err := s.store.GetIdempotencyRecord(ctx, idem.Scope, idem.Key, now)
	switch {
	case errors.Is(err, ErrNotFound):
		return Organization{}, false, nil
	case err != nil:
		return Organization{}, true, fmt.Errorf("idempotency record: %w", err)
	}
	if subtle.ConstantTimeCompare(rec.Fingerprint[:], idem.Fingerprint[:]) != 1 {
		return Organization{}, true, NewError(ErrIdempotencyKeyReused,
			"the idempotency key was used before with a different request; use a new key for a new request")
	}
	o, err = s.store.GetOrganization(ctx, rec.ResourceID)
	if err != nil {
		return Organization{}, true, fmt.Errorf("organization of idempotency record: %w", err)
	}
	return o, true, nil
}

// PruneIdempotencyRecords deletes the idempotency records that have
// expired and returns how many. Call it periodically (every hour or so)
// from one place; expired records are ignored whether pruned or not.
func (s *Service) PruneIdempotencyRecords(ctx context.Context) (int64, error) {
	return s.store.PruneIdempotencyRecords(ctx, s.now())
}

// BootstrapStaff makes sure the operator's staff organization exists and
// that ownerIdentityID belongs to it, and returns it, as
// BootstrapStaffOwner does for an owner whose address is not known.
func (s *Service) BootstrapStaff(ctx context.Context, name, slug, ownerIdentityID string) (Organization, error) {
	return s.BootstrapStaffOwner(ctx, name, slug, StaffOwner{IdentityID: ownerIdentityID})
}

// StaffOwner is the first administrator, whom BootstrapStaffOwner makes
// an owner of the staff organization.
type StaffOwner struct {
	// IdentityID is the auth service's ID of the administrator.
	IdentityID string
	// Email is the administrator's address (see ValidateEmail), which the
	// staff organization's members list shows; empty when not known.
	Email string
}

// BootstrapStaffOwner makes sure the operator's staff organization exists
// and that owner belongs to it, and returns it. It is idempotent, to be
// called at every start with the first administrator: it creates the
// staff organization (active, plan "staff", with name and slug) if there
// is none, and makes the identity its owner if it is not a member (a
// member keeps its role and, when it has one, its Email; an existing
// organization keeps its name and slug). Both happen in one store
// transaction.
func (s *Service) BootstrapStaffOwner(ctx context.Context, name, slug string, owner StaffOwner) (Organization, error) {
	now := s.now()
	o := Organization{ID: NewID(OrgIDPrefix, now), Name: name, Slug: slug, Plan: Plan{Name: "staff"},
		Status: OrgActive, Staff: true, CreatedAt: now, UpdatedAt: now}
	if err := o.Validate(); err != nil {
		return Organization{}, err
	}
	if !ValidIdentityID(owner.IdentityID) {
		return Organization{}, NewError(ErrInvalid, "owner must be an identity id")
	}
	if owner.Email != "" {
		if err := ValidateEmail(owner.Email); err != nil {
			return Organization{}, err
		}
	}
	m := Membership{OrgID: o.ID, IdentityID: owner.IdentityID, Role: RoleOwner, Email: owner.Email, CreatedAt: now, UpdatedAt: now}
	staff, _, err := s.store.EnsureStaffOrganization(ctx, o, m)
	if err != nil {
		return Organization{}, fmt.Errorf("bootstrap staff organization: %w", slugConflict(err))
	}
	return staff, nil
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

// ListOrganizations returns, to staff, one page of the organizations f
// selects (every one, for the zero filter: the staff console's list and
// search); to anyone else, all of their own that f selects in one page,
// newest first (a person belongs to few), for which a cursor is
// ErrInvalid.
func (s *Service) ListOrganizations(ctx context.Context, p Principal, f OrgFilter, page PageRequest) (Page[Organization], error) {
	if err := f.Validate(); err != nil {
		return Page[Organization]{}, err
	}
	if p.Staff {
		return s.store.ListOrganizations(ctx, f, page)
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
		if f.Selects(o) {
			out.Items = append(out.Items, o)
		}
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
