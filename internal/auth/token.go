package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// Sizes of opaque tokens (session, refresh and reset tokens).
const (
	// TokenBytes is the number of random bytes in a token: 256 bits.
	TokenBytes = 32
	// TokenLen is the length of a token's text: TokenBytes in unpadded
	// base64url.
	TokenLen = 43
	// TokenHashLen is the length of a stored token or secret hash (SHA-256).
	TokenHashLen = sha256.Size
)

// base64URL is the alphabet of unpadded base64url. Go's decoders skip CR
// and LF, so inputs are checked against it as well.
const base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// GenerateToken returns a new opaque token and the hash to store for it.
// The token is TokenBytes random bytes in unpadded base64url, fit for a
// cookie or a URL; only the hash may be persisted.
func GenerateToken() (token string, hash []byte) {
	var raw [TokenBytes]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never returns an error
	sum := sha256.Sum256(raw[:])
	return base64.RawURLEncoding.EncodeToString(raw[:]), sum[:]
}

// HashToken returns the hash under which token is stored: SHA-256 of its
// decoded bytes. A string that GenerateToken cannot have produced yields an
// error wrapping ErrInvalid, so junk never reaches a store lookup. Tokens
// carry 256 bits of entropy, so a fast hash is enough: there is nothing to
// brute-force that a slow one would protect.
func HashToken(token string) ([]byte, error) {
	if len(token) != TokenLen {
		return nil, fmt.Errorf("token must be %d characters: %w", TokenLen, ErrInvalid)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) != TokenBytes || !isToken(token, base64URL) {
		return nil, fmt.Errorf("token is not base64url: %w", ErrInvalid)
	}
	sum := sha256.Sum256(raw)
	return sum[:], nil
}
