package accounts

import (
	"github.com/portico-gw/portico/internal/platform/identity"
)

// Principal is the caller of a service method: a person, as the verified
// internal token the gateway forwarded names them.
type Principal struct {
	// IdentityID is the auth service's ID of the person (the token's
	// "sub").
	IdentityID string
	// Orgs are the person's organizations and roles as the token carried
	// them when it was issued, minutes ago at most. The Service decides
	// from the store, never from these, so that a member removed or
	// demoted loses access at once rather than when the token expires.
	Orgs map[string]Role
	// Staff reports whether the person belongs to the operator's staff
	// organization (the token's "staff" claim).
	Staff bool
}

// NewPrincipal returns the Principal of verified claims. Only a person
// signed in with a session calls the accounts service: claims of another
// kind (a machine client, an API key) are an *Error of code ErrForbidden,
// and a subject that cannot be an identity ID one of code ErrInvalid.
func NewPrincipal(c *identity.Claims) (Principal, error) {
	if c.Kind != identity.KindUser {
		return Principal{}, NewError(ErrForbidden, "only a person signed in may call the accounts service")
	}
	if !ValidIdentityID(c.Subject) {
		return Principal{}, NewError(ErrInvalid, "the token's subject is not an identity id")
	}
	p := Principal{IdentityID: c.Subject, Staff: c.Staff, Orgs: make(map[string]Role, len(c.Orgs))}
	for _, o := range c.Orgs {
		p.Orgs[o.ID] = Role(o.Role)
	}
	return p, nil
}
