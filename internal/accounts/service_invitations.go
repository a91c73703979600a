package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// NewInvitation is what Invite needs.
type NewInvitation struct {
	// Email is the address to invite (see ValidateEmail).
	Email string
	// Role is the role the membership will have.
	Role Role
}

// acceptReplayWindow is how long after an invitation was accepted without
// an account the same request (token and password) still answers with the
// membership it made, for a person whose first answer was lost. It is well
// inside the auth service's idempotency lifetime (24 hours), so that the
// repeated call there is always answered from its record and can never
// create an identity.
const acceptReplayWindow = time.Hour

// errNoInvitation is the one answer for an invitation that does not exist
// and one the caller may not see.
func errNoInvitation(cause error) error {
	return &Error{Code: ErrNotFound, Message: "no such invitation", Err: cause}
}

// inviter returns the organization orgID and the caller's role in it when
// the caller may manage its invitations (owners, admins, staff) and the
// organization is writable; write says whether the caller is about to
// change something.
func (s *Service) inviter(ctx context.Context, p Principal, orgID string, write bool) (Organization, Role, error) {
	o, role, err := s.access(ctx, p, orgID)
	if err != nil {
		return Organization{}, "", err
	}
	if !p.Staff && !manager(role) {
		return Organization{}, "", NewError(ErrForbidden, "only owners and admins manage invitations")
	}
	if write {
		if err := writable(p, o); err != nil {
			return Organization{}, "", err
		}
	}
	return o, role, nil
}

// Invite invites n.Email to the organization with n.Role and mails the
// invitation. Owners and admins may, and staff in any organization;
// nobody invites to a role above their own (an admin cannot invite an
// owner; staff can, which is how a new customer organization gets its
// first owner). A pending invitation for the same address, ignoring case
// and whether or not it has expired, is ErrConflict with reason
// "invitation-pending": resend it, or revoke it first.
//
// The mail is sent after the invitation is stored. When it cannot be
// sent, Invite returns the invitation together with an error of code
// ErrNotSent: the invitation exists and can be resent.
func (s *Service) Invite(ctx context.Context, p Principal, orgID string, n NewInvitation) (Invitation, error) {
	o, role, err := s.inviter(ctx, p, orgID, true)
	if err != nil {
		return Invitation{}, err
	}
	if err := ValidateEmail(n.Email); err != nil {
		return Invitation{}, err
	}
	if !n.Role.Valid() {
		return Invitation{}, NewError(ErrInvalid, "role must be owner, admin, editor or viewer")
	}
	if !outranks(p, role, n.Role) {
		return Invitation{}, NewError(ErrForbidden, "nobody invites to a role above their own")
	}
	if err := s.canMail(); err != nil {
		return Invitation{}, err
	}
	now := s.now()
	token, hash := NewInvitationToken()
	inv, err := s.store.CreateInvitation(ctx, Invitation{ID: NewID(InvitationIDPrefix, now), OrgID: o.ID,
		Email: n.Email, Role: n.Role, Status: InvitationPending, TokenHash: hash, InvitedBy: p.IdentityID,
		CreatedAt: now, UpdatedAt: now, SentAt: now, ExpiresAt: now.Add(s.invitationTTL)})
	switch Code(err) {
	case nil:
	case ErrConflict:
		return Invitation{}, &Error{Code: ErrConflict, Reason: "invitation-pending",
			Message: "the address has a pending invitation to the organization; resend or revoke it", Err: err}
	default:
		return Invitation{}, err
	}
	return inv, s.mail(ctx, p, o, inv, token)
}

// canMail refuses invitations while the service has no accept URL to
// link to.
func (s *Service) canMail() error {
	if u := s.acceptURL; u == nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &Error{Code: ErrUnavailable, Message: "invitations are not available",
			Err: errors.New("no absolute http(s) accept URL configured")}
	}
	return nil
}

// mail sends inv's mail with its current token; a failure is ErrNotSent.
func (s *Service) mail(ctx context.Context, p Principal, o Organization, inv Invitation, token string) error {
	link := *s.acceptURL
	link.Fragment, link.RawFragment = token, ""
	var inviterName string
	if pr, err := s.store.GetProfile(ctx, p.IdentityID); err == nil {
		inviterName = pr.DisplayName
	}
	err := s.mailer.SendInvitation(ctx, InvitationMail{To: inv.Email, OrgName: o.Name, InviterName: inviterName,
		Role: inv.Role, AcceptURL: link.String(), ExpiresAt: inv.ExpiresAt})
	if err != nil {
		return &Error{Code: ErrNotSent, Message: "the invitation is saved but its mail could not be sent; resend it",
			Err: fmt.Errorf("send invitation %s: %w", inv.ID, err)}
	}
	return nil
}

// ListInvitations returns one page of an organization's pending
// invitations, expired or not, newest first, to its owners and admins
// and to staff.
func (s *Service) ListInvitations(ctx context.Context, p Principal, orgID string, page PageRequest) (Page[Invitation], error) {
	if _, _, err := s.inviter(ctx, p, orgID, false); err != nil {
		return Page[Invitation]{}, err
	}
	return s.store.ListPendingInvitations(ctx, orgID, page)
}

