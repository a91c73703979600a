package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// apiKeyPattern is what a secret scanner would match.
var apiKeyPattern = regexp.MustCompile(`^ptc_[0-9A-HJKMNP-TV-Z]{26}_[0-9A-Za-z]{49}$`)

func mustGenerateAPIKey(tb testing.TB) (key, lookupID string, hash []byte) {
	tb.Helper()
	key, lookupID, hash, err := GenerateAPIKey()
	if err != nil {
		tb.Fatalf("generate api key: %v", err)
	}
	return key, lookupID, hash
}

func TestGenerateAndParseAPIKey(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		key, lookupID, hash := mustGenerateAPIKey(t)
		if !apiKeyPattern.MatchString(key) || len(key) != APIKeyLen {
			t.Fatalf("key %q does not match %s / length %d", key, apiKeyPattern, APIKeyLen)
		}
		if !ValidID(APIKeyIDPrefix, lookupID) {
			t.Errorf("lookup id %q is not a valid key id", lookupID)
		}
		if seen[key] {
			t.Fatalf("key %q generated twice", key)
		}
		seen[key] = true
		gotID, secret, err := ParseAPIKey(key)
		if err != nil {
			t.Fatalf("parse %q: %v", key, err)
		}
		if gotID != lookupID {
			t.Errorf("got lookup id %q, want %q", gotID, lookupID)
		}
		if !VerifyAPIKeySecret(secret, hash) {
			t.Errorf("secret of %q does not verify against its hash", key)
		}
		if strings.Contains(string(hash), string(secret)) {
			t.Error("hash contains the secret")
		}
	}
}

func TestParseAPIKeyRejects(t *testing.T) {
	key, _, _ := mustGenerateAPIKey(t)
	flip := func(i int) string {
		b := []byte(key)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	for _, tc := range []struct{ name, key string }{
		{"empty", ""},
		{"wrong prefix", "ghp_" + key[4:]},
		{"short", key[:len(key)-1]},
		{"long", key + "0"},
		{"secret changed", flip(40)},
		{"checksum changed", flip(len(key) - 1)},
		{"id changed", flip(10)},
		{"lower-case id", key[:4] + strings.ToLower(key[4:30]) + key[30:]},
		{"bad separator", key[:30] + "-" + key[31:]},
		{"non-base62", key[:40] + "+" + key[41:]},
		{"surrounding space", " " + key[:len(key)-1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := ParseAPIKey(tc.key); !errors.Is(err, ErrInvalid) {
				t.Errorf("ParseAPIKey(%q): got %v, want %v", tc.key, err, ErrInvalid)
			}
		})
	}
}

func TestVerifyAPIKeySecretRejectsOtherSecret(t *testing.T) {
	_, _, hash := mustGenerateAPIKey(t)
	other, _, _ := mustGenerateAPIKey(t)
	_, secret, err := ParseAPIKey(other)
	if err != nil {
		t.Fatal(err)
	}
	if VerifyAPIKeySecret(secret, hash) {
		t.Error("another key's secret verified; want false")
	}
}

// FuzzParseAPIKey checks that the parser never panics and that whatever it
// accepts is a well-formed key whose parts re-assemble to the input.
func FuzzParseAPIKey(f *testing.F) {
	f.Add("ptc_01JDQ0N4Y3T2ZB8VJX6K9M4R7P_000000000000000000000000000000000000000000000000")
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, err := ParseAPIKey(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got error %v, want one wrapping ErrInvalid", err)
			}
			return
		}
		if !apiKeyPattern.MatchString(s) || !ValidID(APIKeyIDPrefix, id) {
			t.Fatalf("accepted malformed key %q", s)
		}
		body := APIKeyPrefix + strings.TrimPrefix(id, APIKeyIDPrefix) + "_" + string(secret)
		if body+apiKeyChecksum(body) != s {
			t.Fatalf("parts of %q do not re-assemble to it", s)
		}
	})
}

func BenchmarkParseAndVerifyAPIKey(b *testing.B) {
	key, _, hash := mustGenerateAPIKey(b)
	b.ReportAllocs()
	for b.Loop() {
		_, secret, err := ParseAPIKey(key)
		if err != nil || !VerifyAPIKeySecret(secret, hash) {
			b.Fatal("parse or verify failed")
		}
	}
}

func BenchmarkGenerateAPIKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		mustGenerateAPIKey(b)
	}
}

// TestParseAPIKeyKnownVector parses a key built by an independent
// implementation of the format (CRC-32 IEEE, base62, fixed widths).
func TestParseAPIKeyKnownVector(t *testing.T) {
	const key = "ptc_01JDQ0N4Y3T2ZB8VJX6K9M4R7P_7Gq2xWm9ZbK4tR1vY8nP3sL6dF0hJ5cA2eU9iO4kM7w3Ls3d2"
	id, secret, err := ParseAPIKey(key)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if want := "key_01JDQ0N4Y3T2ZB8VJX6K9M4R7P"; id != want {
		t.Errorf("got lookup id %q, want %q", id, want)
	}
	if want := "7Gq2xWm9ZbK4tR1vY8nP3sL6dF0hJ5cA2eU9iO4kM7w"; string(secret) != want {
		t.Errorf("got secret %q, want %q", secret, want)
	}
}
