package auth

import (
	"errors"
	"strings"
	"testing"
)

// fastHasher keeps tests quick; the OWASP parameters are exercised by
// TestHashPasswordDefaults and the benchmarks.
func fastHasher() *PasswordHasher {
	h := NewPasswordHasher()
	h.Params.MemoryKiB, h.Params.Iterations = 64, 1
	return h
}

func mustHash(tb testing.TB, h *PasswordHasher, pw string) string {
	tb.Helper()
	phc, err := h.Hash(pw)
	if err != nil {
		tb.Fatalf("hash %q: %v", pw, err)
	}
	return phc
}

func TestHashPasswordDefaults(t *testing.T) {
	phc, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatalf("hash: %v", err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("got %q, want the OWASP parameters m=19456,t=2,p=1", phc)
	}
	p, err := ParsePHC(phc, DefaultPHCLimits())
	if err != nil {
		t.Fatalf("parse own hash: %v", err)
	}
	if got, want := p.Params, OWASPArgon2Params(); got != want {
		t.Errorf("got params %+v, want %+v", got, want)
	}
	ok, rehash, err := VerifyPassword(phc, "correct horse battery staple")
	if !ok || rehash || err != nil {
		t.Errorf("verify: got (%v, %v, %v), want (true, false, nil)", ok, rehash, err)
	}
	other, _ := HashPassword("correct horse battery staple")
	if other == phc {
		t.Error("two hashes of one password are equal; want distinct salts")
	}
}

func TestVerifyPassword(t *testing.T) {
	h := fastHasher()
	phc := mustHash(t, h, "s3cret-passphrase")
	for _, tc := range []struct {
		name, pw string
		ok       bool
	}{
		{"right", "s3cret-passphrase", true},
		{"wrong", "s3cret-passphrasf", false},
		{"prefix", "s3cret-passphras", false},
		{"empty", "", false},
		{"too long", strings.Repeat("a", 4*h.Policy.MaxRunes+1), false},
		{"invalid utf8", "s3cret-passphrase\xff", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(phc, tc.pw)
			if ok != tc.ok || rehash || err != nil {
				t.Errorf("got (%v, %v, %v), want (%v, false, nil)", ok, rehash, err, tc.ok)
			}
		})
	}
}

func TestVerifyPasswordNeedsRehash(t *testing.T) {
	old := fastHasher()
	phc := mustHash(t, old, "upgrade me please")
	h := fastHasher()
	h.Params.Iterations = 2
	ok, rehash, err := h.Verify(phc, "upgrade me please")
	if !ok || !rehash || err != nil {
		t.Errorf("got (%v, %v, %v), want (true, true, nil)", ok, rehash, err)
	}
	ok, rehash, err = h.Verify(phc, "wrong password!")
	if ok || rehash || err != nil {
		t.Errorf("wrong password: got (%v, %v, %v), want (false, false, nil)", ok, rehash, err)
	}
}

func TestVerifyPasswordNormalises(t *testing.T) {
	h := fastHasher()
	composed := "caf\u00e9-au-lait"    // é as one code point
	decomposed := "cafe\u0301-au-lait" // e + combining acute accent
	phc := mustHash(t, h, composed)
	if ok, _, err := h.Verify(phc, decomposed); !ok || err != nil {
		t.Errorf("decomposed form: got (%v, %v), want (true, nil)", ok, err)
	}
}

func TestVerifyPasswordRejectsTamperedHash(t *testing.T) {
	h := fastHasher()
	phc := mustHash(t, h, "tamper-proof-1")
	for _, tc := range []struct{ name, phc string }{
		{"huge memory", strings.Replace(phc, "m=64,", "m=4294967295,", 1)},
		{"huge time", strings.Replace(phc, "t=1,", "t=100000,", 1)},
		{"zero parallelism", strings.Replace(phc, "p=1$", "p=0$", 1)},
		{"argon2i", strings.Replace(phc, "argon2id", "argon2i", 1)},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, _, err := h.Verify(tc.phc, "tamper-proof-1")
			if ok || !errors.Is(err, ErrInvalid) {
				t.Errorf("got (%v, %v), want (false, %v)", ok, err, ErrInvalid)
			}
		})
	}
}

func TestPasswordPolicy(t *testing.T) {
	p := DefaultPasswordPolicy()
	for _, tc := range []struct {
		name, pw string
		ok       bool
	}{
		{"7 characters", "abcdefg", false},
		{"8 characters", "abcdefgh", true},
		{"8 multibyte characters", "пароль12", true},
		{"7 multibyte characters", "日本語のパスワ", false},
		{"128 characters", strings.Repeat("x", 128), true},
		{"129 characters", strings.Repeat("x", 129), false},
		{"128 four-byte characters", strings.Repeat("😀", 128), true},
		{"no composition rules", "aaaaaaaa", true},
		{"invalid utf8", "abcdefgh\xff", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := p.Check(tc.pw)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Errorf("got %v, want ok=%v (or ErrInvalid)", err, tc.ok)
			}
		})
	}
	if _, err := fastHasher().Hash("short"); !errors.Is(err, ErrInvalid) {
		t.Errorf("hash of a short password: got %v, want %v", err, ErrInvalid)
	}
}

func TestHashRefusesParamsOutsideLimits(t *testing.T) {
	h := fastHasher()
	h.Limits.MaxMemoryKiB = h.Params.MemoryKiB - 1
	if _, err := h.Hash("long enough password"); err == nil {
		t.Error("got nil error for parameters above the limits, want an error")
	}
}

func BenchmarkHashPassword(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := HashPassword("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPassword(b *testing.B) {
	phc, err := HashPassword("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := VerifyPassword(phc, "correct horse battery staple"); !ok || err != nil {
			b.Fatalf("verify: got (%v, %v)", ok, err)
		}
	}
}
