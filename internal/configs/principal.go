package configs

import (
	"slices"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// Role is a caller's role in an organization, as the internal token
// carries it.
type Role string

// The roles of people, from the accounts service, and the one role the
// auth service gives machine clients and API keys.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleEditor Role = "editor"
	RoleViewer Role = "viewer"
	// RoleScoped is the role of a machine client or an API key in its one
	// organization: what it may do there is in its scopes.
	RoleScoped Role = "scoped"
)

// The scopes a machine principal may hold for this service.
const (
	// ScopeRead allows what a viewer may do.
	ScopeRead = "configs:read"
	// ScopeWrite allows what an editor may do: change delivery settings and
	// restore versions. It implies ScopeRead.
	ScopeWrite = "configs:write"
)

// Principal is the caller of a service method, as the verified internal
// token the gateway forwarded names it. The configs service owns no
// memberships: the roles are those the token carried when it was issued,
// minutes ago at most, and the gateway checks a route's roles too.
type Principal struct {
	// Kind is a person (identity.KindUser), a machine client or an API
	// key.
	Kind identity.PrincipalKind
	// ID is the token's subject: an identity, a client or an API key.
	ID string
	// CredentialID is the outside credential the token was exchanged for
	// (a session, an API key, an access token), for the audit trail; it
	// may be empty.
	CredentialID string
	// Orgs are the organizations and roles: a person's memberships, or the
	// one organization of a machine principal with RoleScoped.
	Orgs map[string]Role
	// Scopes are a machine principal's granted scopes; a person's are not
	// consulted.
	Scopes []string
	// Staff reports whether the person belongs to the operator's staff
	// organization; never true for a machine principal.
	Staff bool
}

// ActorIn returns who p is, as the audit trail of organization orgID
// records it: staff acting in an organization they are not a member of
// are marked as such.
func (p Principal) ActorIn(orgID string) Actor {
	_, member := p.Orgs[orgID]
	return Actor{Kind: string(p.Kind), ID: p.ID, CredentialID: p.CredentialID, Staff: p.Staff && !member}
}

// machine reports whether p is a machine client or an API key.
func (p Principal) machine() bool { return p.Kind != identity.KindUser }

// NewPrincipal returns the Principal of verified claims. A person keeps
// the organizations and roles of the token; a machine principal (client
// or API key) keeps its one organization, given with RoleScoped (or in
// the org_id claim), and its scopes, never the staff flag. A subject that
// cannot be an identity ID, a kind the package does not know, or a
// machine principal without exactly one organization is an *Error of code
// ErrForbidden: the token is genuine but cannot act here.
func NewPrincipal(c *identity.Claims) (Principal, error) {
	if !ValidForeignID(c.Subject) {
		return Principal{}, NewError(ErrForbidden, "the token's subject is not an identity id")
	}
	p := Principal{Kind: c.Kind, ID: c.Subject, CredentialID: c.CredentialID, Orgs: make(map[string]Role, len(c.Orgs))}
	if len(p.CredentialID) > MaxIdentityIDLen || !printable(p.CredentialID) {
		p.CredentialID = ""
	}
	switch c.Kind {
	case identity.KindUser:
		p.Staff = c.Staff
		for _, o := range c.Orgs {
			p.Orgs[o.ID] = Role(o.Role)
		}
	case identity.KindClient, identity.KindAPIKey:
		org := c.OrgID
		for _, o := range c.Orgs {
			if Role(o.Role) == RoleScoped && (org == "" || org == o.ID) {
				org = o.ID
			} else {
				org = ""
				break
			}
		}
		if org == "" {
			return Principal{}, NewError(ErrForbidden, "a machine token must name exactly one organization")
		}
		p.Orgs[org] = RoleScoped
		p.Scopes = slices.Clone(c.Scopes)
	default:
		return Principal{}, NewError(ErrForbidden, "the token's principal kind is unknown")
	}
	return p, nil
}

// access is what a principal may do in one organization, from the
// weakest to the strongest.
type access int

const (
	accessNone   access = iota // not a member: the organization is not there
	accessMember               // a member with no right here: refused
	accessRead                 // viewer, configs:read, staff
	accessWrite                // editor, configs:write: delivery settings
	accessManage               // admin: integrations, keys, status
	accessOwn                  // owner: deletion
)

// accessIn returns what p may do in orgID by its role or scopes, leaving
// staff aside (see Service.authorize).
func (p Principal) accessIn(orgID string) access {
	role, ok := p.Orgs[orgID]
	if !ok {
		return accessNone
	}
	if p.machine() {
		switch {
		case role != RoleScoped:
			return accessMember
		case slices.Contains(p.Scopes, ScopeWrite):
			return accessWrite
		case slices.Contains(p.Scopes, ScopeRead):
			return accessRead
		}
		// A machine principal without a configs scope is still in the
		// organization: it is refused, not told it is missing.
		return accessMember
	}
	switch role {
	case RoleOwner:
		return accessOwn
	case RoleAdmin:
		return accessManage
	case RoleEditor:
		return accessWrite
	case RoleViewer:
		return accessRead
	}
	return accessMember
}
