package authn

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// exchange asks auth for c's internal token. Without external issuers
// every credential goes to auth as it is. With them, a bearer credential
// is told apart by the "iss" of its unverified payload, which only picks
// the verifier: auth's own tokens go to auth as before; an external
// issuer's are verified and mapped here, and only a token that passes is
// exchanged, as its Assertion; anything else is refused here. So a bearer
// token that is not a JWT, names an issuer nobody configured, fails its
// signature or has expired never costs a call to auth.
func (x *Exchanger) exchange(ctx context.Context, c Credential) (Result, time.Duration, error) {
	if len(x.external) == 0 || c.Kind != KindBearer {
		return x.client.exchange(ctx, c)
	}
	iss, err := identity.PeekIssuer(c.Value)
	if err != nil {
		x.observeExternal("", ExternalNotJWT)
		return Result{}, 0, fmt.Errorf("exchange: bearer token: %w: %w", ErrUnauthenticated, err)
	}
	if iss == x.o.Issuer {
		return x.client.exchange(ctx, c)
	}
	e := x.external[iss]
	if e == nil {
		x.observeExternal("", ExternalUnknownIssuer)
		return Result{}, 0, fmt.Errorf("exchange: bearer token of an issuer not configured: %w", ErrUnauthenticated)
	}
	res, ttl, err := x.exchangeOutside(ctx, e, c)
	switch {
	case err == nil:
		x.observeExternal(e.Name, ExternalAccepted)
	case errors.Is(err, ErrUnavailable):
		x.observeExternal(e.Name, ExternalUnavailable)
	default:
		x.observeExternal(e.Name, ExternalRefused)
	}
	return res, ttl, err
}

// exchangeOutside verifies and maps c, a token of issuer e, and exchanges
// it at auth.
func (x *Exchanger) exchangeOutside(ctx context.Context, e *external, c Credential) (Result, time.Duration, error) {
	a, err := e.assert(ctx, c.Value)
	if err != nil {
		return Result{}, 0, err
	}
	res, ttl, err := x.client.exchangeExternal(ctx, a)
	if err != nil {
		return Result{}, 0, err
	}
	if err := a.admits(res.Claims); err != nil {
		// auth answered with a token of another caller than the one
		// asserted: no auth this gateway should trust does that.
		return Result{}, 0, fmt.Errorf("exchange: issuer %s: %w: %w: %w", e.Name, ErrUnavailable, ErrInvalidToken, err)
	}
	return res, ttl, nil
}

func (x *Exchanger) observeExternal(issuer, result string) {
	if x.o.ObserveExternal != nil {
		x.o.ObserveExternal(issuer, result)
	}
}

// scopedRole is the role auth gives a machine caller in its one
// organization: its scopes, not a member's role, say what it may do.
const scopedRole = "scoped"

// externalSubjectPrefix starts the subject auth gives every outside
// caller, so that it never names one of Portico's own principals.
const externalSubjectPrefix = "ext_"

// admits checks that an internal token minted for a is what it must be:
// a machine caller with a namespaced subject, never staff, scoped in a's
// organization alone, with no scope a lacks and no resource, expiring no
// later than the outside token.
func (a Assertion) admits(c *identity.Claims) error {
	switch {
	case c.Kind != identity.KindClient || c.Staff:
		return fmt.Errorf("internal token of kind %q, staff %v, want a client", c.Kind, c.Staff)
	case !strings.HasPrefix(c.Subject, externalSubjectPrefix):
		return fmt.Errorf("internal token subject without the %s prefix", externalSubjectPrefix)
	case c.ClientID != "" || len(c.Resources) > 0:
		return errors.New("internal token names a client or resources")
	case len(c.Orgs) != 1 || c.Orgs[0].ID != a.Organization || c.Orgs[0].Role != scopedRole:
		return fmt.Errorf("internal token for %d organizations, want the asserted one alone, role %s", len(c.Orgs), scopedRole)
	case c.Expiry.After(a.ExpiresAt):
		return fmt.Errorf("internal token expires at %s, after the outside token (%s)",
			c.Expiry.Format(time.RFC3339), a.ExpiresAt.Format(time.RFC3339))
	}
	for _, s := range c.Scopes {
		if !slices.Contains(a.Scopes, s) {
			return errors.New("internal token has a scope not asserted")
		}
	}
	return nil
}
