package configs

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"time"
)

// IntegrationIDPrefix starts every integration ID.
const IntegrationIDPrefix = "int_"

// idBodyLen is the length of an ID after its prefix: 48 bits of
// milliseconds and 80 random bits in Crockford base32, 26 characters.
const idBodyLen = 26

// crockford is Crockford's base32 alphabet: digits and upper-case letters
// without I, L, O and U, in ascending byte order so that IDs sort by time.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewIntegrationID returns a new random integration ID such as
// "int_01JDQ0N4Y3T2ZB8VJX6K9M4R7P": like the other services' IDs (and a
// ULID), its first 10 characters after the prefix encode the creation time
// in milliseconds and the other 16 carry 80 random bits. The code is the
// accounts service's NewID, repeated because services share no code but
// platform.
func NewIntegrationID(now time.Time) string { return newID(IntegrationIDPrefix, now) }

// newID returns prefix and the 26 characters of a new time-ordered ID.
func newID(prefix string, now time.Time) string {
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

// ValidIntegrationID reports whether id is an integration ID as
// NewIntegrationID makes them.
func ValidIntegrationID(id string) bool { return validID(IntegrationIDPrefix, id) }

// AuditIDPrefix starts every audit entry ID.
const AuditIDPrefix = "cau_"

// NewAuditID returns a new random audit entry ID, made like an
// integration ID.
func NewAuditID(now time.Time) string { return newID(AuditIDPrefix, now) }

// ValidAuditID reports whether id is an audit entry ID as NewAuditID makes
// them.
func ValidAuditID(id string) bool { return validID(AuditIDPrefix, id) }

func validID(prefix, id string) bool {
	body, ok := strings.CutPrefix(id, prefix)
	if !ok || len(body) != idBodyLen || body[0] > '7' {
		return false
	}
	return isToken(body, crockford)
}

// DeliveryKeyPrefix starts every delivery key.
const DeliveryKeyPrefix = "dk_"

// deliveryKeyBodyLen is the length of a delivery key after its prefix: 100
// random bits in lower-case base32.
const deliveryKeyBodyLen = 20

// deliveryKeyAlphabet is Crockford's base32 in lower case, so a key reads
// unambiguously when a customer copies it from a page into a player.
const deliveryKeyAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// NewDeliveryKey returns a new random delivery key such as
// "dk_7m2q0c9x4h8t1v6b3n5k". A delivery key is public, not a secret: it
// is in every page that embeds the player, and only names the
// integration whose SDK config a player fetches. The 100 random bits make
// collisions and guessing of other customers' keys negligible.
func NewDeliveryKey() string {
	var b [deliveryKeyBodyLen]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	for i := range b {
		b[i] = deliveryKeyAlphabet[b[i]&31]
	}
	return DeliveryKeyPrefix + string(b[:])
}

// ValidDeliveryKey reports whether key has the form NewDeliveryKey gives.
func ValidDeliveryKey(key string) bool {
	body, ok := strings.CutPrefix(key, DeliveryKeyPrefix)
	return ok && len(body) == deliveryKeyBodyLen && isToken(body, deliveryKeyAlphabet)
}

// MaxOrgIDLen and MaxIdentityIDLen bound the IDs of organizations and
// identities, which belong to other services.
const (
	MaxOrgIDLen      = 64
	MaxIdentityIDLen = 64
)

// foreignIDAlphabet is what an organization or identity ID may hold.
const foreignIDAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"

// ValidForeignID reports whether id can be the ID of an organization or an
// identity: 1 to 64 letters, digits, '_' or '-'. They belong to the
// accounts and auth services, so their exact format is deliberately not
// checked here.
func ValidForeignID(id string) bool {
	return id != "" && len(id) <= MaxIdentityIDLen && isToken(id, foreignIDAlphabet)
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
