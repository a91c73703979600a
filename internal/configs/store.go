package configs

import (
	"context"
	"time"
)

// Store keeps the configs service's records. Implementations return the
// sentinel errors ErrNotFound, ErrConflict and ErrInvalid (wrapped or not)
// for the cases each method names, and store times in UTC truncated to
// microseconds.
//
// Every method but GetIntegrationByDeliveryKey takes the organization's ID
// and only sees that organization's integrations: an integration of
// another organization, and its versions, are ErrNotFound.
//
// Lists are newest first and paginated with PageRequest; a malformed
// cursor is ErrInvalid.
type Store interface {
	// CreateIntegration stores a new integration and returns it as
	// stored. ErrInvalid if it fails Integration.Validate; ErrConflict if
	// its ID or one of its delivery keys is taken.
	CreateIntegration(ctx context.Context, in Integration) (Integration, error)
	// GetIntegration returns the organization's integration with the
	// given ID, or ErrNotFound.
	GetIntegration(ctx context.Context, orgID, id string) (Integration, error)
	// ListIntegrations returns one page of the organization's
	// integrations, ordered by (creation time, ID).
	ListIntegrations(ctx context.Context, orgID string, page PageRequest) (Page[Integration], error)
	// UpdateIntegration replaces the Name, Environment, Status, Domains,
	// BundleIDs and UpdatedAt of the integration with in's ID in in's
	// organization and returns it as stored; its delivery keys (see
	// RotateDeliveryKey) and CreatedAt never change here. ErrInvalid if in
	// fails Integration.Validate; ErrNotFound if there is no such
	// integration in that organization.
	UpdateIntegration(ctx context.Context, in Integration) (Integration, error)
	// GetIntegrationByDeliveryKey returns the integration whose current
	// delivery key is key, or whose previous key is key and expires after
	// now; previous reports the latter. ErrNotFound otherwise. It is not
	// scoped by organization: the key is all a player knows.
	GetIntegrationByDeliveryKey(ctx context.Context, key string, now time.Time) (in Integration, previous bool, err error)
	// RotateDeliveryKey makes newKey the integration's delivery key and
	// keeps the current one as PreviousDeliveryKey until overlapUntil
	// (a key rotated out earlier is dropped), and returns the integration
	// as stored. UpdatedAt does not change: the key is not a setting the
	// customer edits. ErrInvalid if newKey is malformed or is the current
	// key, or overlapUntil is zero; ErrNotFound if there is no such
	// integration in that organization; ErrConflict if newKey is another
	// integration's current key.
	RotateDeliveryKey(ctx context.Context, orgID, id, newKey string, overlapUntil time.Time) (Integration, error)

	// AppendSettingsVersion stores v as the next settings version of the
	// organization's integration, if and only if the current version is
	// expectedVersion (0 when it has none yet), and returns it as stored.
	// The store sets v's IntegrationID and its Version, expectedVersion+1,
	// before it validates v. ErrInvalid if v then fails
	// SettingsVersion.Validate or expectedVersion is negative;
	// ErrNotFound if there is no such integration in that organization;
	// ErrConflict if the current version is not expectedVersion, also when
	// concurrent appends expect the same version: exactly one of them
	// succeeds.
	AppendSettingsVersion(ctx context.Context, orgID, integrationID string, expectedVersion int, v SettingsVersion) (SettingsVersion, error)
	// GetSettingsVersion returns one settings version of the
	// organization's integration, or ErrNotFound.
	GetSettingsVersion(ctx context.Context, orgID, integrationID string, version int) (SettingsVersion, error)
	// CurrentSettings returns the highest settings version of the
	// organization's integration; ErrNotFound if the integration does not
	// exist in that organization or has no version yet.
	CurrentSettings(ctx context.Context, orgID, integrationID string) (SettingsVersion, error)
	// ListSettingsVersions returns one page of the settings versions of
	// the organization's integration, highest version first; an
	// integration that does not exist in that organization has none.
	ListSettingsVersions(ctx context.Context, orgID, integrationID string, page PageRequest) (Page[SettingsVersion], error)
}
