package signing

import (
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// Limits on what a token may carry, so that every token stays well under
// verifiers' size limit.
const (
	MaxScopes    = 64  // entries in Scopes
	MaxScopeLen  = 128 // bytes of one scope
	MaxOrgs      = 64  // entries in an internal token's Orgs
	MaxClaimLen  = 256 // bytes of a subject, client, session, key or org ID, role or audience
	MaxAudiences = 8   // entries in AccessClaims.Audience
)

// jtiRandomBits is the entropy of a generated token ID.
const jtiRandomBits = 128

// AccessClaims are the claims of an RFC 9068 access token.
type AccessClaims struct {
	// Subject is "sub": the resource owner, or for the client credentials
	// grant the client itself. Required.
	Subject string
	// Audience is "aud": the resource servers the token is for. Required.
	Audience []string
	// ClientID is "client_id": the client the token was issued to.
	// Required.
	ClientID string
	// Scopes are granted scopes, sent as the space-separated "scope".
	Scopes []string
	// Lifetime is how long the token is valid; zero means
	// Options.AccessTokenLifetime. More than Options.MaxTokenLifetime is
	// ErrInvalid.
	Lifetime time.Duration
	// NotBefore, when set, is "nbf".
	NotBefore time.Time
	// OrgID, when set, is "org_id": the organization a machine client
	// belongs to, for the gateway's tenant checks.
	OrgID string
	// ID is "jti"; empty means a new random one. Callers that record
	// issued tokens for revocation choose it.
	ID string
}

// checkScopes validates scopes as RFC 6749 scope-tokens: printable ASCII
// other than space, '"' and '\'.
func checkScopes(scopes []string) error {
	if len(scopes) > MaxScopes {
		return fmt.Errorf("%d scopes, limit %d: %w", len(scopes), MaxScopes, ErrInvalid)
	}
	for _, s := range scopes {
		if s == "" || len(s) > MaxScopeLen {
			return fmt.Errorf("scope must be 1 to %d bytes: %w", MaxScopeLen, ErrInvalid)
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
				return fmt.Errorf("scope %q has a character outside RFC 6749 scope-token: %w", s, ErrInvalid)
			}
		}
	}
	return nil
}

// checkClaim validates a string claim: at most MaxClaimLen bytes, and
// not empty when required.
func checkClaim(name, v string, required bool) error {
	if required && v == "" {
		return fmt.Errorf("%s is required: %w", name, ErrInvalid)
	}
	if len(v) > MaxClaimLen {
		return fmt.Errorf("%s is longer than %d bytes: %w", name, MaxClaimLen, ErrInvalid)
	}
	return nil
}

// lifetime resolves a requested lifetime against the default and limit.
func (o Options) lifetime(requested, def time.Duration) (time.Duration, error) {
	switch {
	case requested == 0:
		return def, nil
	case requested < 0 || requested > o.MaxTokenLifetime:
		return 0, fmt.Errorf("lifetime %v must be positive and at most %v: %w", requested, o.MaxTokenLifetime, ErrInvalid)
	}
	return requested, nil
}

func (c AccessClaims) check() error {
	for name, v := range map[string]string{"organization id": c.OrgID, "token id": c.ID} {
		if err := checkClaim(name, v, false); err != nil {
			return err
		}
	}
	if err := checkClaim("subject", c.Subject, true); err != nil {
		return err
	}
	if err := checkClaim("client id", c.ClientID, true); err != nil {
		return err
	}
	if len(c.Audience) == 0 || len(c.Audience) > MaxAudiences {
		return fmt.Errorf("audience must have 1 to %d entries: %w", MaxAudiences, ErrInvalid)
	}
	for _, a := range c.Audience {
		if err := checkClaim("audience", a, true); err != nil {
			return err
		}
	}
	return checkScopes(c.Scopes)
}

// checkInternal validates the claims of an internal token that the caller
// chooses (see Manager.IssueInternalToken).
func checkInternal(c identity.Claims) error {
	if err := checkClaim("subject", c.Subject, true); err != nil {
		return err
	}
	if !c.Kind.Valid() {
		return fmt.Errorf("principal kind %q: %w", c.Kind, ErrInvalid)
	}
	for name, v := range map[string]string{"credential id": c.CredentialID, "client id": c.ClientID, "token id": c.ID} {
		if err := checkClaim(name, v, false); err != nil {
			return err
		}
	}
	if len(c.Orgs) > MaxOrgs {
		return fmt.Errorf("%d organizations, limit %d: %w", len(c.Orgs), MaxOrgs, ErrInvalid)
	}
	for _, org := range c.Orgs {
		if err := checkClaim("organization id", org.ID, true); err != nil {
			return err
		}
		if err := checkClaim("role", org.Role, true); err != nil {
			return err
		}
	}
	if len(c.Resources) > MaxAudiences {
		return fmt.Errorf("%d resources, limit %d: %w", len(c.Resources), MaxAudiences, ErrInvalid)
	}
	for _, r := range c.Resources {
		if err := checkClaim("resource", r, true); err != nil {
			return err
		}
	}
	return checkScopes(c.Scopes)
}
