package configs

import (
	"errors"
	"strings"
	"testing"
)

func TestParseBundleID(t *testing.T) {
	for _, s := range []string{"com.example.player", "tv.example", "com.Example.Player_2", "org.my-app.ios"} {
		if got, err := ParseBundleID(s); err != nil || got.String() != s {
			t.Errorf("ParseBundleID(%q): got %q, %v, want it back", s, got, err)
		}
	}
	for _, s := range []string{"", "example", "com..example", ".com.example", "com.example.", "com.exa mple", "com.exämple", "com/example", strings.Repeat("a.", 128)} {
		if got, err := ParseBundleID(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseBundleID(%q): got %q, %v, want ErrInvalid", s, got, err)
		}
	}
}