// GetInvitation returns one of an organization's invitations, in any
// state, to its owners and admins and to staff.
func (s *Service) GetInvitation(ctx context.Context, p Principal, orgID, id string) (Invitation, error) {
	if _, _, err := s.inviter(ctx, p, orgID, false); err != nil {
		return Invitation{}, err
	}
	if !ValidInvitationID(id) {
		return Invitation{}, errNoInvitation(nil)
	}
	inv, err := s.store.GetInvitation(ctx, orgID, id)
	if errors.Is(err, ErrNotFound) {
		return Invitation{}, errNoInvitation(err)
	}
	return inv, err
}

// ResendInvitation gives a pending invitation a new token, valid for the
// invitation TTL from now (the old one stops working), and mails it. The
// same callers as for Invite may, for the same roles. A resend within the
// resend interval of the last send is ErrThrottled, with a
// *ThrottledError; an invitation no longer pending is ErrGone. A failed
// mail is ErrNotSent, returned with the renewed invitation; the next
// resend is possible after the interval.
func (s *Service) ResendInvitation(ctx context.Context, p Principal, orgID, id string) (Invitation, error) {
	inv, o, err := s.invitationToChange(ctx, p, orgID, id)
	if err != nil {
		return Invitation{}, err
	}
	if err := s.canMail(); err != nil {
		return Invitation{}, err
	}
	if inv.Status != InvitationPending {
		return Invitation{}, notPending(nil)
	}
	now := s.now()
	if wait := inv.SentAt.Add(s.resendInterval).Sub(now); wait > 0 {
		return Invitation{}, s.tooSoon(wait)
	}
	token, hash := NewInvitationToken()
	inv, err = s.store.RenewInvitation(ctx, orgID, id, hash, now, now.Add(s.invitationTTL), now.Add(-s.resendInterval))
	switch Code(err) {
	case nil:
	case ErrThrottled:
		return Invitation{}, s.tooSoon(s.resendInterval)
	case ErrNotFound:
		return Invitation{}, errNoInvitation(err)
	case ErrGone:
		return Invitation{}, notPending(err)
	default:
		return Invitation{}, err
	}
	return inv, s.mail(ctx, p, o, inv, token)
}

// tooSoon is the refusal of a resend within the interval.
func (s *Service) tooSoon(wait time.Duration) error {
	return &Error{Code: ErrThrottled, Message: "the invitation was sent too recently; try again after the time in Retry-After",
		Err: &ThrottledError{RetryAfter: wait}}
}

// notPending is the answer to a change of an invitation already accepted
// or revoked.
func notPending(cause error) error {
	return &Error{Code: ErrGone, Message: "the invitation is no longer pending", Err: cause}
}

// RevokeInvitation withdraws a pending invitation: its token stops
// working. Revoking one already revoked changes nothing; one accepted is
// ErrGone (remove the member instead). The same callers as for Invite
// may, for the same roles.
func (s *Service) RevokeInvitation(ctx context.Context, p Principal, orgID, id string) error {
	if _, _, err := s.invitationToChange(ctx, p, orgID, id); err != nil {
		return err
	}
	_, err := s.store.RevokeInvitation(ctx, orgID, id, s.now())
	switch Code(err) {
	case ErrNotFound:
		return errNoInvitation(err)
	case ErrGone:
		return notPending(err)
	}
	return err
}

// invitationToChange returns an invitation the caller may resend or
// revoke, and its organization.
func (s *Service) invitationToChange(ctx context.Context, p Principal, orgID, id string) (Invitation, Organization, error) {
	o, role, err := s.inviter(ctx, p, orgID, true)
	if err != nil {
		return Invitation{}, Organization{}, err
	}
	if !ValidInvitationID(id) {
		return Invitation{}, Organization{}, errNoInvitation(nil)
	}
	inv, err := s.store.GetInvitation(ctx, orgID, id)
	if errors.Is(err, ErrNotFound) {
		return Invitation{}, Organization{}, errNoInvitation(err)
	}
	if err != nil {
		return Invitation{}, Organization{}, err
	}
	if !outranks(p, role, inv.Role) {
		return Invitation{}, Organization{}, NewError(ErrForbidden, "only owners and staff manage invitations to the owner role")
	}
	return inv, o, nil
}

// Acceptance is what AcceptInvitation needs from a person without an
// account.
type Acceptance struct {
	// Token is the invitation's token, from its mail.
	Token string
	// Password is the password of the identity to create; the auth
	// service applies its policy.
	Password string
	// DisplayName, when not empty, becomes the display name of the new
	// identity's profile (at most MaxDisplayNameLen bytes of printable
	// text).
	DisplayName string
}

