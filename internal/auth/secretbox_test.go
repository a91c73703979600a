package auth

import (
	"bytes"
	"strings"
	"testing"
)

func TestSecretBox(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	box, err := newSecretBox(key)
	if err != nil {
		t.Fatalf("new box: %v", err)
	}
	sealed := box.seal([]byte("JBSWY3DPEHPK3PXP"), []byte("usr_a"))
	if !strings.HasPrefix(sealed, "v1:") || strings.Contains(sealed, "JBSWY3DPEHPK3PXP") {
		t.Fatalf("got sealed %q, want v1: and no clear text", sealed)
	}
	got, err := box.open(sealed, []byte("usr_a"))
	if err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Errorf("open: got (%q, %v), want the secret", got, err)
	}
	other, _ := newSecretBox(bytes.Repeat([]byte{8}, 32))
	for name, tc := range map[string]struct {
		box    secretBox
		sealed string
		aad    string
	}{
		"other owner":  {box, sealed, "usr_b"},
		"other key":    {other, sealed, "usr_a"},
		"no key":       {secretBox{}, sealed, "usr_a"},
		"tampered":     {box, sealed[:len(sealed)-2] + "AA", "usr_a"},
		"truncated":    {box, "v1:AAAA", "usr_a"},
		"unknown form": {box, "v9:AAAA", "usr_a"},
	} {
		if _, err := tc.box.open(tc.sealed, []byte(tc.aad)); err == nil {
			t.Errorf("%s: got no error, want one", name)
		}
	}
	if _, err := newSecretBox(make([]byte, 16)); err == nil {
		t.Error("16-byte key: got no error, want one")
	}
	plain := secretBox{}.seal([]byte("abc"), nil)
	if got, err := box.open(plain, nil); err != nil || string(got) != "abc" {
		t.Errorf("open v0: got (%q, %v), want abc", got, err)
	}
}
