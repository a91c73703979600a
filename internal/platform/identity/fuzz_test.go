package identity_test

import (
	"errors"
	"testing"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// FuzzVerify feeds arbitrary strings to Verify with keys made fresh for
// the run, so no seed can be validly signed: every input must be refused,
// with one of the package's errors, and none may panic.
func FuzzVerify(f *testing.F) {
	f.Add("")
	clk := newClock()
	ec, ed := mustKey(f, "ES256", "k1"), mustKey(f, "EdDSA", "k2")
	keys, err := identity.NewStaticKeys(ec.pub, ed.pub)
	if err != nil {
		f.Fatal(err)
	}
	v := mustVerifier(f, identity.VerifierOptions{
		Keys: keys, Issuer: testIssuer, Audience: identity.InternalAudience,
		Types: []string{identity.InternalTokenType, identity.AccessTokenType}, Now: clk.Now,
	})
	sentinels := []error{
		identity.ErrTooLarge, identity.ErrMalformed, identity.ErrAlgorithm, identity.ErrType,
		identity.ErrUnknownKey, identity.ErrSignature, identity.ErrIssuer, identity.ErrAudience,
		identity.ErrExpired, identity.ErrNotYetValid,
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(t.Context(), token)
		if err == nil || c != nil {
			t.Fatalf("accepted %q: %+v", token, c)
		}
		for _, s := range sentinels {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("error %v wraps none of the package's errors", err)
	})
}
