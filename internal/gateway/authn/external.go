package authn

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// Limits on what an outside token may map to; auth refuses more.
const (
	// MaxExternalSubjectLen bounds the subject taken from an outside
	// token, in bytes.
	MaxExternalSubjectLen = 1024
	// MaxExternalScopes bounds the scopes an outside token maps to, after
	// AllowedScopes; a token with more is refused.
	MaxExternalScopes = 64
	// MaxExternalScopeLen bounds one scope, in bytes; longer ones are
	// left out.
	MaxExternalScopeLen = 128
)

// Default claim names of ExternalIssuer.
const (
	DefaultSubjectClaim = "sub"
	DefaultScopesClaim  = "scope"
)

// ExternalIssuer is an identity provider outside Portico whose bearer JWTs
// the gateway admits: it verifies such a token itself (Verifier), maps its
// claims to a subject, an organization and scopes, and exchanges that
// mapping at auth for an internal token of a machine caller (kind client,
// role scoped in the one organization, the mapped scopes, never staff).
//
// An issuer admits callers only into the organizations the operator bound
// it to: Organization for one fixed organization, or OrganizationClaim
// with the allowed Organizations; exactly one of the two.
type ExternalIssuer struct {
	// Name names the issuer in errors and logs.
	Name string
	// Verifier checks the issuer's tokens: signature against its keys,
	// issuer, audience, times. Its Issuer is what a token's "iss" is
	// matched against to choose this ExternalIssuer.
	Verifier *identity.ExternalVerifier
	// SubjectClaim names the string claim that identifies the caller at
	// the issuer; "" means DefaultSubjectClaim.
	SubjectClaim string
	// Organization, when set, is the organization every caller of the
	// issuer belongs to.
	Organization string
	// OrganizationClaim, when set, names the string claim holding the
	// caller's organization ID, which must be one of Organizations.
	OrganizationClaim string
	// Organizations are the organization IDs OrganizationClaim may name.
	Organizations []string
	// ScopesClaim names the claim holding the caller's scopes, a
	// space-separated string or an array of strings; "" means
	// DefaultScopesClaim. A token without it has no scopes.
	ScopesClaim string
	// AllowedScopes, when not nil, caps the scopes: only those of the
	// token that are also listed here are kept.
	AllowedScopes []string
}

// Assertion is what the gateway asserts to auth about an outside token it
// verified: the body of an exchange of kind "external".
type Assertion struct {
	// Issuer is the outside issuer, exactly as the token's "iss".
	Issuer string `json:"issuer"`
	// Subject identifies the caller at the issuer.
	Subject string `json:"subject"`
	// Organization is the organization the caller is admitted into, one
	// the issuer is bound to.
	Organization string `json:"organization"`
	// Scopes are the mapped scopes, after the issuer's cap; never nil.
	Scopes []string `json:"scopes"`
	// ExpiresAt is the outside token's expiry; the internal token never
	// outlives it.
	ExpiresAt time.Time `json:"expires_at"`
}

// external is a checked ExternalIssuer.
type external struct {
	ExternalIssuer
	allowed map[string]bool // nil: no cap
}

// compileExternal checks the issuers of o and indexes them by issuer URL.
func compileExternal(issuers []ExternalIssuer, authIssuer string) (map[string]*external, error) {
	m := make(map[string]*external, len(issuers))
	names := make(map[string]bool, len(issuers))
	for i, ei := range issuers {
		switch {
		case ei.Name == "":
			return nil, fmt.Errorf("external issuer %d: no name", i)
		case names[ei.Name]:
			return nil, fmt.Errorf("external issuer %s: name used twice", ei.Name)
		case ei.Verifier == nil:
			return nil, fmt.Errorf("external issuer %s: no verifier", ei.Name)
		case ei.Verifier.Issuer() == authIssuer:
			return nil, fmt.Errorf("external issuer %s: %s is the auth service's own issuer", ei.Name, authIssuer)
		case m[ei.Verifier.Issuer()] != nil:
			return nil, fmt.Errorf("external issuer %s: issuer %s used twice", ei.Name, ei.Verifier.Issuer())
		case (ei.Organization == "") == (ei.OrganizationClaim == ""):
			return nil, fmt.Errorf("external issuer %s: set exactly one of Organization and OrganizationClaim", ei.Name)
		case ei.OrganizationClaim != "" && len(ei.Organizations) == 0:
			return nil, fmt.Errorf("external issuer %s: OrganizationClaim needs the allowed Organizations", ei.Name)
		case ei.Organization != "" && len(ei.Organizations) > 0:
			return nil, fmt.Errorf("external issuer %s: Organizations go with OrganizationClaim, not Organization", ei.Name)
		case slices.Contains(ei.Organizations, ""):
			return nil, fmt.Errorf("external issuer %s: empty organization", ei.Name)
		}
		names[ei.Name] = true
		if ei.SubjectClaim == "" {
			ei.SubjectClaim = DefaultSubjectClaim
		}
		if ei.ScopesClaim == "" {
			ei.ScopesClaim = DefaultScopesClaim
		}
		ei.Organizations = slices.Clone(ei.Organizations)
		e := &external{ExternalIssuer: ei}
		if ei.AllowedScopes != nil {
			e.allowed = make(map[string]bool, len(ei.AllowedScopes))
			for _, s := range ei.AllowedScopes {
				e.allowed[s] = true
			}
		}
		m[ei.Verifier.Issuer()] = e
	}
	return m, nil
}

