package auth

import "github.com/portico-gw/portico/internal/platform/identity"

// Principal is a person who calls a user-facing operation, as
// AuthenticateToken establishes it from the internal token the gateway
// forwards, or AuthenticateSession from a session token.
type Principal struct {
	// IdentityID is the signed-in identity.
	IdentityID string
	// SessionID is the session the request came with, or empty when the
	// principal was established some other way.
	SessionID string
	// Orgs are the organizations the identity belongs to, with its role.
	Orgs []identity.OrgRole
	// Staff is true for the operator's staff.
	Staff bool
}

// Role returns the principal's role in an organization, or "" if it is
// not a member.
func (p Principal) Role(orgID string) string {
	for _, o := range p.Orgs {
		if o.ID == orgID {
			return o.Role
		}
	}
	return ""
}

// CanAdminister reports whether the principal may manage an
// organization's credentials and read its audit log: its owners and
// admins, and staff.
func (p Principal) CanAdminister(orgID string) bool {
	if p.Staff {
		return true
	}
	switch p.Role(orgID) {
	case RoleOwner, RoleAdmin:
		return true
	}
	return false
}
