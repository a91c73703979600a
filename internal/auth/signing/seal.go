package signing

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// sealVersion is the first byte of a sealed key: the format, so that a
// later one (another AEAD, a KEK id) can be told apart.
const sealVersion = 1

// sealer encrypts private keys under the KEK with AES-256-GCM. Sealed
// form: version byte, 12-byte random nonce, ciphertext and tag. The kid is
// the associated data.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(kek []byte) (*sealer, error) {
	if len(kek) != KEKSize {
		return nil, fmt.Errorf("kek has %d bytes, want %d", len(kek), KEKSize)
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("kek: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("kek: %w", err)
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(kid string, plaintext []byte) []byte {
	ns := s.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+s.aead.Overhead())
	out[0] = sealVersion
	_, _ = rand.Read(out[1 : 1+ns]) // crypto/rand.Read never returns an error
	return s.aead.Seal(out, out[1:1+ns], plaintext, []byte(kid))
}

func (s *sealer) open(kid string, sealed []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < 1+ns+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, errors.New("sealed key has an unknown format")
	}
	plain, err := s.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], []byte(kid))
	if err != nil {
		return nil, errors.New("sealed key does not open: wrong KEK, or a record altered or moved to another kid")
	}
	return plain, nil
}
