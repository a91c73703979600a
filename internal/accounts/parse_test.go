package accounts

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"
	"time"
)

func FuzzParseCursor(f *testing.F) {
	f.Add(Cursor{At: time.UnixMicro(1700000000123456), Key: NewID(OrgIDPrefix, time.Unix(1700000000, 0))}.String())
	f.Add("")
	f.Add("YTEuMS5vcmdfeA")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCursor(s, ValidOrgID)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got error %v, want one wrapping ErrInvalid", err)
			}
			if SafeMessage(err) == "" {
				t.Fatal("a refused cursor has no safe message")
			}
			return
		}
		if got := c.String(); got != s {
			t.Fatalf("round trip: got %q, want %q", got, s)
		}
	})
}

func TestValidSlug(t *testing.T) {
	for s, want := range map[string]bool{
		"acme": true, "acme-video": true, "a1b": true, "abc": true,
		"ab": false, "-acme": false, "acme-": false, "Acme": false, "acme_video": false,
		"acme video": false, "ac.me": false, "": false,
		"a23456789012345678901234567890123456789012345678901234567890123":  true,
		"a234567890123456789012345678901234567890123456789012345678901234": false,
	} {
		if got := ValidSlug(s); got != want {
			t.Errorf("ValidSlug(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestCanonicalLocale(t *testing.T) {
	for in, want := range map[string]string{"en-gb": "en-GB", "fr": "fr", "pt-BR": "pt-BR"} {
		if got, err := CanonicalLocale(in); err != nil || got != want {
			t.Errorf("CanonicalLocale(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"not a locale", "en_GB_x_y_z_1234567890", "\x00"} {
		if got, err := CanonicalLocale(in); err == nil {
			t.Errorf("CanonicalLocale(%q) = %q, want an error", in, got)
		}
	}
}

func TestInvitationTokenRoundTrip(t *testing.T) {
	tok, hash := NewInvitationToken()
	if len(tok) != InvitationTokenLen {
		t.Errorf("got token length %d, want %d", len(tok), InvitationTokenLen)
	}
	got, err := ParseInvitationToken(tok)
	if err != nil || got != hash {
		t.Errorf("ParseInvitationToken(new token) = %x, %v; want %x", got, err, hash)
	}
	for _, bad := range []string{"", "pinv_", tok[:len(tok)-1], tok + "A", "xinv_" + tok[5:], tok[:len(tok)-1] + "=", tok[:10] + "\n" + tok[11:]} {
		if _, err := ParseInvitationToken(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseInvitationToken(%q): got %v, want ErrInvalid", bad, err)
		}
	}
}

func FuzzParseInvitationToken(f *testing.F) {
	tok, _ := NewInvitationToken()
	f.Add(tok)
	f.Add("")
	f.Add("pinv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB")
	f.Add("pinv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseInvitationToken(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || SafeMessage(err) == "" {
				t.Fatalf("got error %v, want ErrInvalid with a safe message", err)
			}
			return
		}
		// One token, one spelling: only canonical base64url passes.
		body := s[len(InvitationTokenPrefix):]
		raw, derr := base64.RawURLEncoding.DecodeString(body)
		if derr != nil || base64.RawURLEncoding.EncodeToString(raw) != body {
			t.Fatalf("accepted %q, which is not canonical base64url", s)
		}
		if h != sha256.Sum256([]byte(s)) {
			t.Fatal("hash is not the SHA-256 of the token")
		}
	})
}

func TestValidateEmail(t *testing.T) {
	for in, want := range map[string]bool{
		"ada@example.com": true, "Ada.L+x@sub.example.co": true,
		"": false, "ada": false, "ada@": false, "@example.com": false, " ada@example.com": false,
		"Ada <ada@example.com>": false, "ada@[127.0.0.1]": false, "a@b@c": false,
	} {
		if got := ValidateEmail(in) == nil; got != want {
			t.Errorf("ValidateEmail(%q) ok = %v, want %v", in, got, want)
		}
	}
}
