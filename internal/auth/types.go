package auth

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on the free-form fields of stored records. Stores reject longer
// values with ErrInvalid; the service truncates client-supplied ones (such
// as a User-Agent header) before storing them.
const (
	MaxUserAgentLen    = 512  // bytes of Session.UserAgent
	MaxAPIKeyNameLen   = 100  // bytes of APIKey.Name
	MaxOrgIDLen        = 64   // bytes of an organization ID
	MaxActorIDLen      = 64   // bytes of AuditEvent.ActorID
	MaxScopes          = 32   // entries in APIKey.Scopes
	MaxScopeLen        = 64   // bytes of one scope
	MaxAuditKindLen    = 64   // bytes of AuditEvent.Kind
	MaxAuditDetailKeys = 32   // entries in AuditEvent.Detail
	MaxAuditDetailKey  = 64   // bytes of one AuditEvent.Detail key
	MaxAuditDetailVal  = 1024 // bytes of one AuditEvent.Detail value
	MaxPasswordHashLen = 256  // bytes of Identity.PasswordHash
)

// IdentityStatus says whether an identity may sign in.
type IdentityStatus string

// The identity statuses.
const (
	StatusActive   IdentityStatus = "active"
	StatusDisabled IdentityStatus = "disabled"
)

// Valid reports whether s is one of the defined statuses.
func (s IdentityStatus) Valid() bool { return s == StatusActive || s == StatusDisabled }

// Identity is a person (or a service account) that can sign in.
type Identity struct {
	// ID is the identity's ID, with prefix IdentityIDPrefix.
	ID string
	// Email is the address as the person gave it.
	Email string
	// EmailNorm is NormalizeEmail(Email), unique among identities. Stores
	// compute it from Email; a value set by the caller is ignored.
	EmailNorm string
	// Status says whether the identity may sign in.
	Status IdentityStatus
	// PasswordHash is the argon2id PHC string of the password, or empty
	// when the identity has no password (it cannot sign in with one).
	PasswordHash string
	// CreatedAt and UpdatedAt are UTC instants with microsecond precision.
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate returns an error wrapping ErrInvalid if i cannot be stored.
func (i Identity) Validate() error {
	switch {
	case !ValidID(IdentityIDPrefix, i.ID):
		return fmt.Errorf("identity id %q: %w", i.ID, ErrInvalid)
	case !i.Status.Valid():
		return fmt.Errorf("identity status %q: %w", i.Status, ErrInvalid)
	case len(i.PasswordHash) > MaxPasswordHashLen:
		return fmt.Errorf("password hash longer than %d bytes: %w", MaxPasswordHashLen, ErrInvalid)
	case i.CreatedAt.IsZero() || i.UpdatedAt.IsZero():
		return fmt.Errorf("identity timestamps must be set: %w", ErrInvalid)
	}
	return ValidateEmail(i.Email)
}

// Session is a browser session, identified by an opaque token of which
// only the SHA-256 hash is stored.
type Session struct {
	// ID is the session's ID, with prefix SessionIDPrefix. It is not a
	// secret and may be shown to its owner (to revoke it, say).
	ID string
	// IdentityID is the signed-in identity.
	IdentityID string
	// TokenHash is HashToken of the session token, 32 bytes.
	TokenHash []byte
	// CreatedAt is when the session began; LastSeenAt when it was last used.
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end of the session, however active it is.
	ExpiresAt time.Time
	// IdleExpiresAt is when the session ends unless it is used again; it
	// never lies after ExpiresAt.
	IdleExpiresAt time.Time
	// UserAgent and IP describe the client that signed in; either may be
	// empty.
	UserAgent string
	IP        string
	// RevokedAt is when the session was revoked, or nil if it was not.
	RevokedAt *time.Time
}

// Active reports whether the session can be used at now: not revoked and
// past neither its absolute nor its idle expiry.
func (s Session) Active(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt) && now.Before(s.IdleExpiresAt)
}

