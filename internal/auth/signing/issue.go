package signing

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// IssueAccessToken signs an RFC 9068 access token: header typ "at+jwt",
// claims iss, sub, aud, exp, iat, nbf when asked for, jti, client_id and
// scope.
func (m *Manager) IssueAccessToken(ctx context.Context, c AccessClaims) (string, error) {
	if err := c.check(); err != nil {
		return "", fmt.Errorf("issue access token: %w", err)
	}
	life, err := m.o.lifetime(c.Lifetime, m.o.AccessTokenLifetime)
	if err != nil {
		return "", fmt.Errorf("issue access token: %w", err)
	}
	tok, err := m.sign(ctx, false, life, identity.Claims{
		Subject:   c.Subject,
		Audience:  slices.Clone(c.Audience),
		NotBefore: c.NotBefore,
		ClientID:  c.ClientID,
		Scopes:    c.Scopes,
		OrgID:     c.OrgID,
		ID:        c.ID,
	})
	if err != nil {
		return "", fmt.Errorf("issue access token: %w", err)
	}
	return tok, nil
}

// IssueInternalToken signs an internal token of the given lifetime (zero
// means Options.InternalTokenLifetime; more than Options.MaxTokenLifetime is
// ErrInvalid): header typ identity.InternalTokenType, aud
// Options.InternalAudience, and from c the subject (required), the
// principal's kind (required), organizations with a role in each, scopes,
// staff flag, credential ID ("sid"), client ID, resources and jti (empty means a new
// random one). The Manager sets iss, iat and exp; c's other fields are
// ignored.
func (m *Manager) IssueInternalToken(ctx context.Context, c identity.Claims, lifetime time.Duration) (string, error) {
	if err := checkInternal(c); err != nil {
		return "", fmt.Errorf("issue internal token: %w", err)
	}
	life, err := m.o.lifetime(lifetime, m.o.InternalTokenLifetime)
	if err != nil {
		return "", fmt.Errorf("issue internal token: %w", err)
	}
	tok, err := m.sign(ctx, true, life, identity.Claims{
		Subject:      c.Subject,
		Audience:     []string{m.o.InternalAudience},
		Scopes:       c.Scopes,
		ClientID:     c.ClientID,
		Kind:         c.Kind,
		Orgs:         c.Orgs,
		Staff:        c.Staff,
		CredentialID: c.CredentialID,
		Resources:    c.Resources,
		ID:           c.ID,
	})
	if err != nil {
		return "", fmt.Errorf("issue internal token: %w", err)
	}
	return tok, nil
}

// sign fills in iss, iat, exp and a missing jti and signs claims with the key
// active now.
func (m *Manager) sign(ctx context.Context, internal bool, life time.Duration, c identity.Claims) (string, error) {
	now := m.o.Now()
	k, err := m.signingKey(ctx, now)
	if err != nil {
		return "", err
	}
	// NumericDate has whole seconds; truncating iat keeps exp-iat exact.
	c.Issuer = m.o.Issuer
	c.IssuedAt = now.Truncate(time.Second)
	c.Expiry = c.IssuedAt.Add(life)
	if c.ID == "" {
		c.ID = newJTI()
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	signer := k.access
	if internal {
		signer = k.internal
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("serialize: %w", err)
	}
	if len(tok) > m.o.MaxTokenBytes {
		return "", fmt.Errorf("token of %d bytes exceeds %d: %w", len(tok), m.o.MaxTokenBytes, ErrInvalid)
	}
	return tok, nil
}

// signingKey returns the key active at now, making one when there is none
// (the first start, or Run not keeping up).
func (m *Manager) signingKey(ctx context.Context, now time.Time) (*key, error) {
	if k := m.state.Load().current(now); k != nil {
		return k, nil
	}
	if err := m.ensure(ctx); err != nil {
		return nil, err
	}
	if k := m.state.Load().current(m.o.Now()); k != nil {
		return k, nil
	}
	return nil, ErrNoSigningKey
}

// newJTI returns a new random token ID of jtiRandomBits in base64url.
func newJTI() string {
	var b [jtiRandomBits / 8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return base64.RawURLEncoding.EncodeToString(b[:])
}
