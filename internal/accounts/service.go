package accounts

import (
	"context"
	"errors"
	"time"
)

// Service applies the accounts service's permission rules to its Store.
// Every method that touches an organization looks the caller's membership
// up in the store, so the rules follow the latest roles, not the ones in
// the caller's token. A caller who is neither a member of an organization
// nor staff is told it does not exist (ErrNotFound), whether it does or
// not. It is safe for concurrent use.
type Service struct {
	store Store
	now   func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithClock makes the Service read the time from now instead of
// time.Now.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{store: store, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// errNoOrg is the one answer for an organization that does not exist and
// one the caller may not see, so that the two cannot be told apart.
func errNoOrg(cause error) error {
	return &Error{Code: ErrNotFound, Message: "no such organization", Err: cause}
}

// access returns the organization orgID and the caller's role in it, ""
// when the caller is staff but not a member; ErrNotFound when the caller
// is neither.
func (s *Service) access(ctx context.Context, p Principal, orgID string) (Organization, Role, error) {
	if !ValidOrgID(orgID) {
		return Organization{}, "", errNoOrg(nil)
	}
	var role Role
	m, err := s.store.GetMembership(ctx, orgID, p.IdentityID)
	switch {
	case err == nil:
		role = m.Role
	case errors.Is(err, ErrNotFound) && p.Staff:
	case errors.Is(err, ErrNotFound):
		return Organization{}, "", errNoOrg(err)
	default:
		return Organization{}, "", err
	}
	o, err := s.store.GetOrganization(ctx, orgID)
	if errors.Is(err, ErrNotFound) {
		return Organization{}, "", errNoOrg(err)
	}
	if err != nil {
		return Organization{}, "", err
	}
	return o, role, nil
}

// writable refuses a change by a non-staff caller to a suspended
// organization.
func writable(p Principal, o Organization) error {
	if o.Status == OrgSuspended && !p.Staff {
		return NewError(ErrForbidden, "the organization is suspended and read-only")
	}
	return nil
}

// manager reports whether role may edit its organization and manage its
// members.
func manager(role Role) bool { return role == RoleOwner || role == RoleAdmin }