// Validate returns an error wrapping ErrInvalid if s cannot be stored.
func (s Session) Validate() error {
	switch {
	case !ValidID(SessionIDPrefix, s.ID):
		return fmt.Errorf("session id %q: %w", s.ID, ErrInvalid)
	case !ValidID(IdentityIDPrefix, s.IdentityID):
		return fmt.Errorf("session identity id %q: %w", s.IdentityID, ErrInvalid)
	case len(s.TokenHash) != TokenHashLen:
		return fmt.Errorf("session token hash must be %d bytes: %w", TokenHashLen, ErrInvalid)
	case s.CreatedAt.IsZero() || s.LastSeenAt.IsZero() || s.ExpiresAt.IsZero() || s.IdleExpiresAt.IsZero():
		return fmt.Errorf("session timestamps must be set: %w", ErrInvalid)
	case !s.ExpiresAt.After(s.CreatedAt):
		return fmt.Errorf("session expires before it begins: %w", ErrInvalid)
	case s.IdleExpiresAt.After(s.ExpiresAt):
		return fmt.Errorf("session idle expiry after its absolute expiry: %w", ErrInvalid)
	case len(s.UserAgent) > MaxUserAgentLen || !utf8.ValidString(s.UserAgent):
		return fmt.Errorf("session user agent must be valid UTF-8 of at most %d bytes: %w", MaxUserAgentLen, ErrInvalid)
	case s.RevokedAt != nil:
		return fmt.Errorf("a new session cannot be revoked: %w", ErrInvalid)
	}
	return validateIP(s.IP)
}

// APIKey is a long-lived credential of an organization for scripts and
// machines. Only the SHA-256 hash of its secret is stored.
type APIKey struct {
	// ID is the public lookup ID embedded in the key, with prefix
	// APIKeyIDPrefix.
	ID string
	// OrgID is the organization the key acts for.
	OrgID string
	// IdentityID is the identity that created the key.
	IdentityID string
	// Name is a label chosen by its creator.
	Name string
	// SecretHash is the SHA-256 of the key's secret part, 32 bytes.
	SecretHash []byte
	// Scopes are the permissions granted to the key; empty grants none.
	Scopes []string
	// CreatedAt is when the key was made.
	CreatedAt time.Time
	// ExpiresAt is when the key stops working, or nil if it never expires.
	ExpiresAt *time.Time
	// LastUsedAt is when the key last authenticated a request, or nil.
	LastUsedAt *time.Time
	// RevokedAt is when the key was revoked, or nil if it was not.
	RevokedAt *time.Time
}

// Active reports whether the key can be used at now: not revoked and not
// expired.
func (k APIKey) Active(now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}

// Validate returns an error wrapping ErrInvalid if k cannot be stored.
func (k APIKey) Validate() error {
	switch {
	case !ValidID(APIKeyIDPrefix, k.ID):
		return fmt.Errorf("api key id %q: %w", k.ID, ErrInvalid)
	case !ValidID(IdentityIDPrefix, k.IdentityID):
		return fmt.Errorf("api key identity id %q: %w", k.IdentityID, ErrInvalid)
	case len(k.SecretHash) != TokenHashLen:
		return fmt.Errorf("api key secret hash must be %d bytes: %w", TokenHashLen, ErrInvalid)
	case k.Name == "" || len(k.Name) > MaxAPIKeyNameLen || !utf8.ValidString(k.Name):
		return NewError(ErrInvalid, "name must be 1 to %d bytes of UTF-8", MaxAPIKeyNameLen)
	case k.CreatedAt.IsZero():
		return fmt.Errorf("api key creation time must be set: %w", ErrInvalid)
	case k.ExpiresAt != nil && !k.ExpiresAt.After(k.CreatedAt):
		return fmt.Errorf("api key expires before it is created: %w", ErrInvalid)
	case k.LastUsedAt != nil || k.RevokedAt != nil:
		return fmt.Errorf("a new api key cannot be used or revoked: %w", ErrInvalid)
	}
	if err := validateOrgID(k.OrgID, false); err != nil {
		return err
	}
	return ValidateScopes(k.Scopes)
}

