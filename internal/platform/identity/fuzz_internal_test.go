package identity

import (
	"encoding/base64"
	"errors"
	"testing"
)

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// FuzzParseHeader feeds arbitrary header segments to parseHeader: it must
// never panic, must fail with ErrMalformed, and anything it accepts must
// have an alg.
func FuzzParseHeader(f *testing.F) {
	f.Add(b64url(`{"alg":"ES256","kid":"k1","typ":"portico-internal+jwt"}`))
	f.Fuzz(func(t *testing.T, segment string) {
		h, err := parseHeader(segment)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("got error %v, want one wrapping ErrMalformed", err)
			}
			return
		}
		if h.Alg == "" {
			t.Fatalf("accepted header %q without alg", segment)
		}
	})
}

// FuzzParseKeySet feeds arbitrary documents to the key set parser: it must
// never panic, and every key it returns must be public, named by its kid
// and fit its algorithm.
func FuzzParseKeySet(f *testing.F) {
	f.Add([]byte(`{"keys":[]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		keys, err := parseKeySet(doc, DefaultMaxKeys)
		if err != nil {
			return
		}
		if len(keys) > DefaultMaxKeys {
			t.Fatalf("got %d keys, limit %d", len(keys), DefaultMaxKeys)
		}
		for kid, k := range keys {
			if kid != k.KeyID || !k.IsPublic() {
				t.Fatalf("key %q: kid %q, public %v", kid, k.KeyID, k.IsPublic())
			}
			if err := CheckKey(k.Algorithm, k.Key); err != nil {
				t.Fatalf("key %q: %v", kid, err)
			}
		}
	})
}
