package identity

import (
	"encoding/base64"
	"errors"
	"net/url"
	"testing"
	"time"
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

// FuzzParseDiscovery feeds arbitrary documents to the discovery parser: it
// never panics, and what it accepts names the issuer asked for and an
// absolute https key set address (http only for an http issuer).
func FuzzParseDiscovery(f *testing.F) {
	const issuer = "https://idp.example"
	f.Add([]byte(`{"issuer":"https://idp.example","jwks_uri":"https://idp.example/keys"}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		u, err := parseDiscovery(doc, issuer)
		if err != nil {
			return
		}
		if p, perr := url.Parse(u); perr != nil || p.Scheme != "https" || p.Host == "" {
			t.Fatalf("accepted jwks_uri %q for an https issuer", u)
		}
	})
}

// FuzzParseExternalClaims feeds arbitrary payloads to the claims parser of
// outside tokens and reads them as a mapping would: nothing panics, and
// the times of whatever parses are UTC.
func FuzzParseExternalClaims(f *testing.F) {
	f.Add([]byte(`{"iss":"https://idp.example","aud":["a","b"],"exp":1900000000.5,"scp":["x","y"],"scope":"x y"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		c, err := parseExternalClaims(payload)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("got error %v, want ErrMalformed", err)
			}
			return
		}
		for _, tm := range []time.Time{c.Expiry, c.IssuedAt, c.NotBefore} {
			if !tm.IsZero() && tm.Location() != time.UTC {
				t.Fatalf("time %v is not UTC", tm)
			}
		}
		for _, name := range []string{"sub", "scope", "scp", "tenant"} {
			c.StringClaim(name)
			c.StringsClaim(name)
		}
	})
}
