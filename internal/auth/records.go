package auth

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ID prefixes of the records kept by the service's flows.
const (
	LoginChallengeIDPrefix = "chl_"
	ClientIDPrefix         = "cli_"
	RefreshTokenIDPrefix   = "rft_"
	PasswordResetIDPrefix  = "rst_"
)

// Limits on client records.
const (
	MaxClientNameLen = 100 // bytes of Client.Name
	MaxAccountKeyLen = 254 // bytes of an account key: a normalised e-mail address tried, known or not
)

// MaxThrottleKeyLen bounds ThrottleCounter.Key: a prefix, an address and
// an account key of MaxAccountKeyLen bytes fit.
const MaxThrottleKeyLen = 320

// ThrottleCounter is the sign-in throttling state of one key: an
// (account, address) pair, an address, an account, an identity's second
// factor or an identity's challenges (see ThrottleOptions). Attempts are
// counted before they are checked; a counter with no attempt left to count
// is the zero value but for Key.
type ThrottleCounter struct {
	// Key names what is counted; see the service's throttle keys.
	Key string
	// Count is the number of attempts counted since the counter was last
	// reset.
	Count int
	// Since is when the first of them was counted, Last the latest.
	Since, Last time.Time
	// Until is when the next attempt may be admitted; zero when it may
	// be at once.
	Until time.Time
}

// Validate returns an error wrapping ErrInvalid if c cannot be stored.
func (c ThrottleCounter) Validate() error {
	switch {
	case c.Key == "" || len(c.Key) > MaxThrottleKeyLen || !utf8.ValidString(c.Key) || strings.ContainsRune(c.Key, 0):
		return fmt.Errorf("throttle key must be 1 to %d bytes of UTF-8 without NUL: %w", MaxThrottleKeyLen, ErrInvalid)
	case c.Count < 0:
		return fmt.Errorf("throttle count must not be negative: %w", ErrInvalid)
	}
	return nil
}

// LoginChallenge is a sign-in whose password was right and that waits for
// its second factor. Its opaque token is given to the client, which sends
// it back with the code; only the token's hash is stored.
type LoginChallenge struct {
	// ID has prefix LoginChallengeIDPrefix.
	ID         string
	IdentityID string
	// TokenHash is HashToken of the challenge token.
	TokenHash []byte
	// IP and UserAgent describe the client that gave the password; the
	// session made when the challenge is met records them.
	IP        string
	UserAgent string
	CreatedAt time.Time
	ExpiresAt time.Time
	// Attempts counts wrong codes sent for the challenge.
	Attempts int
	// UsedAt is when the challenge was met, or nil.
	UsedAt *time.Time
}

// Validate returns an error wrapping ErrInvalid if c cannot be stored.
func (c LoginChallenge) Validate() error {
	switch {
	case !ValidID(LoginChallengeIDPrefix, c.ID):
		return fmt.Errorf("login challenge id %q: %w", c.ID, ErrInvalid)
	case !ValidID(IdentityIDPrefix, c.IdentityID):
		return fmt.Errorf("login challenge identity id %q: %w", c.IdentityID, ErrInvalid)
	case len(c.TokenHash) != TokenHashLen:
		return fmt.Errorf("login challenge token hash must be %d bytes: %w", TokenHashLen, ErrInvalid)
	case c.CreatedAt.IsZero() || !c.ExpiresAt.After(c.CreatedAt):
		return fmt.Errorf("login challenge times: %w", ErrInvalid)
	case len(c.UserAgent) > MaxUserAgentLen || !utf8.ValidString(c.UserAgent):
		return fmt.Errorf("login challenge user agent: %w", ErrInvalid)
	case c.Attempts != 0 || c.UsedAt != nil:
		return fmt.Errorf("a new login challenge cannot be attempted or used: %w", ErrInvalid)
	}
	return validateIP(c.IP)
}

// TOTPCredential is an identity's TOTP authenticator.
type TOTPCredential struct {
	IdentityID string
	// Secret is the sealed shared secret (see SecretBox); never the
	// secret in clear unless the service runs without a secret key.
	Secret    string
	CreatedAt time.Time
	// ConfirmedAt is when the identity proved it holds the secret by
	// sending a code; an unconfirmed credential is not used at sign-in.
	ConfirmedAt *time.Time
	// LastStep is the last TOTP time step accepted, so a code cannot be
	// used twice.
	LastStep int64
}

// Client is a machine client of an organization, authenticating with a
// client ID and secret (OAuth 2.0 client credentials).
type Client struct {
	// ID has prefix ClientIDPrefix; it is the OAuth client_id.
	ID    string
	OrgID string
	Name  string
	// SecretHash is HashToken of the client secret.
	SecretHash []byte
	// Scopes are the most the client may ask for.
	Scopes []string
	// RefreshTokens says whether token responses carry a refresh token.
	RefreshTokens bool
	// CreatedBy is the identity that made the client.
	CreatedBy string
	CreatedAt time.Time
	RevokedAt *time.Time
}

// Active reports whether the client may authenticate.
func (c Client) Active() bool { return c.RevokedAt == nil }

