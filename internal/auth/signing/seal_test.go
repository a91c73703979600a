package signing

import (
	"bytes"
	"testing"
)

func TestSealer(t *testing.T) {
	s, err := newSealer(bytes.Repeat([]byte{7}, KEKSize))
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("pkcs8 private key bytes")
	sealed := s.seal("sk_a", secret)
	if bytes.Contains(sealed, secret) {
		t.Fatal("sealed key contains the plaintext")
	}
	if again := s.seal("sk_a", secret); bytes.Equal(again, sealed) {
		t.Error("two seals of the same key are equal; nonces must differ")
	}
	got, err := s.open("sk_a", sealed)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open: got (%q, %v), want the secret", got, err)
	}

	other, err := newSealer(bytes.Repeat([]byte{8}, KEKSize))
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"moved to another kid": func() ([]byte, error) { return s.open("sk_b", sealed) },
		"other KEK":            func() ([]byte, error) { return other.open("sk_a", sealed) },
		"tampered":             func() ([]byte, error) { return s.open("sk_a", flipped) },
		"truncated":            func() ([]byte, error) { return s.open("sk_a", sealed[:10]) },
		"unknown version":      func() ([]byte, error) { return s.open("sk_a", append([]byte{9}, sealed[1:]...)) },
	} {
		if got, err := open(); err == nil {
			t.Errorf("%s: opened to %q, want an error", name, got)
		}
	}
}
