package accounts

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/mail"
	"strings"
	"time"
)

// InvitationIDPrefix starts every invitation ID.
const InvitationIDPrefix = "inv_"

// Limits and defaults of invitations.
const (
	// MaxEmailLen bounds an invited address, in bytes (RFC 5321's limit
	// on a path, as the auth service applies it).
	MaxEmailLen = 254
	// DefaultInvitationTTL is how long an invitation's token is valid
	// after it is sent.
	DefaultInvitationTTL = 7 * 24 * time.Hour
	// DefaultResendInterval is the least time between two mails of the
	// same invitation.
	DefaultResendInterval = time.Minute
)

// InvitationStatus is an invitation's state. An invitation whose token
// has expired keeps the status pending (see Invitation.Expired) so that
// it can still be resent or revoked.
type InvitationStatus string

// Invitation states.
const (
	// InvitationPending invitations wait for their token to be used.
	InvitationPending InvitationStatus = "pending"
	// InvitationAccepted invitations made a membership; their token is
	// spent.
	InvitationAccepted InvitationStatus = "accepted"
	// InvitationRevoked invitations were withdrawn by a manager.
	InvitationRevoked InvitationStatus = "revoked"
)

// Valid reports whether s is a known status.
func (s InvitationStatus) Valid() bool {
	return s == InvitationPending || s == InvitationAccepted || s == InvitationRevoked
}

// Invitation asks the owner of an e-mail address to join an organization
// with a role. Whoever holds its token may accept it: accounts knows
// identities only by ID, not by address, so the token, sent only to the
// address, is what stands for it.
type Invitation struct {
	// ID has the prefix InvitationIDPrefix.
	ID string
	// OrgID is the organization's ID.
	OrgID string
	// Email is the invited address as the inviter wrote it (see
	// ValidateEmail); at most one pending invitation per organization
	// has the same address, ignoring case.
	Email string
	// Role is the role the membership will have.
	Role Role
	// Status is pending, accepted or revoked.
	Status InvitationStatus
	// TokenHash is the SHA-256 of the current token (see
	// NewInvitationToken); the token itself is never stored.
	TokenHash [sha256.Size]byte
	// InvitedBy is the identity ID of whoever sent the invitation.
	InvitedBy string
	// CreatedAt is when the invitation was made, UpdatedAt when it last
	// changed, SentAt when its current token was made (the last send),
	// ExpiresAt when that token stops being accepted. All UTC, to the
	// microsecond.
	CreatedAt, UpdatedAt, SentAt, ExpiresAt time.Time
	// AcceptedAt and AcceptedBy say when and by which identity an
	// accepted invitation was accepted; zero otherwise.
	AcceptedAt time.Time
	AcceptedBy string
	// RevokedAt is when a revoked invitation was revoked; zero otherwise.
	RevokedAt time.Time
}

// Expired reports whether a pending invitation's token has expired at
// now.
func (i Invitation) Expired(now time.Time) bool {
	return i.Status == InvitationPending && !now.Before(i.ExpiresAt)
}

// Validate returns an *Error of code ErrInvalid naming the first field of i
// that is malformed, or nil.
func (i Invitation) Validate() error {
	switch {
	case !ValidID(InvitationIDPrefix, i.ID):
		return NewError(ErrInvalid, "invitation id is malformed")
	case !ValidOrgID(i.OrgID):
		return NewError(ErrInvalid, "organization id is malformed")
	case ValidateEmail(i.Email) != nil:
		return ValidateEmail(i.Email)
	case !i.Role.Valid():
		return NewError(ErrInvalid, "role must be owner, admin, editor or viewer")
	case !i.Status.Valid():
		return NewError(ErrInvalid, "status must be pending, accepted or revoked")
	case i.TokenHash == [sha256.Size]byte{}:
		return NewError(ErrInvalid, "token hash must be set")
	case !ValidIdentityID(i.InvitedBy):
		return NewError(ErrInvalid, "inviter is not an identity id")
	case i.CreatedAt.IsZero() || i.UpdatedAt.IsZero() || i.SentAt.IsZero():
		return NewError(ErrInvalid, "times must be set")
	case !i.ExpiresAt.After(i.SentAt):
		return NewError(ErrInvalid, "an invitation must expire after it is sent")
	case (i.Status == InvitationAccepted) != (!i.AcceptedAt.IsZero() && ValidIdentityID(i.AcceptedBy)):
		return NewError(ErrInvalid, "accepted invitations, and only they, have an acceptance")
	case (i.Status == InvitationRevoked) != !i.RevokedAt.IsZero():
		return NewError(ErrInvalid, "revoked invitations, and only they, have a revocation time")
	}
	return nil
}

