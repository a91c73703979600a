package accounts

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// InvitationMail is what a mail of an invitation says.
type InvitationMail struct {
	// To is the invited address.
	To string
	// OrgName is the name of the organization the invitation is to.
	OrgName string
	// InviterName is the display name of whoever sent the invitation, or
	// empty when their profile has none (accounts does not know
	// addresses).
	InviterName string
	// Role is the role the membership will have.
	Role Role
	// AcceptURL is the link that accepts the invitation: the service's
	// accept URL with the token in its fragment, which browsers never
	// send to a server or in a Referer. It is a secret.
	AcceptURL string
	// ExpiresAt is when the link stops working.
	ExpiresAt time.Time
}

// Mailer sends the mails of invitations. The service sends through it
// after the invitation is committed, while the request waits, so that a
// failure reaches whoever invited (and they can resend).
type Mailer interface {
	// SendInvitation delivers m or returns why it could not.
	SendInvitation(ctx context.Context, m InvitationMail) error
}

// LogMailer "sends" invitation mails by logging them, accept link
// included, at info level. It is meant for local use (the embedded
// default), where a person reads the log to follow the link; in
// production give the service a real Mailer, because anyone who reads the
// log can then accept the invitation, and join the organization, in the
// invited person's place.
type LogMailer struct {
	logger *slog.Logger
}

// NewLogMailer returns a LogMailer writing to logger.
func NewLogMailer(logger *slog.Logger) *LogMailer { return &LogMailer{logger: logger} }

// SendInvitation implements Mailer.
func (m *LogMailer) SendInvitation(ctx context.Context, mail InvitationMail) error {
	m.logger.InfoContext(ctx, "mail not sent, logged instead (local use only)",
		"to", mail.To, "subject", "Invitation to "+mail.OrgName, "organization", mail.OrgName,
		"inviter", mail.InviterName, "role", string(mail.Role), "accept_url", mail.AcceptURL,
		"expires_at", mail.ExpiresAt)
	return nil
}

// ErrNoMailer is what sending an invitation returns when the service was
// given no Mailer.
var ErrNoMailer = errors.New("no mailer configured")

// noMailer is the default Mailer: it sends nothing and logs nothing, so
// that an accept link never reaches a log unless a LogMailer was chosen.
type noMailer struct{}

func (noMailer) SendInvitation(context.Context, InvitationMail) error { return ErrNoMailer }

// IdentityProvisioner creates identities in the auth service for people
// who accept an invitation without an account.
type IdentityProvisioner interface {
	// CreateIdentity creates an identity with the address and password
	// and returns its ID. A retry with the same idempotencyKey, after a
	// crash or a lost answer, returns the same identity instead of
	// creating another. Errors carry the package's codes: ErrConflict
	// when the address already has an identity, ErrInvalid (with a safe
	// message) when the address or password is refused, ErrUnavailable
	// when the auth service cannot be reached or refuses this service.
	CreateIdentity(ctx context.Context, email, password, idempotencyKey string) (identityID string, err error)
}

// noProvisioner is the default IdentityProvisioner: accepting without an
// account is unavailable.
type noProvisioner struct{}

func (noProvisioner) CreateIdentity(context.Context, string, string, string) (string, error) {
	return "", &Error{Code: ErrUnavailable, Message: "accepting an invitation without an account is not available; sign in and accept it",
		Err: errors.New("no identity provisioner configured")}
}

var (
	_ Mailer              = (*LogMailer)(nil)
	_ Mailer              = noMailer{}
	_ IdentityProvisioner = noProvisioner{}
)
