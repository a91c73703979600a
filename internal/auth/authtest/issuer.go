package authtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/identity"
)

// Audiences and issuer of the tokens Issuer signs.
const (
	AccessAudience   = "portico-api"
	InternalAudience = identity.InternalAudience
	// IssuerURL is the "iss" of every token Issuer signs.
	IssuerURL = "https://auth.portico.test"
)

// issuerKID names Issuer's key in its tokens' headers.
const issuerKID = "authtest-1"

// Issuer is an auth.TokenIssuer for tests: ES256 JWTs signed with a key
// made in memory, verified for real (signature, issuer, audience, expiry).
// Internal tokens are identity.Claims with the internal token type, as the
// signing package makes them, so identity.Verifier accepts them. The
// production implementation lives in the signing package.
type Issuer struct {
	key      *ecdsa.PrivateKey
	signer   jose.Signer // access tokens
	internal jose.Signer // internal tokens
	keys     *identity.StaticKeys
	verifier *identity.Verifier
	now      func() time.Time
}

// NewIssuer returns an Issuer with a fresh key that reads the time from
// now.
func NewIssuer(now func() time.Time) (*Issuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("test issuer: %w", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("test issuer: %w", err)
	}
	internal, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: issuerKID, Algorithm: string(jose.ES256)}},
		(&jose.SignerOptions{}).WithType(identity.InternalTokenType))
	if err != nil {
		return nil, fmt.Errorf("test issuer: %w", err)
	}
	keys, err := identity.NewStaticKeys(jose.JSONWebKey{Key: &key.PublicKey, KeyID: issuerKID, Algorithm: string(jose.ES256), Use: "sig"})
	if err != nil {
		return nil, fmt.Errorf("test issuer: %w", err)
	}
	v, err := identity.NewVerifier(identity.VerifierOptions{Keys: keys, Issuer: IssuerURL, Audience: InternalAudience, Now: now})
	if err != nil {
		return nil, fmt.Errorf("test issuer: %w", err)
	}
	return &Issuer{key: key, signer: signer, internal: internal, keys: keys, verifier: v, now: now}, nil
}

// Keys returns the public key of the internal tokens, as the signing
// manager's own key source serves the auth service in production.
func (i *Issuer) Keys() identity.KeySource { return i.keys }

type accessJWT struct {
	jwt.Claims
	ClientID string `json:"client_id"`
	OrgID    string `json:"org_id,omitempty"`
	Scope    string `json:"scope,omitempty"`
}

// IssueAccessToken implements auth.TokenIssuer.
func (i *Issuer) IssueAccessToken(_ context.Context, c auth.AccessClaims) (string, error) {
	aud := jwt.Audience(c.Audience)
	if len(aud) == 0 {
		aud = jwt.Audience{AccessAudience}
	}
	return jwt.Signed(i.signer).Claims(accessJWT{
		Claims: jwt.Claims{Issuer: IssuerURL, Subject: c.Subject, ID: c.ID, Audience: aud,
			IssuedAt: jwt.NewNumericDate(c.IssuedAt), Expiry: jwt.NewNumericDate(c.ExpiresAt)},
		ClientID: c.ClientID, OrgID: c.OrgID, Scope: strings.Join(c.Scopes, " "),
	}).Serialize()
}

// IssueInternalToken implements auth.TokenIssuer: c as given, with iss
// IssuerURL and aud InternalAudience.
func (i *Issuer) IssueInternalToken(_ context.Context, c identity.Claims) (string, error) {
	c.Issuer, c.Audience = IssuerURL, []string{InternalAudience}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("test issuer: %w", err)
	}
	jws, err := i.internal.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("test issuer: %w", err)
	}
	return jws.CompactSerialize()
}

// Sign signs c exactly as given, with typ as the token type, by the key of
// the internal tokens: tests forge with it the tokens a verifier must
// refuse (another issuer, audience or type, an expired one).
func (i *Issuer) Sign(c identity.Claims, typ string) (string, error) {
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: i.key, KeyID: issuerKID, Algorithm: string(jose.ES256)}},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		return "", fmt.Errorf("test issuer: %w", err)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("test issuer: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("test issuer: %w", err)
	}
	return jws.CompactSerialize()
}

// VerifyAccessToken implements auth.TokenIssuer.
func (i *Issuer) VerifyAccessToken(_ context.Context, token string) (*auth.AccessClaims, error) {
	t, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, fmt.Errorf("parse jwt: %w", err)
	}
	var c accessJWT
	if err := t.Claims(&i.key.PublicKey, &c); err != nil {
		return nil, fmt.Errorf("verify jwt: %w", err)
	}
	// Like the real issuer, any audience: auth verifies every access
	// token it signed, whoever it was for.
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: IssuerURL, Time: i.now()}, 0); err != nil {
		return nil, fmt.Errorf("validate jwt: %w", err)
	}
	if c.ID == "" || c.Expiry == nil {
		return nil, errors.New("validate jwt: missing jti or exp")
	}
	var scopes []string
	if c.Scope != "" {
		scopes = strings.Split(c.Scope, " ")
	}
	return &auth.AccessClaims{Subject: c.Subject, ClientID: c.ClientID, OrgID: c.OrgID, Scopes: scopes,
		Audience: []string(c.Audience), ID: c.ID, IssuedAt: c.IssuedAt.Time().UTC(), ExpiresAt: c.Expiry.Time().UTC()}, nil
}

// VerifyInternalToken checks an internal token as a service would, with
// identity.Verifier, and returns its claims.
func (i *Issuer) VerifyInternalToken(token string) (*identity.Claims, error) {
	return i.verifier.Verify(context.Background(), token)
}

var _ auth.TokenIssuer = (*Issuer)(nil)
