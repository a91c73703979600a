package accounts

import (
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
