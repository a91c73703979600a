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
	// CreateIdentityIdempotent stores a new identity, as CreateIdentity
	// does, and the idempotency record of the request that made it, both or
	// neither. ErrInvalid if either fails its Validate; ErrConflict if the
	// identity's ID or normalised e-mail is taken or a record with the same
	// scope and key has not expired at r.CreatedAt (an expired one is
	// replaced).
	CreateIdentityIdempotent(ctx context.Context, i Identity, r IdempotencyRecord) (Identity, error)
	// GetIdempotencyRecord returns the record of a scope and key that has
	// not expired at now, or ErrNotFound.
	GetIdempotencyRecord(ctx context.Context, scope, key string, now time.Time) (IdempotencyRecord, error)
	// PruneIdempotencyRecords deletes the records expired at before and
	// returns how many it deleted.
	PruneIdempotencyRecords(ctx context.Context, before time.Time) (int64, error)

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

	// GetSession returns the session with the given ID, revoked and
	// expired ones included, or ErrNotFound.
	GetSession(ctx context.Context, id string) (Session, error)
	// GetActiveSession returns the session with the given ID if it is
	// active at now (see Session.Active) and its identity is active;
	// otherwise, or if there is no such session, ErrNotFound. It is the
	// check behind every request authenticated by an internal token, so
	// one lookup by primary key answers it.
	GetActiveSession(ctx context.Context, id string, now time.Time) (Session, error)

	// UpdateThrottleCounters reads the sign-in throttling counters of keys,
	// in the order of keys (a counter never stored reads as zero but for
	// its Key), passes them to update, and stores the counters update
	// returns, atomically: no other UpdateThrottleCounters of any of these
	// keys, on any replica sharing the database, runs between the read and
	// the write. That is what lets the service count an attempt before it
	// checks the password or code, so that concurrent attempts cannot all
	// pass one check. When update returns an error nothing is stored and
	// that error is returned, wrapped. ErrInvalid for no keys, an empty,
	// duplicate or over-long key (see ThrottleCounter.Validate), or a
	// counter update returns that is invalid or not of one of the keys.
	UpdateThrottleCounters(ctx context.Context, keys []string, update func([]ThrottleCounter) ([]ThrottleCounter, error)) error
	// PruneThrottleCounters deletes the counters whose Last and Until are
	// both before before and returns how many it deleted.
	PruneThrottleCounters(ctx context.Context, before time.Time) (int64, error)

	// CreateLoginChallenge stores a pending second-factor sign-in.
	// ErrInvalid if it fails LoginChallenge.Validate; ErrNotFound if its
	// identity does not exist; ErrConflict if its ID or token hash is taken.
	CreateLoginChallenge(ctx context.Context, c LoginChallenge) (LoginChallenge, error)
	// GetLoginChallenge returns the challenge with the given token hash,
	// used and expired ones included, or ErrNotFound.
	GetLoginChallenge(ctx context.Context, tokenHash []byte) (LoginChallenge, error)
	// FailLoginChallenge adds one to a challenge's Attempts and returns the
	// new count. ErrNotFound if there is no such unused challenge.
	FailLoginChallenge(ctx context.Context, id string) (int, error)
	// UseLoginChallenge marks a challenge used at at. ErrNotFound unless
	// the challenge exists, is unused and has not expired at at, so two
	// concurrent uses cannot both succeed.
	UseLoginChallenge(ctx context.Context, id string, at time.Time) error

	// PutTOTP stores a new, unconfirmed TOTP credential, replacing an
	// unconfirmed one. ErrConflict if the identity has a confirmed one;
	// ErrNotFound if the identity does not exist.
	PutTOTP(ctx context.Context, c TOTPCredential) error
	// GetTOTP returns an identity's TOTP credential, or ErrNotFound.
	GetTOTP(ctx context.Context, identityID string) (TOTPCredential, error)
	// ConfirmTOTP marks an identity's credential confirmed at at and
	// records step as used. ErrNotFound if there is no unconfirmed one.
	ConfirmTOTP(ctx context.Context, identityID string, step int64, at time.Time) error
	// UseTOTPStep records step as the last used time step. ErrConflict if
	// step is not after the last used one (a replayed code); ErrNotFound if
	// there is no confirmed credential.
	UseTOTPStep(ctx context.Context, identityID string, step int64) error
	// DeleteTOTP removes an identity's TOTP credential and recovery codes.
	// ErrNotFound if there is no credential.
	DeleteTOTP(ctx context.Context, identityID string) error
	// ReplaceRecoveryCodes replaces an identity's recovery codes by the
	// given hashes (each TokenHashLen bytes). ErrInvalid for a bad hash.
	ReplaceRecoveryCodes(ctx context.Context, identityID string, hashes [][]byte, at time.Time) error
	// UseRecoveryCode marks the identity's unused code with the given hash
	// used at at. ErrNotFound if there is no such unused code.
	UseRecoveryCode(ctx context.Context, identityID string, hash []byte, at time.Time) error
	// CountRecoveryCodes returns how many unused recovery codes an identity
	// has.
	CountRecoveryCodes(ctx context.Context, identityID string) (int, error)

	// CreateClient stores a new machine client and returns it as stored.
	// ErrInvalid if it fails Client.Validate; ErrConflict if its ID is
	// taken.
	CreateClient(ctx context.Context, c Client) (Client, error)
	// GetClient returns the client with the given ID, revoked ones
	// included, or ErrNotFound.
	GetClient(ctx context.Context, id string) (Client, error)
	// ListClients returns one page of an organization's clients, revoked
	// ones included.
	ListClients(ctx context.Context, orgID string, page PageRequest) (Page[Client], error)
	// RevokeClient marks an organization's client revoked at at and revokes
	// its refresh tokens; revoking it again keeps the first time.
	// ErrNotFound if the organization has no such client.
	RevokeClient(ctx context.Context, orgID, id string, at time.Time) error

	// CreateRefreshToken stores the first token of a new family.
	// ErrInvalid if it fails RefreshToken.Validate; ErrNotFound if its
	// client does not exist; ErrConflict if its ID or hash is taken.
	CreateRefreshToken(ctx context.Context, t RefreshToken) (RefreshToken, error)
	// GetRefreshToken returns the token with the given hash, used, revoked
	// and expired ones included, or ErrNotFound.
	GetRefreshToken(ctx context.Context, tokenHash []byte) (RefreshToken, error)
	// RotateRefreshToken atomically marks the token oldID used at
	// next.CreatedAt with the given successor nonce and stores next, its
	// successor. ErrConflict if oldID is already used or revoked (another
	// rotation won); ErrNotFound if there is no such token.
	RotateRefreshToken(ctx context.Context, oldID string, nonce []byte, next RefreshToken) error
	// RevokeRefreshFamily revokes every token of a family and returns how
	// many it revoked.
	RevokeRefreshFamily(ctx context.Context, familyID string, at time.Time) (int64, error)

	// RevokeAccessToken records that the access token with the given JWT
	// ID is revoked; the record may be pruned after expiresAt.
	RevokeAccessToken(ctx context.Context, jti string, expiresAt time.Time) error
	// AccessTokenRevoked reports whether the access token with the given
	// JWT ID was revoked.
	AccessTokenRevoked(ctx context.Context, jti string) (bool, error)

	// CreatePasswordReset stores a new password reset request, with or
	// without an identity. ErrInvalid if it fails PasswordReset.Validate;
	// ErrNotFound if it names an identity that does not exist; ErrConflict
	// if its ID or token hash is taken.
	CreatePasswordReset(ctx context.Context, r PasswordReset) (PasswordReset, error)
	// PasswordResetStats counts the requests made at or after since: the
	// unsuppressed ones for account, and all of them from ip with the time
	// of the oldest.
	PasswordResetStats(ctx context.Context, account, ip string, since time.Time) (PasswordResetStats, error)
	// CompletePasswordReset, all or nothing: marks the reset with the given
	// token hash used at at, marks every other unused reset of its identity
	// used too, replaces the identity's password hash (UpdatedAt becomes
	// at) and revokes every session of the identity; it returns the reset.
	// ErrNotFound unless the reset exists, has an identity, is unused,
	// unsuppressed and unexpired at at, and its identity is active, so a
	// code works once and never for a disabled identity, even one disabled
	// concurrently. ErrInvalid for a password hash over MaxPasswordHashLen.
	CompletePasswordReset(ctx context.Context, tokenHash []byte, passwordHash string, at time.Time) (PasswordReset, error)
	// BurnPasswordResets marks every unused reset of an identity used at
	// at, so no code mailed before then works, and returns how many.
	BurnPasswordResets(ctx context.Context, identityID string, at time.Time) (int64, error)
	// PrunePasswordResets deletes the resets created before before, used
	// or not, and returns how many it deleted.
	PrunePasswordResets(ctx context.Context, before time.Time) (int64, error)
}
