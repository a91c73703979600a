package auth

import (
	"errors"
	"testing"
)

const validPHC = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5ayE"

func TestParsePHC(t *testing.T) {
	p, err := ParsePHC(validPHC, DefaultPHCLimits())
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	want := Argon2Params{MemoryKiB: 19456, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}
	if p.Params != want {
		t.Errorf("got params %+v, want %+v", p.Params, want)
	}
	if got := p.String(); got != validPHC {
		t.Errorf("round trip: got %q, want %q", got, validPHC)
	}
}

func TestParsePHCRejects(t *testing.T) {
	for _, tc := range []struct{ name, s string }{
		{"empty", ""},
		{"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5ayE"},
		{"version 16", "$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5ayE"},
		{"params reordered", "$argon2id$v=19$t=2,m=19456,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5ayE"},
		{"leading zero", "$argon2id$v=19$m=019456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5ayE"},
		{"sign", "$argon2id$v=19$m=+19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5ayE"},
		{"memory above cap", "$argon2id$v=19$m=262145,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5ayE"},
		{"memory overflow", "$argon2id$v=19$m=4294967296,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5ayE"},
		{"memory below lanes", "$argon2id$v=19$m=15,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5ayE"},
		{"time zero", "$argon2id$v=19$m=19456,t=0,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5ayE"},
		{"time above cap", "$argon2id$v=19$m=19456,t=17,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5ayE"},
		{"lanes above cap", "$argon2id$v=19$m=19456,t=2,p=17$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5ayE"},
		{"short salt", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5ayE"},
		{"short key", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5"},
		{"padded base64", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA==$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5ayE"},
		{"extra field", validPHC + "$x"},
		{"missing field", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA"},
		{"extra parameter", "$argon2id$v=19$m=19456,t=2,p=1,k=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5ayE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParsePHC(tc.s, DefaultPHCLimits()); !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want %v", err, ErrInvalid)
			}
		})
	}
}

// FuzzParsePHC checks that the parser never panics, that whatever it
// accepts lies within the limits, and that accepted strings round-trip.
func FuzzParsePHC(f *testing.F) {
	f.Add(validPHC)
	lim := DefaultPHCLimits()
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePHC(s, lim)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got error %v, want one wrapping ErrInvalid", err)
			}
			return
		}
		switch {
		case p.Params.MemoryKiB > lim.MaxMemoryKiB, p.Params.Iterations > lim.MaxIterations, p.Params.Iterations == 0,
			p.Params.Parallelism > lim.MaxParallelism, p.Params.Parallelism == 0,
			len(p.Salt) < lim.MinSaltLen, len(p.Salt) > lim.MaxSaltLen,
			len(p.Key) < lim.MinKeyLen, len(p.Key) > lim.MaxKeyLen:
			t.Fatalf("accepted %q with parameters outside the limits: %+v", s, p.Params)
		}
		if got := p.String(); got != s {
			t.Fatalf("round trip: got %q, want %q", got, s)
		}
	})
}
