package accounts

import (
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on the fields of records.
const (
	// MinSlugLen and MaxSlugLen bound an organization's slug.
	MinSlugLen, MaxSlugLen = 3, 63
	// MaxNameLen bounds an organization's name, in bytes.
	MaxNameLen = 200
	// MaxPlanNameLen bounds a plan's name.
	MaxPlanNameLen = 64
)

// OrgStatus is an organization's state.
type OrgStatus string

// Organization states.
const (
	// OrgActive organizations are served.
	OrgActive OrgStatus = "active"
	// OrgSuspended organizations are kept but not served.
	OrgSuspended OrgStatus = "suspended"
)

// Valid reports whether s is a known status.
func (s OrgStatus) Valid() bool { return s == OrgActive || s == OrgSuspended }

// Plan is what an organization pays for.
type Plan struct {
	// Name identifies the plan, such as "starter": 1 to MaxPlanNameLen
	// lower-case letters, digits, '-' or '_'.
	Name string
	// ViewerCap is the most concurrent viewers the plan allows; 0 means
	// no cap.
	ViewerCap int64
}

// Organization is a customer of the operator, or the operator's own staff
// organization.
type Organization struct {
	// ID has the prefix OrgIDPrefix.
	ID string
	// Name is shown to people: 1 to MaxNameLen bytes of UTF-8 without
	// control characters.
	Name string
	// Slug is the organization's unique short name: MinSlugLen to
	// MaxSlugLen lower-case letters, digits and '-', starting and ending
	// with a letter or digit.
	Slug string
	// Plan is the organization's plan.
	Plan Plan
	// Status is active or suspended.
	Status OrgStatus
	// Staff marks the operator's own organization, whose members are the
	// operator's staff; at most one organization has it.
	Staff bool
	// CreatedAt and UpdatedAt are kept in UTC, to the microsecond.
	CreatedAt, UpdatedAt time.Time
}

// Validate returns an *Error of code ErrInvalid naming the first field of o
// that is malformed, or nil.
func (o Organization) Validate() error {
	switch {
	case !ValidOrgID(o.ID):
		return NewError(ErrInvalid, "organization id is malformed")
	case o.Name == "" || len(o.Name) > MaxNameLen || !printable(o.Name):
		return NewError(ErrInvalid, "name must be 1 to %d bytes of printable text", MaxNameLen)
	case !ValidSlug(o.Slug):
		return NewError(ErrInvalid, "slug must be %d to %d lower-case letters, digits or '-', starting and ending with a letter or digit", MinSlugLen, MaxSlugLen)
	case o.Plan.Name == "" || len(o.Plan.Name) > MaxPlanNameLen || !isToken(o.Plan.Name, "abcdefghijklmnopqrstuvwxyz0123456789-_"):
		return NewError(ErrInvalid, "plan name must be 1 to %d lower-case letters, digits, '-' or '_'", MaxPlanNameLen)
	case o.Plan.ViewerCap < 0:
		return NewError(ErrInvalid, "viewer cap must not be negative")
	case !o.Status.Valid():
		return NewError(ErrInvalid, "status must be active or suspended")
	case o.CreatedAt.IsZero() || o.UpdatedAt.IsZero():
		return NewError(ErrInvalid, "times must be set")
	}
	return nil
}

// ValidSlug reports whether s is a well-formed slug (see
// Organization.Slug).
func ValidSlug(s string) bool {
	if len(s) < MinSlugLen || len(s) > MaxSlugLen || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	return isToken(s, "abcdefghijklmnopqrstuvwxyz0123456789-")
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// Role is what a member may do in an organization.
type Role string

// Roles, from most to least powerful.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleEditor Role = "editor"
	RoleViewer Role = "viewer"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleOwner, RoleAdmin, RoleEditor, RoleViewer:
		return true
	}
	return false
}

// Membership says that an identity belongs to an organization with a role.
type Membership struct {
	// OrgID is the organization's ID.
	OrgID string
	// IdentityID is the auth service's ID of the member (see
	// ValidIdentityID).
	IdentityID string
	// Role is the member's role.
	Role Role
	// Email is the address the accounts service knows the member by: the
	// invited address for a membership made by accepting an invitation
	// (with or without an account: the invitation's address, which the
	// organization already knew, is kept even when a signed-in person's
	// own address differs), the first administrator's at BootstrapStaff.
	// Empty when the service never learned one: a member added by identity
	// ID, or an organization's owner named at its creation. It is a copy
	// made when the membership began; the auth service's identity keeps
	// the address people sign in with.
	Email string
	// CreatedAt and UpdatedAt are kept in UTC, to the microsecond.
	CreatedAt, UpdatedAt time.Time
}

// Member is a membership as the organization's members see it.
type Member struct {
	Membership
	// DisplayName is the display name of the member's profile; empty when
	// they have none.
	DisplayName string
}

// Validate returns an *Error of code ErrInvalid naming the first field of m
// that is malformed, or nil.
func (m Membership) Validate() error {
	switch {
	case !ValidOrgID(m.OrgID):
		return NewError(ErrInvalid, "organization id is malformed")
	case !ValidIdentityID(m.IdentityID):
		return NewError(ErrInvalid, "identity id is malformed")
	case !m.Role.Valid():
		return NewError(ErrInvalid, "role must be owner, admin, editor or viewer")
	case m.Email != "" && ValidateEmail(m.Email) != nil:
		return ValidateEmail(m.Email)
	case m.CreatedAt.IsZero() || m.UpdatedAt.IsZero():
		return NewError(ErrInvalid, "times must be set")
	}
	return nil
}