// ValidateScopes returns an *Error of ErrInvalid unless scopes has at most
// MaxScopes distinct entries, each 1 to MaxScopeLen bytes of lower-case
// letters, digits and ":._-".
func ValidateScopes(scopes []string) error {
	if len(scopes) > MaxScopes {
		return NewError(ErrInvalid, "at most %d scopes", MaxScopes)
	}
	seen := make(map[string]bool, len(scopes))
	for _, s := range scopes {
		if s == "" || len(s) > MaxScopeLen || !isToken(s, "abcdefghijklmnopqrstuvwxyz0123456789:._-") {
			return NewError(ErrInvalid, "each scope must be 1 to %d bytes of lower-case letters, digits and \":._-\"", MaxScopeLen)
		}
		if seen[s] {
			return NewError(ErrInvalid, "scopes must not repeat")
		}
		seen[s] = true
	}
	return nil
}

// AuditEvent records something security-relevant that happened.
type AuditEvent struct {
	// ID is the event's ID, with prefix AuditEventIDPrefix.
	ID string
	// At is when it happened.
	At time.Time
	// OrgID is the organization the event concerns, or empty for events
	// outside any organization (a failed sign-in, say).
	OrgID string
	// ActorID is who caused the event (an identity or API key ID), or empty
	// when the actor is unknown.
	ActorID string
	// Kind names what happened, such as "session.created".
	Kind string
	// IP is the client address, or empty.
	IP string
	// Detail holds further facts; never secrets.
	Detail map[string]string
}

// Validate returns an error wrapping ErrInvalid if e cannot be stored.
func (e AuditEvent) Validate() error {
	switch {
	case !ValidID(AuditEventIDPrefix, e.ID):
		return fmt.Errorf("audit event id %q: %w", e.ID, ErrInvalid)
	case e.At.IsZero():
		return fmt.Errorf("audit event time must be set: %w", ErrInvalid)
	case e.Kind == "" || len(e.Kind) > MaxAuditKindLen || !isToken(e.Kind, "abcdefghijklmnopqrstuvwxyz0123456789._-"):
		return fmt.Errorf("audit event kind %q: %w", e.Kind, ErrInvalid)
	case len(e.ActorID) > MaxActorIDLen || !isToken(e.ActorID, idAlphabet):
		return fmt.Errorf("audit event actor %q: %w", e.ActorID, ErrInvalid)
	case len(e.Detail) > MaxAuditDetailKeys:
		return fmt.Errorf("audit event has more than %d details: %w", MaxAuditDetailKeys, ErrInvalid)
	}
	for k, v := range e.Detail {
		if k == "" || len(k) > MaxAuditDetailKey || len(v) > MaxAuditDetailVal || !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("audit detail %q: %w", k, ErrInvalid)
		}
	}
	if err := validateOrgID(e.OrgID, true); err != nil {
		return err
	}
	return validateIP(e.IP)
}

// idAlphabet is what organization and actor IDs may contain.
const idAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"

func validateOrgID(id string, emptyOK bool) error {
	if (id == "" && !emptyOK) || len(id) > MaxOrgIDLen || !isToken(id, idAlphabet) {
		return fmt.Errorf("organization id %q: %w", id, ErrInvalid)
	}
	return nil
}

func validateIP(ip string) error {
	if ip == "" {
		return nil
	}
	if a, err := netip.ParseAddr(ip); err != nil || a.Zone() != "" {
		return fmt.Errorf("ip %q: %w", ip, ErrInvalid)
	}
	return nil
}

// isToken reports whether every byte of s is in alphabet.
func isToken(s, alphabet string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(alphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}
