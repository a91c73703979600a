package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Sealed secrets are "v1:" and the base64url of nonce||ciphertext under
// AES-256-GCM, or "v0:" and the base64url of the secret when the service
// has no key (local use only).
const (
	sealedV0 = "v0:"
	sealedV1 = "v1:"
)

// secretBox seals secrets the service must read back (TOTP secrets). Its
// zero value stores them unencrypted.
type secretBox struct {
	aead cipher.AEAD
}

func newSecretBox(key []byte) (secretBox, error) {
	if key == nil {
		return secretBox{}, nil
	}
	if len(key) != 32 {
		return secretBox{}, fmt.Errorf("secret key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return secretBox{}, fmt.Errorf("secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return secretBox{}, fmt.Errorf("secret key: %w", err)
	}
	return secretBox{aead: aead}, nil
}

// seal returns the stored form of plain; aad binds it to its owner, so a
// sealed secret copied to another row does not open.
func (b secretBox) seal(plain, aad []byte) string {
	if b.aead == nil {
		return sealedV0 + base64.RawURLEncoding.EncodeToString(plain)
	}
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never returns an error
	return sealedV1 + base64.RawURLEncoding.EncodeToString(b.aead.Seal(nonce, nonce, plain, aad))
}

// open reverses seal.
func (b secretBox) open(sealed string, aad []byte) ([]byte, error) {
	switch {
	case strings.HasPrefix(sealed, sealedV0):
		return base64.RawURLEncoding.DecodeString(sealed[len(sealedV0):])
	case strings.HasPrefix(sealed, sealedV1):
		if b.aead == nil {
			return nil, errors.New("open secret: sealed with a key, but the service has none")
		}
		raw, err := base64.RawURLEncoding.DecodeString(sealed[len(sealedV1):])
		if err != nil || len(raw) < b.aead.NonceSize() {
			return nil, errors.New("open secret: malformed")
		}
		plain, err := b.aead.Open(nil, raw[:b.aead.NonceSize()], raw[b.aead.NonceSize():], aad)
		if err != nil {
			return nil, errors.New("open secret: wrong key or tampered")
		}
		return plain, nil
	}
	return nil, errors.New("open secret: unknown format")
}
