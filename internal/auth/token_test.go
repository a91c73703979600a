package auth

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
)

func TestGenerateToken(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok, hash := GenerateToken()
		if len(tok) != TokenLen || len(hash) != TokenHashLen {
			t.Fatalf("got token length %d and hash length %d, want %d and %d", len(tok), len(hash), TokenLen, TokenHashLen)
		}
		if seen[tok] {
			t.Fatalf("token %q generated twice", tok)
		}
		seen[tok] = true
		got, err := HashToken(tok)
		if err != nil {
			t.Fatalf("hash %q: %v", tok, err)
		}
		if !bytes.Equal(got, hash) {
			t.Errorf("HashToken(%q) = %x, want %x", tok, got, hash)
		}
	}
}

func TestHashTokenRejects(t *testing.T) {
	tok, _ := GenerateToken()
	for _, tc := range []struct{ name, tok string }{
		{"empty", ""},
		{"short", tok[:TokenLen-1]},
		{"long", tok + "A"},
		{"standard base64", tok[:TokenLen-1] + "+"},
		{"padding", tok[:TokenLen-1] + "="},
		// The last character of 32 bytes carries 2 unused bits; a
		// non-canonical value decodes to the same bytes and must not be
		// a second spelling of the token.
		{"non-canonical tail", tok[:TokenLen-1] + string(nonCanonicalTail(tok[TokenLen-1]))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := HashToken(tc.tok); !errors.Is(err, ErrInvalid) {
				t.Errorf("HashToken(%q): got %v, want %v", tc.tok, err, ErrInvalid)
			}
		})
	}
}

// nonCanonicalTail returns a base64url character with the same top two bits
// as c but its lowest (unused) bit set; canonical tails have it clear.
func nonCanonicalTail(c byte) byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := bytes.IndexByte([]byte(alphabet), c)
	return alphabet[i|1]
}

func BenchmarkHashToken(b *testing.B) {
	tok, _ := GenerateToken()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := HashToken(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzHashToken checks that only canonical tokens are accepted: every
// accepted string is the unique encoding of 32 bytes.
func FuzzHashToken(f *testing.F) {
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := HashToken(s); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got error %v, want one wrapping ErrInvalid", err)
			}
			return
		}
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(raw) != TokenBytes || base64.RawURLEncoding.EncodeToString(raw) != s {
			t.Fatalf("accepted non-canonical token %q", s)
		}
	})
}
