package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// CredentialExternal is the exchange kind of an outside identity
// provider's token that the gateway verified: the exchange carries the
// gateway's ExternalAssertion about it, not the token.
const CredentialExternal = "external"

// ExternalSubjectPrefix starts the subject of every internal token issued
// for an outside caller; no other ID auth issues has it.
const ExternalSubjectPrefix = "ext_"

// Limits of an ExternalAssertion; the gateway's are the same.
const (
	MaxExternalIssuerLen  = 512
	MaxExternalSubjectLen = 1024
	MaxExternalScopes     = 64
	MaxExternalScopeLen   = 128
	maxOrgIDLen           = 64
)

// ExternalAssertion is what the gateway asserts about a bearer token of
// an outside issuer once it has verified it (signature against the
// issuer's keys, issuer, audience, times) and mapped its claims within the
// bounds its configuration sets for that issuer.
type ExternalAssertion struct {
	// Issuer is the outside issuer's URL, the token's "iss".
	Issuer string
	// Subject is the caller at that issuer.
	Subject string
	// OrgID is the organization the caller acts in, one the gateway's
	// configuration binds the issuer to.
	OrgID string
	// Scopes are the caller's scopes.
	Scopes []string
	// ExpiresAt is the outside token's expiry.
	ExpiresAt time.Time
}

// check reports what makes a malformed, as an *Error of code ErrInvalid.
func (a ExternalAssertion) check() error {
	u, err := url.Parse(a.Issuer)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(a.Issuer) > MaxExternalIssuerLen:
		return NewError(ErrInvalid, "issuer must be an http or https URL of at most %d bytes", MaxExternalIssuerLen)
	case a.Subject == "" || len(a.Subject) > MaxExternalSubjectLen:
		return NewError(ErrInvalid, "subject must be 1 to %d bytes", MaxExternalSubjectLen)
	case a.OrgID == "" || len(a.OrgID) > maxOrgIDLen:
		return NewError(ErrInvalid, "organization must be 1 to %d bytes", maxOrgIDLen)
	case len(a.Scopes) > MaxExternalScopes:
		return NewError(ErrInvalid, "at most %d scopes", MaxExternalScopes)
	case a.ExpiresAt.IsZero():
		return NewError(ErrInvalid, "expires_at is required")
	}
	for i, s := range a.Scopes {
		if !scopeToken(s) {
			return NewError(ErrInvalid, "scopes must be RFC 6749 scope tokens of 1 to %d bytes", MaxExternalScopeLen)
		}
		if slices.Contains(a.Scopes[:i], s) {
			return NewError(ErrInvalid, "scopes must not repeat")
		}
	}
	return nil
}

// scopeToken reports whether s is an RFC 6749 scope-token of at most
// MaxExternalScopeLen bytes: printable ASCII but space, '"' and '\'.
func scopeToken(s string) bool {
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

// ExternalSubject returns the subject of the internal tokens of the
// outside caller subject at issuer: ExternalSubjectPrefix and 160 bits of
// SHA-256 over both, in Crockford base32 as auth's IDs are. It is the same for
// the same caller every time, differs between callers and issuers, fits
// every service's ID syntax (letters, digits and '_'; 36 bytes), and can
// never be one of Portico's own IDs, so an outside issuer cannot name a
// person, an API key or a client of Portico.
func ExternalSubject(issuer, subject string) string {
	h := sha256.New()
	h.Write([]byte("portico external subject\x00"))
	h.Write([]byte(issuer))
	h.Write([]byte{0})
	h.Write([]byte(subject))
	sum := h.Sum(nil)
	enc := base32.NewEncoding(crockford).WithPadding(base32.NoPadding)
	return ExternalSubjectPrefix + enc.EncodeToString(sum[:20])
}

// ExchangeExternal issues the internal token of an outside caller the
// gateway vouches for (a, from POST /internal/v1/exchange, which admits
// the gateway's workload token alone). auth does not see the outside
// token and does not verify it again: the gateway did, against the
// issuer's keys and the bounds the operator set for it, and auth trusts
// the gateway for that as it trusts it to present only credentials its
// callers sent. What auth decides itself bounds what such an assertion can
// grant: the organization must exist, be active and not be the staff
// organization; the token is a machine caller's (kind client, role scoped
// in that one organization, never staff), its subject is namespaced
// (ExternalSubject), its scopes are the asserted ones, and it expires no
// later than the outside token. ErrInvalid for a malformed assertion,
// ErrUnauthenticated when the outside token has expired or the
// organization cannot admit it, ErrUnavailable when the directory cannot
// answer.
func (s *Service) ExchangeExternal(ctx context.Context, a ExternalAssertion) (Exchanged, error) {
	if err := a.check(); err != nil {
		return Exchanged{}, fmt.Errorf("exchange external: %w", err)
	}
	now := s.now()
	if !now.Before(a.ExpiresAt) {
		return Exchanged{}, fmt.Errorf("exchange external: outside token expired: %w", ErrUnauthenticated)
	}
	info, err := s.dir.Organization(ctx, a.OrgID)
	switch {
	case errors.Is(err, ErrNotFound):
		return Exchanged{}, fmt.Errorf("exchange external: organization unknown: %w", ErrUnauthenticated)
	case err != nil:
		return Exchanged{}, fmt.Errorf("exchange external: organization: %w", err)
	case !info.Active:
		return Exchanged{}, fmt.Errorf("exchange external: organization suspended: %w", ErrUnauthenticated)
	case info.Staff:
		// The staff organization's machine callers may introspect any
		// credential; no outside issuer vouches for one of those.
		return Exchanged{}, fmt.Errorf("exchange external: the staff organization admits no outside caller: %w", ErrUnauthenticated)
	}
	claims := identity.Claims{
		Subject: ExternalSubject(a.Issuer, a.Subject), Kind: identity.KindClient,
		Orgs: []identity.OrgRole{{ID: a.OrgID, Role: RoleScoped}}, Scopes: slices.Clone(a.Scopes),
	}
	ex, err := s.issueExchanged(ctx, claims, a.ExpiresAt, now)
	if err != nil {
		return Exchanged{}, fmt.Errorf("exchange external: %w", err)
	}
	s.o.Logger.InfoContext(ctx, "external token exchanged", "issuer", a.Issuer, "external_subject", truncateUTF8(a.Subject, 128),
		"subject", ex.Subject, "org", a.OrgID, "scopes", len(a.Scopes), "expires_at", ex.ExpiresAt)
	return ex, nil
}
