package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"hash/crc32"
	"math/big"
	"strings"
	"time"
)

// API keys look like
//
//	ptc_01JDQ0N4Y3T2ZB8VJX6K9M4R7P_<43 base62 secret><6 base62 checksum>
//
// The fixed prefix lets people and secret scanners recognise a leaked key;
// the 26 characters after it are the key's public lookup ID (its APIKey.ID
// without "key_"), stored in clear and indexed; the secret is 32 random bytes
// (256 bits) in base62; the checksum is the CRC-32 (IEEE) of everything
// before it, in base62, so a scanner can tell a real key from a look-alike
// without asking the server, as GitHub's token format does.
const (
	// APIKeyPrefix starts every API key.
	APIKeyPrefix = "ptc_"
	// APIKeyLen is the length of every API key.
	APIKeyLen = len(APIKeyPrefix) + idBodyLen + 1 + apiKeySecretLen + apiKeyChecksumLen

	apiKeySecretBytes = 32
	apiKeySecretLen   = 43 // ceil(256 / log2(62))
	apiKeyChecksumLen = 6  // ceil(32 / log2(62))
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// GenerateAPIKey returns a new API key, its lookup ID (the APIKey.ID to
// store, which carries the current time like every ID) and the hash of
// its secret (the APIKey.SecretHash to store). The key itself is shown to
// its owner once and never stored. The error is always nil today, since
// crypto/rand cannot fail; it is kept so callers need not change should the
// key ever come from a source that can.
func GenerateAPIKey() (key, lookupID string, secretHash []byte, err error) {
	lookupID = NewID(APIKeyIDPrefix, time.Now())
	var raw [apiKeySecretBytes]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never returns an error
	secret := encodeBase62(new(big.Int).SetBytes(raw[:]), apiKeySecretLen)
	body := APIKeyPrefix + strings.TrimPrefix(lookupID, APIKeyIDPrefix) + "_" + secret
	key = body + apiKeyChecksum(body)
	return key, lookupID, HashAPIKeySecret([]byte(secret)), nil
}

// ParseAPIKey splits an API key into its lookup ID and its secret,
// rejecting with an error wrapping ErrInvalid anything with the wrong
// prefix, length, alphabet or checksum.
func ParseAPIKey(s string) (lookupID string, secret []byte, err error) {
	invalid := func(what string) (string, []byte, error) {
		return "", nil, fmt.Errorf("api key: %s: %w", what, ErrInvalid)
	}
	if len(s) != APIKeyLen {
		return invalid("wrong length")
	}
	rest, ok := strings.CutPrefix(s, APIKeyPrefix)
	if !ok {
		return invalid("wrong prefix")
	}
	idBody, rest := rest[:idBodyLen], rest[idBodyLen:]
	lookupID = APIKeyIDPrefix + idBody
	if !ValidID(APIKeyIDPrefix, lookupID) {
		return invalid("malformed lookup id")
	}
	if rest[0] != '_' {
		return invalid("missing separator")
	}
	sec, sum := rest[1:1+apiKeySecretLen], rest[1+apiKeySecretLen:]
	if !isToken(sec, base62) || !isToken(sum, base62) {
		return invalid("character outside base62")
	}
	if subtle.ConstantTimeCompare([]byte(sum), []byte(apiKeyChecksum(s[:len(s)-apiKeyChecksumLen]))) != 1 {
		return invalid("checksum mismatch")
	}
	return lookupID, []byte(sec), nil
}

// HashAPIKeySecret returns the SHA-256 hash stored for an API key secret.
// The secret carries 256 bits of entropy, so a slow password hash would add
// cost without adding safety.
func HashAPIKeySecret(secret []byte) []byte {
	sum := sha256.Sum256(secret)
	return sum[:]
}

// VerifyAPIKeySecret reports, in constant time, whether secret hashes to
// storedHash.
func VerifyAPIKeySecret(secret, storedHash []byte) bool {
	return subtle.ConstantTimeCompare(HashAPIKeySecret(secret), storedHash) == 1
}

func apiKeyChecksum(body string) string {
	return encodeBase62(new(big.Int).SetUint64(uint64(crc32.ChecksumIEEE([]byte(body)))), apiKeyChecksumLen)
}

// encodeBase62 writes n in base62, left-padded with zeros to width digits.
func encodeBase62(n *big.Int, width int) string {
	out := []byte(strings.Repeat("0", width))
	sixtyTwo := big.NewInt(62)
	mod := new(big.Int)
	for i := width - 1; i >= 0 && n.Sign() > 0; i-- {
		n.DivMod(n, sixtyTwo, mod)
		out[i] = base62[mod.Int64()]
	}
	return string(out)
}
