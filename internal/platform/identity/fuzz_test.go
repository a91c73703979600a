package identity_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
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

// FuzzPeekIssuer checks PeekIssuer against an obviously correct slow
// reading of the same rule (split on dots, decode, read the member named
// exactly "iss"): they agree on every input, and it never panics.
func FuzzPeekIssuer(f *testing.F) {
	f.Add("")
	f.Add("e30." + b64([]byte(`{"iss":"https://idp.example"}`)) + ".c2ln")
	f.Fuzz(func(t *testing.T, token string) {
		got, err := identity.PeekIssuer(token)
		want, ok := slowPeekIssuer(token)
		if (err == nil) != ok || got != want {
			t.Fatalf("PeekIssuer(%q) = %q, %v; the slow reading gives %q, %v", token, got, err, want, ok)
		}
		if err != nil && !errors.Is(err, identity.ErrMalformed) && !errors.Is(err, identity.ErrTooLarge) {
			t.Fatalf("error %v wraps neither ErrMalformed nor ErrTooLarge", err)
		}
	})
}

func slowPeekIssuer(token string) (string, bool) {
	parts := strings.Split(token, ".")
	if len(token) > identity.DefaultMaxTokenBytes || len(parts) != 3 {
		return "", false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var obj map[string]any
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		return "", false
	}
	iss, ok := obj["iss"].(string)
	return iss, ok && iss != ""
}

// FuzzVerifyExternal feeds arbitrary strings to an ExternalVerifier whose
// keys are made fresh for the run: every input is refused with one of the
// package's errors, and none panics.
func FuzzVerifyExternal(f *testing.F) {
	f.Add("")
	clk := newClock()
	rs, ec := mustKey(f, "RS256", "k1"), mustKey(f, "ES256", "k2")
	keys, err := identity.NewStaticKeys(rs.pub, ec.pub)
	if err != nil {
		f.Fatal(err)
	}
	v, err := identity.NewExternalVerifier(identity.ExternalVerifierOptions{
		Keys: keys, Issuer: testIssuer, Audiences: []string{"api://portico"},
		Algorithms: identity.ExternalAlgorithms(), Now: clk.Now,
	})
	if err != nil {
		f.Fatal(err)
	}
	sentinels := []error{
		identity.ErrTooLarge, identity.ErrMalformed, identity.ErrAlgorithm, identity.ErrType,
		identity.ErrUnknownKey, identity.ErrSignature, identity.ErrIssuer, identity.ErrAudience,
		identity.ErrExpired, identity.ErrNotYetValid, identity.ErrLifetime,
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
