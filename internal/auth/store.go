package auth

import (
	"context"
	"time"
)

// Store keeps the auth service's records. Implementations return the
// sentinel errors ErrNotFound, ErrConflict and ErrInvalid (wrapped or not)
// for the cases each method names, store times in UTC truncated to
// microseconds, and never store a secret in clear: only hashes of tokens
// and API key secrets reach them.
//
// Lists are ordered newest first by (creation time, ID) and paginated with
// PageRequest; a malformed cursor is ErrInvalid.
type Store interface {
	// CreateIdentity stores a new identity, with EmailNorm computed from
	// Email, and returns it as stored. ErrInvalid if it fails
	// Identity.Validate; ErrConflict if its ID or normalised e-mail is
	// taken.
	CreateIdentity(ctx context.Context, i Identity) (Identity, error)
	// GetIdentity returns the identity with the given ID, or ErrNotFound.
	GetIdentity(ctx context.Context, id string) (Identity, error)
	// GetIdentityByEmail returns the identity whose e-mail address equals
	// email ignoring case, or ErrNotFound.
	GetIdentityByEmail(ctx context.Context, email string) (Identity, error)
	// UpdatePasswordHash replaces an identity's password hash and sets
	// UpdatedAt to at. ErrNotFound if there is no such identity.
	UpdatePasswordHash(ctx context.Context, id, passwordHash string, at time.Time) error
	// SetIdentityStatus changes an identity's status and sets UpdatedAt to
	// at. ErrInvalid for an unknown status; ErrNotFound if there is no such
	// identity.
	SetIdentityStatus(ctx context.Context, id string, status IdentityStatus, at time.Time) error
	// ListIdentities returns one page of all identities.
	ListIdentities(ctx context.Context, page PageRequest) (Page[Identity], error)

	// CreateSession stores a new session and returns it as stored.
	// ErrInvalid if it fails Session.Validate; ErrNotFound if its identity
	// does not exist; ErrConflict if its ID or token hash is taken.
	CreateSession(ctx context.Context, s Session) (Session, error)
	// GetSessionByTokenHash returns the session with the given token hash,
	// revoked and expired ones included (the caller decides with
	// Session.Active), or ErrNotFound.
	GetSessionByTokenHash(ctx context.Context, tokenHash []byte) (Session, error)
	// TouchSession records use of a session: LastSeenAt becomes lastSeen
	// unless it is already later, and IdleExpiresAt becomes idleExpiresAt,
	// capped at the session's ExpiresAt. ErrNotFound if the session does
	// not exist, is revoked, or was no longer active at lastSeen.
	TouchSession(ctx context.Context, id string, lastSeen, idleExpiresAt time.Time) error
	// RevokeSession marks a session revoked at at; revoking it again keeps
	// the first time. ErrNotFound if there is no such session.
	RevokeSession(ctx context.Context, id string, at time.Time) error
	// RevokeIdentitySessions revokes every unrevoked session of an identity
	// and returns how many it revoked.
	RevokeIdentitySessions(ctx context.Context, identityID string, at time.Time) (int64, error)
	// ListActiveSessions returns one page of an identity's sessions that
	// are active at now (see Session.Active).
	ListActiveSessions(ctx context.Context, identityID string, now time.Time, page PageRequest) (Page[Session], error)

	// CreateAPIKey stores a new API key and returns it as stored.
	// ErrInvalid if it fails APIKey.Validate; ErrNotFound if its creating
	// identity does not exist; ErrConflict if its ID is taken.
	CreateAPIKey(ctx context.Context, k APIKey) (APIKey, error)
	// GetAPIKey returns the API key with the given lookup ID, revoked and
	// expired ones included (see APIKey.Active), or ErrNotFound.
	GetAPIKey(ctx context.Context, id string) (APIKey, error)
	// ListAPIKeys returns one page of an organization's API keys, revoked
	// ones included.
	ListAPIKeys(ctx context.Context, orgID string, page PageRequest) (Page[APIKey], error)
	// RevokeAPIKey marks an organization's API key revoked at at; revoking
	// it again keeps the first time. ErrNotFound if the organization has
	// no such key.
	RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time) error
	// TouchAPIKey sets an API key's LastUsedAt to at unless it is already
	// later. ErrNotFound if there is no such key.
	TouchAPIKey(ctx context.Context, id string, at time.Time) error

	// AppendAuditEvent stores an audit event and returns it as stored.
	// ErrInvalid if it fails AuditEvent.Validate; ErrConflict if its ID is
	// taken.
	AppendAuditEvent(ctx context.Context, e AuditEvent) (AuditEvent, error)
	// ListAuditEvents returns one page of an organization's audit events;
	// orgID "" lists the events outside any organization.
	ListAuditEvents(ctx context.Context, orgID string, page PageRequest) (Page[AuditEvent], error)
}
