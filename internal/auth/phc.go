package auth

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Argon2Params are the cost parameters of an argon2id hash.
type Argon2Params struct {
	// MemoryKiB is the memory cost in KiB (m).
	MemoryKiB uint32
	// Iterations is the time cost (t).
	Iterations uint32
	// Parallelism is the number of lanes (p).
	Parallelism uint8
	// SaltLen is the length of the random salt in bytes.
	SaltLen uint32
	// KeyLen is the length of the derived key in bytes.
	KeyLen uint32
}

// OWASPArgon2Params returns the argon2id parameters OWASP's Password
// Storage Cheat Sheet recommends: 19 MiB of memory, 2 iterations, 1 lane,
// with a 16-byte salt and a 32-byte key.
func OWASPArgon2Params() Argon2Params {
	return Argon2Params{MemoryKiB: 19456, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}
}

// PHCLimits bound the parameters a stored hash may ask the verifier to
// use, so that a tampered or corrupted hash cannot make one verification
// take unbounded memory or time.
type PHCLimits struct {
	MaxMemoryKiB   uint32
	MaxIterations  uint32
	MaxParallelism uint8
	MinSaltLen     int
	MaxSaltLen     int
	MinKeyLen      int
	MaxKeyLen      int
}

// DefaultPHCLimits returns limits that admit the OWASP parameters and
// stronger ones up to 256 MiB and 16 iterations.
func DefaultPHCLimits() PHCLimits {
	return PHCLimits{
		MaxMemoryKiB:   256 * 1024,
		MaxIterations:  16,
		MaxParallelism: 16,
		MinSaltLen:     8,
		MaxSaltLen:     64,
		MinKeyLen:      16,
		MaxKeyLen:      64,
	}
}

// base64Std is the alphabet of unpadded standard base64.
const base64Std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// maxPHCLen bounds the encoded string before it is parsed at all: the
// longest one DefaultPHCLimits admits is well under 256 bytes.
const maxPHCLen = 512

// PHC is a parsed argon2id hash in PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, salt and key in unpadded
// standard base64.
type PHC struct {
	Params Argon2Params
	Salt   []byte
	Key    []byte
}

// String encodes p in PHC string format.
func (p PHC) String() string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s",
		p.Params.MemoryKiB, p.Params.Iterations, p.Params.Parallelism,
		b64.EncodeToString(p.Salt), b64.EncodeToString(p.Key))
}

// ParsePHC parses an argon2id PHC string, accepting only version 19, the
// parameters in the order m, t, p, canonical decimal numbers, and values
// within lim. Anything else yields an error wrapping ErrInvalid.
func ParsePHC(s string, lim PHCLimits) (PHC, error) {
	invalid := func(what string) (PHC, error) {
		return PHC{}, fmt.Errorf("phc hash: %s: %w", what, ErrInvalid)
	}
	if len(s) > maxPHCLen {
		return invalid("too long")
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return invalid("want 5 $-separated fields")
	}
	if parts[1] != "argon2id" {
		return invalid("algorithm is not argon2id")
	}
	if parts[2] != "v=19" {
		return invalid("version is not 19")
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return invalid("want parameters m, t, p")
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(params[i], name)
		if !ok {
			return invalid("want parameters m, t, p in that order")
		}
		v, ok := parseCanonicalUint32(digits)
		if !ok {
			return invalid("parameter " + name + " is not a canonical number")
		}
		vals[i] = v
	}
	p := Argon2Params{MemoryKiB: uint32(vals[0]), Iterations: uint32(vals[1])}
	switch {
	case vals[2] < 1 || vals[2] > uint64(lim.MaxParallelism):
		return invalid("parallelism out of range")
	case p.Iterations < 1 || p.Iterations > lim.MaxIterations:
		return invalid("iterations out of range")
	case uint64(p.MemoryKiB) < 8*vals[2] || p.MemoryKiB > lim.MaxMemoryKiB:
		// argon2 needs at least 8 KiB per lane.
		return invalid("memory out of range")
	}
	p.Parallelism = uint8(vals[2])
	// The decoder skips CR and LF; only the alphabet may pass.
	if !isToken(parts[4], base64Std) || !isToken(parts[5], base64Std) {
		return invalid("salt or key not in unpadded base64")
	}
	b64 := base64.RawStdEncoding.Strict()
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < lim.MinSaltLen || len(salt) > lim.MaxSaltLen {
		return invalid("salt malformed or of bad length")
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < lim.MinKeyLen || len(key) > lim.MaxKeyLen {
		return invalid("key malformed or of bad length")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return PHC{Params: p, Salt: salt, Key: key}, nil
}

// parseCanonicalUint32 parses 1 to 10 decimal digits without sign or
// leading zero.
func parseCanonicalUint32(s string) (uint64, bool) {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, 10, 32)
	return v, err == nil
}
