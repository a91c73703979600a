package analytics

import "context"

// IntegrationStatus is what an integration's status lets ingestion do.
type IntegrationStatus string

// The statuses of an integration, as the configs service names them.
const (
	// StatusActive: beacons are ingested.
	StatusActive IntegrationStatus = "active"
	// StatusDisabled: the customer turned the integration off; its
	// batches are refused.
	StatusDisabled IntegrationStatus = "disabled"
	// StatusBypassed: staff turned peer-to-peer off for it (the support
	// kill switch); players still play, over the CDN, and their beacons
	// are still ingested.
	StatusBypassed IntegrationStatus = "bypassed"
)

// Integration is what ingestion needs to know of the integration a
// delivery key names.
type Integration struct {
	// ID is the integration's ID ("int_...").
	ID string
	// OrgID is the organization that owns it.
	OrgID string
	// Status decides whether its beacons are ingested.
	Status IntegrationStatus
	// Domains are its allowed domains in their canonical form ("example.com",
	// "*.example.com"); AllowsOrigin checks an Origin against them.
	Domains []string
	// BundleIDs are its apps' bundle ids, compared exactly.
	BundleIDs []string
}

// KeyResolver finds the integration of a delivery key. The service's
// implementation asks the configs service's internal endpoint and caches
// the answers; tests give a map.
type KeyResolver interface {
	// Resolve returns the integration whose current or previous delivery
	// key is deliveryKey, or an error matching ErrNotFound when there is
	// none. Any other error is a failure to find out, and the batch is
	// not refused for it: the service reports it as internal.
	Resolve(ctx context.Context, deliveryKey string) (Integration, error)
}