// ValidateEmail returns an *Error of ErrInvalid unless email is a bare
// address (local@domain, no display name, no surrounding space) of at most
// MaxEmailLen bytes: the rule the auth service applies to the addresses of
// identities, so that an invitation it would refuse is refused when it is
// made.
func ValidateEmail(email string) error {
	if email == "" || len(email) > MaxEmailLen {
		return NewError(ErrInvalid, "email must be 1 to %d bytes", MaxEmailLen)
	}
	errPlain := NewError(ErrInvalid, "email must be a plain address, local@domain")
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != email {
		return errPlain
	}
	local, domain, _ := strings.Cut(a.Address, "@")
	if local == "" || domain == "" || strings.HasPrefix(domain, "[") {
		return errPlain
	}
	return nil
}

// EmailKey is the form of an address that invitations are compared by:
// lower-case, as the auth service compares addresses ignoring case.
func EmailKey(email string) string { return strings.ToLower(email) }

// InvitationTokenPrefix starts every invitation token, so that one found
// where it should not be (a log, a repository) is recognised.
const InvitationTokenPrefix = "pinv_"

// invitationTokenBytes is the token's entropy: 256 bits.
const invitationTokenBytes = 32

// InvitationTokenLen is the length of a token: the prefix and 32 bytes in
// unpadded base64url.
var InvitationTokenLen = len(InvitationTokenPrefix) + base64.RawURLEncoding.EncodedLen(invitationTokenBytes)

// NewInvitationToken returns a new token, URL-safe, and its SHA-256. The
// token goes only into the invitation's mail; the store keeps the hash.
func NewInvitationToken() (token string, hash [sha256.Size]byte) {
	var raw [invitationTokenBytes]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never returns an error
	token = InvitationTokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	return token, sha256.Sum256([]byte(token))
}

// ParseInvitationToken returns the SHA-256 of token, which is how the
// store finds its invitation, or an *Error of ErrInvalid when token cannot
// be one NewInvitationToken made. Finding the invitation by the hash of a
// 256-bit secret, rather than comparing secrets, leaves nothing for timing
// to reveal.
func ParseInvitationToken(token string) ([sha256.Size]byte, error) {
	body, ok := strings.CutPrefix(token, InvitationTokenPrefix)
	if !ok || len(token) != InvitationTokenLen {
		return [sha256.Size]byte{}, NewError(ErrInvalid, "token is not an invitation token")
	}
	// Strict decoding refuses non-zero trailing bits, so that one token
	// has one spelling; the length check above leaves no room for the
	// CR and LF the decoder would skip.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil || len(raw) != invitationTokenBytes || strings.ContainsAny(body, "\r\n") {
		return [sha256.Size]byte{}, &Error{Code: ErrInvalid, Message: "token is not an invitation token", Err: err}
	}
	return sha256.Sum256([]byte(token)), nil
}

// ValidInvitationID reports whether id is an invitation ID; it is the key
// validator of invitation lists.
func ValidInvitationID(id string) bool { return ValidID(InvitationIDPrefix, id) }

// outranks reports whether a caller with role may grant want: nobody
// grants a role above their own. Staff grant any role, which is how a new
// customer organization gets its first owner.
func outranks(p Principal, role, want Role) bool {
	if p.Staff {
		return true
	}
	return rank(role) >= rank(want)
}

// rank orders roles: owner highest, an unknown role lowest.
func rank(r Role) int {
	switch r {
	case RoleOwner:
		return 4
	case RoleAdmin:
		return 3
	case RoleEditor:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}
