package accounts

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"time"
)

// OrgIDPrefix starts every organization ID.
const OrgIDPrefix = "org_"

// idBodyLen is the length of an ID after its prefix: 48 bits of
// milliseconds and 80 random bits in Crockford base32, 26 characters.
const idBodyLen = 26

// crockford is Crockford's base32 alphabet: digits and upper-case letters
// without I, L, O and U, in ascending byte order so that IDs sort by time.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns a new random ID of the given kind, such as
// "org_01JDQ0N4Y3T2ZB8VJX6K9M4R7P": like the auth service's IDs (and a
// ULID), its first 10 characters encode the creation time in milliseconds
// and the other 16 carry 80 random bits.
func NewID(prefix string, now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], uint64(now.UnixMilli())<<16)
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never returns an error
	hi := binary.BigEndian.Uint64(b[0:8])
	lo := binary.BigEndian.Uint64(b[8:16])
	var out [idBodyLen]byte
	// 128 bits in 26 five-bit groups: the first group holds the top 3 bits.
	for i := idBodyLen - 1; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return prefix + string(out[:])
}

// ValidID reports whether id is an ID of the given kind as NewID makes
// them.
func ValidID(prefix, id string) bool {
	body, ok := strings.CutPrefix(id, prefix)
	if !ok || len(body) != idBodyLen || body[0] > '7' {
		return false
	}
	return isToken(body, crockford)
}

// MaxIdentityIDLen bounds an identity ID.
const MaxIdentityIDLen = 64

// identityIDAlphabet is what an identity ID may hold.
const identityIDAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"

// ValidIdentityID reports whether id can be an identity ID: 1 to
// MaxIdentityIDLen letters, digits, '_' or '-'. Identities belong to the
// auth service, so their exact format is deliberately not checked here.
func ValidIdentityID(id string) bool {
	return id != "" && len(id) <= MaxIdentityIDLen && isToken(id, identityIDAlphabet)
}

// isToken reports whether every byte of s is in alphabet.
func isToken(s, alphabet string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(alphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}
