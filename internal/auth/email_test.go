package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateEmail(t *testing.T) {
	for _, tc := range []struct {
		email string
		ok    bool
	}{
		{"ada@example.com", true},
		{"Ada.Lovelace+dash@Example.COM", true},
		{"", false},
		{"ada", false},
		{"@example.com", false},
		{"ada@", false},
		{"Ada <ada@example.com>", false},
		{" ada@example.com", false},
		{"ada@[192.0.2.1]", false},
		{strings.Repeat("a", 243) + "@example.com", false},
	} {
		err := ValidateEmail(tc.email)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("ValidateEmail(%q): got %v, want ok=%v", tc.email, err, tc.ok)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	if got, want := NormalizeEmail(" Ada.Lovelace@Example.COM "), "ada.lovelace@example.com"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
