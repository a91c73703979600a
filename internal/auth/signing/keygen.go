package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// generateKey makes a new private key for alg; rsaBits sizes RSA keys.
func generateKey(alg string, rsaBits int) (crypto.Signer, error) {
	switch jose.SignatureAlgorithm(alg) {
	case jose.ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case jose.RS256:
		return rsa.GenerateKey(rand.Reader, rsaBits)
	}
	return nil, fmt.Errorf("algorithm %q is not supported", alg)
}

// publicJWK returns the public JWK of priv as published: kid, alg and
// use "sig".
func publicJWK(kid, alg string, priv crypto.Signer) ([]byte, error) {
	b, err := jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: alg, Use: "sig"}.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return b, nil
}

// parsePublicJWK decodes a stored public JWK and checks it is the public
// key for kid and alg.
func parsePublicJWK(kid, alg string, b []byte) (jose.JSONWebKey, error) {
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(b); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("decode public key: %w", err)
	}
	if k.KeyID != kid || k.Algorithm != alg || !k.IsPublic() {
		return jose.JSONWebKey{}, fmt.Errorf("stored public key does not match kid %q and alg %q", kid, alg)
	}
	if err := identity.CheckKey(alg, k.Key); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("stored public key: %w", err)
	}
	return k, nil
}

// parsePrivateKey decodes a PKCS #8 private key and checks that it is a
// key for alg whose public half is pub.
func parsePrivateKey(alg string, der []byte, pub crypto.PublicKey) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("decode private key: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("private key of type %T cannot sign", k)
	}
	if err := identity.CheckKey(alg, signer.Public()); err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if e, ok := signer.Public().(equaler); !ok || !e.Equal(pub) {
		return nil, fmt.Errorf("private key does not match the published public key")
	}
	return signer, nil
}
