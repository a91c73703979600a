package auth

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// ID prefixes of the records kept by the service's flows.
const (
	LoginFailureIDPrefix   = "lgf_"
	LoginChallengeIDPrefix = "chl_"
	ClientIDPrefix         = "cli_"
	RefreshTokenIDPrefix   = "rft_"
	PasswordResetIDPrefix  = "rst_"
)

// Limits on client records.
const (
	MaxClientNameLen = 100 // bytes of Client.Name
	MaxAccountKeyLen = 254 // bytes of LoginFailure.Account (an e-mail address)
)

// LoginFailure is one failed sign-in attempt, kept for throttling.
type LoginFailure struct {
	// ID has prefix LoginFailureIDPrefix.
	ID string
	// Account is the normalised e-mail address tried, known or not.
	Account string
	// IP is the client address, or empty when unknown.
	IP string
	// At is when the attempt failed.
	At time.Time
}

// Validate returns an error wrapping ErrInvalid if f cannot be stored.
func (f LoginFailure) Validate() error {
	switch {
	case !ValidID(LoginFailureIDPrefix, f.ID):
		return fmt.Errorf("login failure id %q: %w", f.ID, ErrInvalid)
	case len(f.Account) > MaxAccountKeyLen || !utf8.ValidString(f.Account):
		return fmt.Errorf("login failure account: %w", ErrInvalid)
	case f.At.IsZero():
		return fmt.Errorf("login failure time must be set: %w", ErrInvalid)
	}
	return validateIP(f.IP)
}

// FailureCount is how many failures a key has in a window and when the
// latest happened (zero when Count is 0).
type FailureCount struct {
	Count int
	Last  time.Time
}

// LoginFailureStats counts recent failures for the three throttling keys.
type LoginFailureStats struct {
	// Account counts failures for the account from every address.
	Account FailureCount
	// Pair counts failures for the account from this address.
	Pair FailureCount
	// IP counts failures from this address for every account.
	IP FailureCount
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
	Subject   string
	Scopes    []string
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
	}
	return ValidateScopes(t.Scopes)
}

// PasswordReset is a single-use password reset token sent by mail.
type PasswordReset struct {
	// ID has prefix PasswordResetIDPrefix.
	ID         string
	IdentityID string
	TokenHash  []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	UsedAt     *time.Time
}

// Validate returns an error wrapping ErrInvalid if r cannot be stored.
func (r PasswordReset) Validate() error {
	switch {
	case !ValidID(PasswordResetIDPrefix, r.ID):
		return fmt.Errorf("password reset id %q: %w", r.ID, ErrInvalid)
	case !ValidID(IdentityIDPrefix, r.IdentityID):
		return fmt.Errorf("password reset identity %q: %w", r.IdentityID, ErrInvalid)
	case len(r.TokenHash) != TokenHashLen:
		return fmt.Errorf("password reset token hash must be %d bytes: %w", TokenHashLen, ErrInvalid)
	case r.CreatedAt.IsZero() || !r.ExpiresAt.After(r.CreatedAt):
		return fmt.Errorf("password reset times: %w", ErrInvalid)
	case r.UsedAt != nil:
		return fmt.Errorf("a new password reset cannot be used: %w", ErrInvalid)
	}
	return nil
}
