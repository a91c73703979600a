package configs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Service applies the configs service's permission rules to its Store and
// keeps the snapshot the SDK config endpoint serves.
//
// Who may do what, by the role the caller's token carries in the
// organization (the service owns no memberships):
//
//   - viewers, machine principals with ScopeRead, and staff of any
//     organization read integrations, settings, versions, diffs and the
//     audit trail, and dry-run a settings document;
//   - editors and ScopeWrite change delivery settings and restore
//     versions;
//   - admins and owners create integrations, edit their fields (name,
//     environment, domains, bundle ids), rotate delivery keys and set the
//     status active or disabled;
//   - owners delete integrations;
//   - staff, member or not, may set any status in any organization,
//     bypassed (the support kill switch) included; only staff may set it
//     or lift it.
//
// A caller who is neither in the organization nor staff is told it does
// not exist (ErrNotFound), as for a missing integration; a member whose
// role is too low gets ErrForbidden. It is safe for concurrent use.
type Service struct {
	store       Store
	now         func() time.Time
	idempotency time.Duration
	logger      *slog.Logger

	snap   atomic.Pointer[Snapshot]
	reload sync.Mutex // one snapshot load at a time
}

// Option configures a Service.
type Option func(*Service)

// WithClock makes the Service read the time from now instead of
// time.Now.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithIdempotencyLifetime sets how long an Idempotency-Key is remembered;
// DefaultIdempotencyLifetime when d is not positive.
func WithIdempotencyLifetime(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.idempotency = d
		}
	}
}

// WithLogger sets where the Service reports snapshot reloads that failed
// after a change had succeeded. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.logger = l } }

// NewService returns a Service over store. Its snapshot is empty until
// LoadSnapshot or RefreshSnapshot loads it.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{store: store, now: time.Now, idempotency: DefaultIdempotencyLifetime, logger: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	s.snap.Store(&Snapshot{Revision: -1})
	return s
}

// errNoOrg is the one answer for an organization the caller may not see,
// whether or not anything of it exists here.
func errNoOrg() error { return &Error{Code: ErrNotFound, Message: "no such organization"} }

// errNoIntegration answers for an integration that is not there.
func errNoIntegration(cause error) error {
	return &Error{Code: ErrNotFound, Message: "no such integration", Err: cause}
}

// authorize returns nil when p may act in orgID with the access need,
// ErrNotFound when p may not see the organization, ErrForbidden when p
// sees it but its role is too low. Staff may read every organization.
func authorize(p Principal, orgID string, need access) error {
	if !ValidForeignID(orgID) {
		return errNoOrg()
	}
	have := p.accessIn(orgID)
	if p.Staff && have < accessRead {
		have = accessRead
	}
	switch {
	case have == accessNone:
		return errNoOrg()
	case have < need:
		return NewError(ErrForbidden, forbiddenMessage(need))
	}
	return nil
}

func forbiddenMessage(need access) string {
	switch need {
	case accessRead:
		return "the caller may not read this organization's integrations"
	case accessWrite:
		return "changing delivery settings takes the editor role or the configs:write scope"
	case accessManage:
		return "managing integrations takes the admin or owner role"
	}
	return "deleting an integration takes the owner role"
}

// integration returns the organization's integration id after checking
// p's access to the organization.
func (s *Service) integration(ctx context.Context, p Principal, orgID, id string, need access) (Integration, error) {
	if err := authorize(p, orgID, need); err != nil {
		return Integration{}, err
	}
	if !ValidIntegrationID(id) {
		return Integration{}, errNoIntegration(nil)
	}
	in, err := s.store.GetIntegration(ctx, orgID, id)
	if errors.Is(err, ErrNotFound) {
		return Integration{}, errNoIntegration(err)
	}
	return in, err
}

// auditEntry returns the entry of a change by p.
func (s *Service) auditEntry(p Principal, in Integration, action AuditAction, msg string, diff []byte, at time.Time) AuditEntry {
	return AuditEntry{ID: NewAuditID(at), OrgID: in.OrgID, IntegrationID: in.ID, Actor: p.ActorIn(in.OrgID), Action: action,
		Message: msg, Diff: diff, CreatedAt: at}
}

// changed reloads the snapshot after a change, so that this replica
// serves it at once; the change stands whatever happens here, and a
// failure is logged and left to the next poll.
func (s *Service) changed(ctx context.Context) {
	if _, err := s.RefreshSnapshot(ctx); err != nil {
		s.logger.WarnContext(ctx, "configs snapshot reload after a change failed; the next poll retries", "error", err)
	}
}
