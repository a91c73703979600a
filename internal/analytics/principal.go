package analytics

import (
	"slices"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// ScopeRead is the scope a machine principal (an OAuth 2 client or an API
// key) needs to read its organization's analytics.
const ScopeRead = "analytics:read"

// roleScoped is the role a machine principal holds in its one
// organization, as the internal token carries it.
const roleScoped = "scoped"

// maxSubjectLen bounds the subject a Principal keeps.
const maxSubjectLen = 128

// Principal is the caller of a query, as the verified internal token the
// gateway forwarded names it. The analytics service owns no memberships:
// the roles are those the token carried when it was issued.
type Principal struct {
	// Kind is a person (identity.KindUser), a machine client or an API
	// key.
	Kind identity.PrincipalKind
	// ID is the token's subject.
	ID string
	// Orgs maps each organization of the principal to its role there: a
	// person's memberships, or the one organization of a machine
	// principal.
	Orgs map[string]string
	// Scopes are a machine principal's scopes; a person's are not
	// consulted.
	Scopes []string
	// Staff reports whether the person belongs to the operator's staff,
	// who may read every organization. Never true for a machine.
	Staff bool
}

// NewPrincipal returns the Principal of verified claims: a person keeps
// the organizations and roles of the token and the staff flag; a machine
// principal (client or API key) keeps its one organization (given with the
// role "scoped", or in the org_id claim) and its scopes. An empty or
// overlong subject, an unknown kind, or a machine principal without
// exactly one organization is an *Error of code ErrForbidden.
func NewPrincipal(c *identity.Claims) (Principal, error) {
	if c.Subject == "" || len(c.Subject) > maxSubjectLen {
		return Principal{}, NewError(ErrForbidden, "the token's subject is not an identity id")
	}
	p := Principal{Kind: c.Kind, ID: c.Subject, Orgs: make(map[string]string, len(c.Orgs))}
	switch c.Kind {
	case identity.KindUser:
		p.Staff = c.Staff
		for _, o := range c.Orgs {
			p.Orgs[o.ID] = o.Role
		}
	case identity.KindClient, identity.KindAPIKey:
		org := c.OrgID
		for _, o := range c.Orgs {
			if o.Role == roleScoped && (org == "" || org == o.ID) {
				org = o.ID
			} else {
				org = ""
				break
			}
		}
		if org == "" {
			return Principal{}, NewError(ErrForbidden, "a machine token must name exactly one organization")
		}
		p.Orgs[org] = roleScoped
		p.Scopes = slices.Clone(c.Scopes)
	default:
		return Principal{}, NewError(ErrForbidden, "the token's principal kind is unknown")
	}
	return p, nil
}

// authorize returns nil when p may read orgID's analytics: a person who is
// a member with any role, staff, or a machine principal of that
// organization with ScopeRead. A machine principal of the organization
// without the scope gets ErrForbidden; anyone else ErrNotFound, as if the
// organization did not exist.
func authorize(p Principal, orgID string) error {
	if orgID == "" {
		return errNoOrg()
	}
	role, member := p.Orgs[orgID]
	switch {
	case p.Kind == identity.KindUser && (member || p.Staff):
		return nil
	case p.Kind == identity.KindClient || p.Kind == identity.KindAPIKey:
		if !member || role != roleScoped {
			return errNoOrg()
		}
		if !slices.Contains(p.Scopes, ScopeRead) {
			return NewError(ErrForbidden, "reading analytics takes the analytics:read scope")
		}
		return nil
	}
	return errNoOrg()
}

func errNoOrg() error { return NewError(ErrNotFound, "no such organization") }