// assert verifies token and maps it. Errors wrap ErrUnauthenticated when
// the token is refused, ErrUnavailable when the issuer's keys cannot be
// had; their messages name the reason, never the token.
func (e *external) assert(ctx context.Context, token string) (Assertion, error) {
	c, err := e.Verifier.Verify(ctx, token)
	if errors.Is(err, identity.ErrKeysUnavailable) {
		return Assertion{}, fmt.Errorf("exchange: issuer %s: %w: %w", e.Name, ErrUnavailable, err)
	}
	if err != nil {
		return Assertion{}, fmt.Errorf("exchange: issuer %s: %w: %w", e.Name, ErrUnauthenticated, err)
	}
	a, err := e.mapClaims(c)
	if err != nil {
		return Assertion{}, fmt.Errorf("exchange: issuer %s: %w: %w", e.Name, ErrUnauthenticated, err)
	}
	return a, nil
}

// mapClaims maps verified claims to an Assertion, or says why it cannot.
func (e *external) mapClaims(c *identity.ExternalClaims) (Assertion, error) {
	sub, ok, err := c.StringClaim(e.SubjectClaim)
	switch {
	case err != nil:
		return Assertion{}, err
	case !ok || sub == "":
		return Assertion{}, fmt.Errorf("no subject in claim %q", e.SubjectClaim)
	case len(sub) > MaxExternalSubjectLen:
		return Assertion{}, fmt.Errorf("subject of %d bytes, limit %d", len(sub), MaxExternalSubjectLen)
	}
	org := e.Organization
	if org == "" {
		v, ok, err := c.StringClaim(e.OrganizationClaim)
		switch {
		case err != nil:
			return Assertion{}, err
		case !ok:
			return Assertion{}, fmt.Errorf("no organization in claim %q", e.OrganizationClaim)
		case !slices.Contains(e.Organizations, v):
			// The one rule that keeps an outside issuer inside the
			// organizations the operator bound it to.
			return Assertion{}, errors.New("organization not among the issuer's organizations")
		}
		org = v
	}
	scopes, _, err := c.StringsClaim(e.ScopesClaim)
	if err != nil {
		return Assertion{}, err
	}
	scopes = e.capScopes(scopes)
	if len(scopes) > MaxExternalScopes {
		return Assertion{}, fmt.Errorf("%d scopes, limit %d", len(scopes), MaxExternalScopes)
	}
	return Assertion{Issuer: c.Issuer, Subject: sub, Organization: org, Scopes: scopes, ExpiresAt: c.Expiry}, nil
}

// capScopes returns the scopes of in that are scope-tokens (RFC 6749,
// section 3.3) of at most MaxExternalScopeLen bytes and, with a cap, are
// allowed; each once, in their order, and never nil.
func (e *external) capScopes(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if len(out) > MaxExternalScopes {
			break // refused by the caller; no need to look further
		}
		if !validScopeToken(s) || (e.allowed != nil && !e.allowed[s]) || slices.Contains(out, s) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// validScopeToken reports whether s is an RFC 6749 scope-token of at most
// MaxExternalScopeLen bytes: printable ASCII but space, '"' and '\'.
func validScopeToken(s string) bool {
	if s == "" || len(s) > MaxExternalScopeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