// AcceptInvitation accepts an invitation for a person without an account:
// it checks the token, has the auth service create an identity with the
// invited address and a.Password, then makes it a member with the
// invitation's role and marks the invitation accepted, in one store
// transaction. It returns the membership and whether it was created now.
//
// The identity is created with the idempotency key "inv-" and the
// invitation's ID, so a retry after a crash or a lost answer creates no
// second identity; and within an hour of acceptance the same token and
// password answer again with the membership (created false).
//
// Errors: ErrInvalid for a malformed token or display name, or a password
// the auth service refuses (with its safe message); ErrNotFound for an
// unknown token; ErrGone for an invitation expired, revoked, or accepted
// (beyond the replay above); ErrConflict with reason "account-exists"
// when the address already has an account, whose owner should sign in
// and use AcceptInvitationAs; ErrUnavailable when the auth service cannot
// be reached.
func (s *Service) AcceptInvitation(ctx context.Context, a Acceptance) (Member, bool, error) {
	hash, err := ParseInvitationToken(a.Token)
	if err != nil {
		return Member{}, false, err
	}
	if len(a.DisplayName) > MaxDisplayNameLen || !printable(a.DisplayName) {
		return Member{}, false, NewError(ErrInvalid, "display name must be at most %d bytes of printable text", MaxDisplayNameLen)
	}
	if a.Password == "" {
		return Member{}, false, NewError(ErrInvalid, "password is required")
	}
	inv, err := s.store.GetInvitationByToken(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return Member{}, false, errNoInvitation(err)
	}
	if err != nil {
		return Member{}, false, err
	}
	now := s.now()
	switch {
	case inv.Status == InvitationRevoked:
		return Member{}, false, NewError(ErrGone, "the invitation was revoked")
	case inv.Status == InvitationAccepted && now.Sub(inv.AcceptedAt) > acceptReplayWindow:
		return Member{}, false, NewError(ErrGone, "the invitation was already accepted; sign in")
	case inv.Expired(now):
		return Member{}, false, NewError(ErrGone, "the invitation has expired; ask for a new one")
	}
	id, err := s.provisioner.CreateIdentity(ctx, inv.Email, a.Password, "inv-"+inv.ID)
	switch {
	case err == nil && !ValidIdentityID(id):
		return Member{}, false, fmt.Errorf("identity provisioner returned a malformed identity id")
	case Code(err) == ErrConflict && inv.Status == InvitationAccepted:
		return Member{}, false, &Error{Code: ErrGone, Message: "the invitation was already accepted; sign in", Err: err}
	case Code(err) == ErrConflict:
		return Member{}, false, &Error{Code: ErrConflict, Reason: "account-exists",
			Message: "an account with this address exists; sign in, then accept the invitation", Err: err}
	case err != nil:
		return Member{}, false, err
	}
	return s.accept(ctx, InvitationAcceptance{InvitationID: inv.ID, TokenHash: hash, IdentityID: id,
		DisplayName: a.DisplayName, At: now})
}

// AcceptInvitationAs accepts an invitation for the signed-in caller: it
// makes them a member with the invitation's role and marks it accepted.
// The token is the capability: accounts does not know the caller's
// address, so it cannot check that the invitation was addressed to them;
// whoever the invited person gives the token to can accept it. The
// membership's Email is the invitation's address, the one the
// organization invited, even when the caller signs in with another.
//
// Accepting again an invitation one accepted answers with one's current
// membership (created false). Errors: ErrInvalid for a malformed token;
// ErrNotFound for an unknown one; ErrGone for an invitation expired,
// revoked, or accepted by someone else; ErrConflict with reason
// "already-member" when the caller is already a member of the
// organization, in which case the invitation stays pending, for its
// managers to revoke or leave (accepting must not change a member's role
// behind the managers' backs).
func (s *Service) AcceptInvitationAs(ctx context.Context, p Principal, token string) (Member, bool, error) {
	hash, err := ParseInvitationToken(token)
	if err != nil {
		return Member{}, false, err
	}
	inv, err := s.store.GetInvitationByToken(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return Member{}, false, errNoInvitation(err)
	}
	if err != nil {
		return Member{}, false, err
	}
	return s.accept(ctx, InvitationAcceptance{InvitationID: inv.ID, TokenHash: hash, IdentityID: p.IdentityID, At: s.now()})
}

// accept runs the store's acceptance and gives its refusals their safe
// messages.
func (s *Service) accept(ctx context.Context, a InvitationAcceptance) (Member, bool, error) {
	m, created, err := s.store.AcceptInvitation(ctx, a)
	switch Code(err) {
	case nil:
	case ErrNotFound:
		return Member{}, false, errNoInvitation(err)
	case ErrGone:
		if SafeMessage(err) == "" {
			return Member{}, false, &Error{Code: ErrGone, Message: "the invitation can no longer be accepted", Err: err}
		}
		return Member{}, false, err
	case ErrConflict:
		return Member{}, false, &Error{Code: ErrConflict, Reason: "already-member",
			Message: "the identity is already a member of the organization", Err: err}
	default:
		return Member{}, false, err
	}
	if created {
		s.changed(ctx, MembershipChange{OrgID: m.OrgID, IdentityID: m.IdentityID, To: m.Role})
	}
	mem, err := s.member(ctx, m)
	return mem, created, err
}
