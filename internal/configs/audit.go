package configs

import (
	"encoding/json"
	"time"
)

// AuditAction names what an audit entry records.
type AuditAction string

// The audited actions.
const (
	ActionIntegrationCreated AuditAction = "integration.created"
	ActionIntegrationUpdated AuditAction = "integration.updated"
	ActionIntegrationDeleted AuditAction = "integration.deleted"
	ActionSettingsChanged    AuditAction = "settings.changed"
	ActionSettingsRestored   AuditAction = "settings.restored"
	ActionDeliveryKeyRotated AuditAction = "delivery_key.rotated"
	// ActionStatusChanged is an update that changed the status and
	// nothing else; an update of more fields is ActionIntegrationUpdated,
	// its diff showing the status with the rest.
	ActionStatusChanged AuditAction = "status.changed"
)

// Valid reports whether a is one of the actions.
func (a AuditAction) Valid() bool {
	switch a {
	case ActionIntegrationCreated, ActionIntegrationUpdated, ActionIntegrationDeleted, ActionSettingsChanged,
		ActionSettingsRestored, ActionDeliveryKeyRotated, ActionStatusChanged:
		return true
	}
	return false
}

// MaxAuditMessageLen bounds the message of an audit entry.
const MaxAuditMessageLen = MaxVersionMessageLen

// Actor is who made a change: the principal's kind and ID, and the
// outside credential it used.
type Actor struct {
	// Kind is "user", "client" or "api_key".
	Kind string
	// ID is the identity, client or API key.
	ID string
	// CredentialID is the session, API key or access token, or empty.
	CredentialID string
	// Staff is true when a person of the operator's staff made the change
	// in an organization they are not a member of. Staff act as
	// themselves, never as a member: this says the change was theirs, as
	// staff.
	Staff bool
}

// AuditEntry records one change to an organization's integrations,
// written in the same transaction as the change.
type AuditEntry struct {
	// ID is from NewAuditID.
	ID    string
	OrgID string
	// IntegrationID is the integration changed.
	IntegrationID string
	Actor         Actor
	Action        AuditAction
	// Message says why: the version message of a settings change, or what
	// the service wrote ("restored version 3").
	Message string
	// Diff is the change as an RFC 6902 JSON Patch from the state before
	// to the state after: of the settings document for settings changes,
	// of the integration's fields otherwise. "[]" when nothing changed.
	Diff      json.RawMessage
	CreatedAt time.Time
}

// Validate returns an *Error of code ErrInvalid naming the first field of
// e that is malformed, or nil.
func (e AuditEntry) Validate() error {
	switch {
	case !ValidAuditID(e.ID):
		return invalid("audit entry id is malformed")
	case !ValidForeignID(e.OrgID):
		return invalid("organization id is malformed")
	case !ValidIntegrationID(e.IntegrationID):
		return invalid("integration id is malformed")
	case e.Actor.Kind == "" || !ValidForeignID(e.Actor.Kind) || !ValidForeignID(e.Actor.ID):
		return invalid("actor is malformed")
	case len(e.Actor.CredentialID) > MaxIdentityIDLen || !printable(e.Actor.CredentialID):
		return invalid("actor credential is malformed")
	case !e.Action.Valid():
		return invalid("audit action is unknown")
	case len(e.Message) > MaxAuditMessageLen || !printable(e.Message):
		return invalid("message must be at most 1000 bytes of printable text")
	case !isJSONArray(e.Diff):
		return invalid("diff must be a JSON array")
	case e.CreatedAt.IsZero():
		return invalid("time must be set")
	}
	return nil
}

func isJSONArray(b []byte) bool {
	var v []json.RawMessage
	return json.Unmarshal(b, &v) == nil && v != nil
}
