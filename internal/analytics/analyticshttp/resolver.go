package analyticshttp

import (
	"context"
	"errors"

	"github.com/portico-gw/portico/internal/analytics"
)

// Resolver is the analytics.KeyResolver the Service is built with in
// production: it asks the configs service through an
// *analytics.HTTPKeyResolver (its internal delivery-key lookup, cached)
// and gives the Service the integration in its own terms. It is safe for
// concurrent use.
type Resolver struct {
	keys *analytics.HTTPKeyResolver
}

// NewResolver returns the Resolver that looks keys up with keys.
func NewResolver(keys *analytics.HTTPKeyResolver) *Resolver { return &Resolver{keys: keys} }

// Resolve returns the integration of deliveryKey. An unknown (or
// malformed) key is an *analytics.Error of code analytics.ErrNotFound and
// reason analytics.ReasonUnknownKey; a configs service that could not say
// is an error matching analytics.ErrResolverUnavailable, which the
// Service passes on and the handler answers with 503 and Retry-After.
func (r *Resolver) Resolve(ctx context.Context, deliveryKey string) (analytics.Integration, error) {
	k, err := r.keys.Resolve(ctx, deliveryKey)
	switch {
	case errors.Is(err, analytics.ErrUnknownKey):
		return analytics.Integration{}, &analytics.Error{Code: analytics.ErrNotFound, Reason: analytics.ReasonUnknownKey,
			Message: "no integration has this delivery key", Err: err}
	case err != nil:
		return analytics.Integration{}, err
	}
	return analytics.Integration{ID: k.IntegrationID, OrgID: k.OrgID, Status: analytics.IntegrationStatus(k.Status),
		Domains: k.Domains, BundleIDs: k.BundleIDs}, nil
}

var _ analytics.KeyResolver = (*Resolver)(nil)