// Validate returns an error wrapping ErrInvalid if c cannot be stored.
func (c Client) Validate() error {
	switch {
	case !ValidID(ClientIDPrefix, c.ID):
		return fmt.Errorf("client id %q: %w", c.ID, ErrInvalid)
	case !ValidID(IdentityIDPrefix, c.CreatedBy):
		return fmt.Errorf("client creator %q: %w", c.CreatedBy, ErrInvalid)
	case len(c.SecretHash) != TokenHashLen:
		return fmt.Errorf("client secret hash must be %d bytes: %w", TokenHashLen, ErrInvalid)
	case c.Name == "" || len(c.Name) > MaxClientNameLen || !utf8.ValidString(c.Name):
		return NewError(ErrInvalid, "name must be 1 to %d bytes of UTF-8", MaxClientNameLen)
	case c.CreatedAt.IsZero():
		return fmt.Errorf("client creation time must be set: %w", ErrInvalid)
	case c.RevokedAt != nil:
		return fmt.Errorf("a new client cannot be revoked: %w", ErrInvalid)
	}
	if err := validateOrgID(c.OrgID, false); err != nil {
		return err
	}
	return ValidateScopes(c.Scopes)
}

// RefreshToken is one link of a rotation chain. Each use replaces it by a
// successor of the same family; only token hashes are stored.
type RefreshToken struct {
	// ID has prefix RefreshTokenIDPrefix.
	ID string
	// FamilyID is the ID of the first token of the chain.
	FamilyID string
	ClientID string
	// Subject is who the tokens act for (the client ID for client
	// credentials).
	Subject string
	Scopes  []string
	// Audiences are the access tokens' audiences the family was first
	// issued with; empty for a family from before there was a choice,
	// which gets the default audience.
	Audiences []string
	TokenHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	// UsedAt is when the token was exchanged for its successor, or nil.
	UsedAt *time.Time
	// SuccessorNonce, set when the token is used, derives the successor's
	// token from this one (see the service), so a concurrent retry within
	// the grace window gets the same successor. Empty until used.
	SuccessorNonce []byte
	// RevokedAt is when the token (with its family) was revoked, or nil.
	RevokedAt *time.Time
}

// Validate returns an error wrapping ErrInvalid if t cannot be stored as a
// new token.
func (t RefreshToken) Validate() error {
	switch {
	case !ValidID(RefreshTokenIDPrefix, t.ID) || !ValidID(RefreshTokenIDPrefix, t.FamilyID):
		return fmt.Errorf("refresh token id %q family %q: %w", t.ID, t.FamilyID, ErrInvalid)
	case !ValidID(ClientIDPrefix, t.ClientID):
		return fmt.Errorf("refresh token client %q: %w", t.ClientID, ErrInvalid)
	case t.Subject == "" || len(t.Subject) > MaxActorIDLen || !isToken(t.Subject, idAlphabet):
		return fmt.Errorf("refresh token subject %q: %w", t.Subject, ErrInvalid)
	case len(t.TokenHash) != TokenHashLen:
		return fmt.Errorf("refresh token hash must be %d bytes: %w", TokenHashLen, ErrInvalid)
	case t.CreatedAt.IsZero() || !t.ExpiresAt.After(t.CreatedAt):
		return fmt.Errorf("refresh token times: %w", ErrInvalid)
	case t.UsedAt != nil || t.RevokedAt != nil || len(t.SuccessorNonce) != 0:
		return fmt.Errorf("a new refresh token cannot be used or revoked: %w", ErrInvalid)
	case slices.Contains(t.Audiences, ""):
		return fmt.Errorf("refresh token audience empty: %w", ErrInvalid)
	}
	return ValidateScopes(t.Scopes)
}

// PasswordReset is one password reset request and its single-use code,
// sent by mail. Every request is recorded the same way, whether or not an
// identity has the address, so that a request costs the same either way
// and the limits can count them; only a code with an identity that was
// not suppressed can ever work.
type PasswordReset struct {
	// ID has prefix PasswordResetIDPrefix.
	ID string
	// IdentityID is the identity whose password the code resets, or empty
	// when no identity has the address asked for.
	IdentityID string
	// Account is the normalised address asked for (see NormalizeEmail),
	// at most MaxAccountKeyLen bytes.
	Account string
	// IP is the client address, or empty when unknown.
	IP        string
	TokenHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	// Suppressed is true for a request over the per-address limit: nothing
	// was mailed and the code never works. It still counts towards the
	// client address's limit.
	Suppressed bool
}

// Validate returns an error wrapping ErrInvalid if r cannot be stored.
func (r PasswordReset) Validate() error {
	switch {
	case !ValidID(PasswordResetIDPrefix, r.ID):
		return fmt.Errorf("password reset id %q: %w", r.ID, ErrInvalid)
	case r.IdentityID != "" && !ValidID(IdentityIDPrefix, r.IdentityID):
		return fmt.Errorf("password reset identity %q: %w", r.IdentityID, ErrInvalid)
	case r.Account == "" || len(r.Account) > MaxAccountKeyLen || !utf8.ValidString(r.Account):
		return fmt.Errorf("password reset account must be 1 to %d bytes of UTF-8: %w", MaxAccountKeyLen, ErrInvalid)
	case validateIP(r.IP) != nil:
		return validateIP(r.IP)
	case len(r.TokenHash) != TokenHashLen:
		return fmt.Errorf("password reset token hash must be %d bytes: %w", TokenHashLen, ErrInvalid)
	case r.CreatedAt.IsZero() || !r.ExpiresAt.After(r.CreatedAt):
		return fmt.Errorf("password reset times: %w", ErrInvalid)
	case r.UsedAt != nil:
		return fmt.Errorf("a new password reset cannot be used: %w", ErrInvalid)
	}
	return nil
}

// PasswordResetStats counts recent password reset requests for the limits
// of ResetLimitOptions.
type PasswordResetStats struct {
	// Account counts the unsuppressed requests for one address.
	Account int
	// IP counts every request from one client address, and IPOldest is
	// when the oldest of them was made (zero when IP is 0).
	IP       int
	IPOldest time.Time
}
