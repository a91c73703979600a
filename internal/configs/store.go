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
// Every method but GetIntegrationByDeliveryKey, LoadDeliveryState,
// Revision and the prune methods takes the organization's ID and only
// sees that organization's records: an integration of another
// organization, and its versions, are ErrNotFound.
//
// Every method that changes an integration or its settings takes the
// AuditEntry that records the change, checks it with AuditEntry.Validate
// (ErrInvalid) and that it names the same organization and integration
// (ErrInvalid), and writes it, the change and one increment of the
// revision (see Revision) in one transaction: all or nothing.
//
// Lists are newest first and paginated with PageRequest; a malformed
// cursor is ErrInvalid.
type Store interface {
	// CreateIntegration stores c.Integration, its first settings version
	// c.Settings (whose IntegrationID and Version, 1, the store sets) and,
	// when c.Idempotency is not nil, that record (an expired record of the
	// same key is replaced), and returns the integration and version as
	// stored. ErrInvalid if one of them fails its Validate; ErrConflict if
	// the integration's ID or one of its delivery keys is taken, or a live
	// idempotency record has the same organization, principal and key.
	CreateIntegration(ctx context.Context, c Creation) (Integration, SettingsVersion, error)
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
	UpdateIntegration(ctx context.Context, in Integration, audit AuditEntry) (Integration, error)
	// DeleteIntegration deletes the organization's integration and its
	// settings versions; its audit entries and idempotency records stay.
	// ErrNotFound if there is no such integration in that organization.
	DeleteIntegration(ctx context.Context, orgID, id string, audit AuditEntry) error
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
	RotateDeliveryKey(ctx context.Context, orgID, id, newKey string, overlapUntil time.Time, audit AuditEntry) (Integration, error)

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
	AppendSettingsVersion(ctx context.Context, orgID, integrationID string, expectedVersion int, v SettingsVersion, audit AuditEntry) (SettingsVersion, error)
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

	// ListAuditEntries returns one page of the organization's audit
	// trail, ordered by (time, ID), newest first; only the entries of
	// integrationID when it is not empty.
	ListAuditEntries(ctx context.Context, orgID, integrationID string, page PageRequest) (Page[AuditEntry], error)
	// PruneAuditEntries deletes the audit entries older than before and
	// returns how many it deleted.
	PruneAuditEntries(ctx context.Context, before time.Time) (int64, error)

	// GetIdempotencyRecord returns the record of the organization's
	// principal and key if it expires after now; ErrNotFound otherwise.
	GetIdempotencyRecord(ctx context.Context, orgID, principal, key string, now time.Time) (IdempotencyRecord, error)
	// PruneIdempotencyRecords deletes the records that expired at or
	// before now and returns how many it deleted.
	PruneIdempotencyRecords(ctx context.Context, now time.Time) (int64, error)

	// Revision returns the change revision: a counter that every
	// transaction changing an integration, its delivery keys or its
	// settings increments, and nothing else does. It starts at 0 and never
	// goes down, so a reader that saw revision n has seen every change up
	// to n once it sees n again.
	Revision(ctx context.Context) (int64, error)
	// LoadDeliveryState returns every integration of every organization
	// with its current settings version, and a revision the state is at
	// least as new as: the revision is read first, so a change that
	// commits during the load may be in the state already, and is seen
	// again at the next revision.
	LoadDeliveryState(ctx context.Context) (DeliveryState, error)
}

// Creation is what Store.CreateIntegration writes in one transaction.
type Creation struct {
	Integration Integration
	// Settings is the first settings version.
	Settings SettingsVersion
	Audit    AuditEntry
	// Idempotency is the record of the request's Idempotency-Key, or nil.
	Idempotency *IdempotencyRecord
}

// DeliveryState is everything the SDK config endpoint serves: every
// integration with its current settings, at a revision.
type DeliveryState struct {
	Revision     int64
	Integrations []IntegrationSettings
}

// IntegrationSettings is an integration with its current settings
// version; Settings is the zero SettingsVersion for an integration with
// no version.
type IntegrationSettings struct {
	Integration Integration
	Settings    SettingsVersion
}
