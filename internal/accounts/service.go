package accounts

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
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

	mailer         Mailer
	provisioner    IdentityProvisioner
	acceptURL      *url.URL
	invitationTTL  time.Duration
	resendInterval time.Duration
	onChange       func(context.Context, MembershipChange)
	logger         *slog.Logger
}

// Option configures a Service.
type Option func(*Service)

// WithClock makes the Service read the time from now instead of
// time.Now.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithMailer makes the Service send invitation mails through m. Without
// it every send fails with ErrNoMailer (so an invitation is created but
// its mail is reported as not sent): an accept link must never reach a
// log by accident; a LogMailer is for development, chosen on purpose.
func WithMailer(m Mailer) Option { return func(s *Service) { s.mailer = m } }

// WithIdentityProvisioner makes the Service create the identities of
// people who accept an invitation without an account through p (the auth
// service; see package authclient). Without it such acceptances are
// ErrUnavailable, and only signed-in people can accept.
func WithIdentityProvisioner(p IdentityProvisioner) Option {
	return func(s *Service) { s.provisioner = p }
}

// WithAcceptURL sets the page of the dashboard that accepts invitations,
// an absolute http or https URL such as
// https://dashboard.example.com/invitations/accept; each mail links to it
// with "token=" and the token as its fragment. Without it, or with a URL
// that is not absolute, invitations are refused as ErrUnavailable.
func WithAcceptURL(u *url.URL) Option { return func(s *Service) { s.acceptURL = u } }

// WithInvitationTTL sets how long an invitation's token is valid after
// it is sent. Zero or negative means DefaultInvitationTTL.
func WithInvitationTTL(d time.Duration) Option { return func(s *Service) { s.invitationTTL = d } }

// WithResendInterval sets the least time between two mails of one
// invitation. Zero or negative means DefaultResendInterval.
func WithResendInterval(d time.Duration) Option { return func(s *Service) { s.resendInterval = d } }

// MembershipChange describes a membership added, changed or removed.
type MembershipChange struct {
	OrgID, IdentityID string
	// From is the role before the change, "" when the membership was
	// added; To the role after it, "" when it was removed.
	From, To Role
}

// Demoted reports whether the change took a role away or lowered it: the
// changes after which tokens that still carry the old role should stop
// being honoured.
func (c MembershipChange) Demoted() bool { return c.From != "" && rank(c.To) < rank(c.From) }

// WithMembershipHook makes the Service call f after every committed
// change of a membership: an addition (a member put or an invitation
// accepted), a role change, a removal. f runs on the request's goroutine
// with its context, after the change is stored, and must return quickly;
// it cannot undo the change, so it reports its own failures (to a log, a
// retry queue). Nothing in Portico needs it today: the auth service reads
// an identity's memberships on every credential exchange, so removals
// and demotions reach tokens within its cache times (docs/operations.md,
// "Membership changes"); the hook is for a process that embeds the
// service and must act at once (see MembershipChange.Demoted).
func WithMembershipHook(f func(ctx context.Context, c MembershipChange)) Option {
	return func(s *Service) { s.onChange = f }
}

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{store: store, now: time.Now, mailer: noMailer{}, provisioner: noProvisioner{},
		invitationTTL: DefaultInvitationTTL, resendInterval: DefaultResendInterval}
	for _, o := range opts {
		o(s)
	}
	if s.mailer == nil {
		s.mailer = noMailer{}
	}
	if s.provisioner == nil {
		s.provisioner = noProvisioner{}
	}
	if s.invitationTTL <= 0 {
		s.invitationTTL = DefaultInvitationTTL
	}
	if s.resendInterval <= 0 {
		s.resendInterval = DefaultResendInterval
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	return s
}

// Now returns the time by the Service's clock (see WithClock), for
// callers that judge its records, such as whether an invitation has
// expired.
func (s *Service) Now() time.Time { return s.now() }

// changed calls the membership hook, if any, for a committed change.
func (s *Service) changed(ctx context.Context, c MembershipChange) {
	if s.onChange != nil && c.From != c.To {
		s.onChange(ctx, c)
	}
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
