package authtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portico-gw/portico/internal/auth"
)

// Audiences of the tokens Issuer signs.
const (
	AccessAudience   = "portico-api"
	InternalAudience = "portico-internal"
	issuerName       = "https://auth.portico.test"
)

// Issuer is an auth.TokenIssuer for tests: ES256 JWTs signed with a key
// made in memory, verified for real (signature, issuer, audience, expiry).
// The production implementation lives in the signing package.
type Issuer struct {
	key    *ecdsa.PrivateKey
	signer jose.Signer
	now    func() time.Time
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
	return &Issuer{key: key, signer: signer, now: now}, nil
}

type accessJWT struct {
	jwt.Claims
	ClientID string `json:"client_id"`
	OrgID    string `json:"org_id,omitempty"`
	Scope    string `json:"scope,omitempty"`
}

type internalJWT struct {
	jwt.Claims
	Kind   string         `json:"kind"`
	Orgs   []auth.OrgRole `json:"orgs"`
	Scopes []string       `json:"scopes,omitempty"`
	Staff  bool           `json:"staff,omitempty"`
	SID    string         `json:"sid,omitempty"`
}

func registered(sub, jti, aud string, iat, exp time.Time) jwt.Claims {
	return jwt.Claims{Issuer: issuerName, Subject: sub, ID: jti, Audience: jwt.Audience{aud},
		IssuedAt: jwt.NewNumericDate(iat), Expiry: jwt.NewNumericDate(exp)}
}

// IssueAccessToken implements auth.TokenIssuer.
func (i *Issuer) IssueAccessToken(_ context.Context, c auth.AccessClaims) (string, error) {
	return jwt.Signed(i.signer).Claims(accessJWT{
		Claims:   registered(c.Subject, c.ID, AccessAudience, c.IssuedAt, c.ExpiresAt),
		ClientID: c.ClientID, OrgID: c.OrgID, Scope: strings.Join(c.Scopes, " "),
	}).Serialize()
}

// IssueInternalToken implements auth.TokenIssuer.
func (i *Issuer) IssueInternalToken(_ context.Context, c auth.InternalClaims) (string, error) {
	return jwt.Signed(i.signer).Claims(internalJWT{
		Claims: registered(c.Subject, c.ID, InternalAudience, c.IssuedAt, c.ExpiresAt),
		Kind:   string(c.Kind), Orgs: c.Orgs, Scopes: c.Scopes, Staff: c.Staff, SID: c.CredentialID,
	}).Serialize()
}

func (i *Issuer) verify(token, aud string, dest any) (jwt.Claims, error) {
	t, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return jwt.Claims{}, fmt.Errorf("parse jwt: %w", err)
	}
	var std jwt.Claims
	if err := t.Claims(&i.key.PublicKey, &std, dest); err != nil {
		return jwt.Claims{}, fmt.Errorf("verify jwt: %w", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: issuerName, AnyAudience: jwt.Audience{aud}, Time: i.now()}, 0); err != nil {
		return jwt.Claims{}, fmt.Errorf("validate jwt: %w", err)
	}
	if std.ID == "" || std.Expiry == nil {
		return jwt.Claims{}, errors.New("validate jwt: missing jti or exp")
	}
	return std, nil
}

// VerifyAccessToken implements auth.TokenIssuer.
func (i *Issuer) VerifyAccessToken(_ context.Context, token string) (*auth.AccessClaims, error) {
	var c accessJWT
	std, err := i.verify(token, AccessAudience, &c)
	if err != nil {
		return nil, err
	}
	var scopes []string
	if c.Scope != "" {
		scopes = strings.Split(c.Scope, " ")
	}
	return &auth.AccessClaims{Subject: std.Subject, ClientID: c.ClientID, OrgID: c.OrgID, Scopes: scopes,
		ID: std.ID, IssuedAt: std.IssuedAt.Time().UTC(), ExpiresAt: std.Expiry.Time().UTC()}, nil
}

// VerifyInternalToken checks an internal token as a service would and
// returns its claims.
func (i *Issuer) VerifyInternalToken(token string) (*auth.InternalClaims, error) {
	var c internalJWT
	std, err := i.verify(token, InternalAudience, &c)
	if err != nil {
		return nil, err
	}
	return &auth.InternalClaims{Subject: std.Subject, Kind: auth.CredentialKind(c.Kind), Orgs: c.Orgs, Scopes: c.Scopes,
		Staff: c.Staff, CredentialID: c.SID, ID: std.ID, IssuedAt: std.IssuedAt.Time().UTC(), ExpiresAt: std.Expiry.Time().UTC()}, nil
}

var _ auth.TokenIssuer = (*Issuer)(nil)
