package analyticshttp

import (
	"slices"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/platform/identity"
)

// readable returns nil when p may read org's analytics, by the rule the
// Service applies to every query (a member with any role, staff, or a
// machine principal of the organization with analytics.ScopeRead), and
// the error the Service would return otherwise. The list of dimensions is
// the one answer that needs no query, so the Service is not asked;
// TestReadableAgreesWithService holds this copy of the rule to the
// Service's.
func readable(p analytics.Principal, org string) error {
	_, member := p.Orgs[org]
	switch {
	case org == "":
	case p.Kind == identity.KindUser && (member || p.Staff):
		return nil
	case (p.Kind == identity.KindClient || p.Kind == identity.KindAPIKey) && member:
		if !slices.Contains(p.Scopes, analytics.ScopeRead) {
			return analytics.NewError(analytics.ErrForbidden, "reading analytics takes the analytics:read scope")
		}
		return nil
	}
	return analytics.NewError(analytics.ErrNotFound, "no such organization")
}
