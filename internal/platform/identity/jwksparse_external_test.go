package identity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"slices"
	"testing"
)

// TestParseKeySetForOutsideIssuers reads one key set as an outside
// issuer's: keys of the allowed algorithms, and keys without "alg" that
// one of them fits.
func TestParseKeySetForOutsideIssuers(t *testing.T) {
	rs, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	doc := keySetDoc(t,
		mustJWK(t, "ps", "PS256", &rs.PublicKey),
		mustJWK(t, "rs-noalg", "", &rs.PublicKey),
		mustJWK(t, "small-noalg", "", &small.PublicKey),
		mustJWK(t, "es384", "ES384", &ec384.PublicKey),
		mustJWK(t, "es384-noalg", "", &ec384.PublicKey),
	)
	for _, tc := range []struct {
		name string
		f    keyFilter
		want []string
	}{
		{"internal", internalKeys(), []string{}},
		{"RSA algorithms, alg named", keyFilter{algs: []string{"RS256", "PS256"}}, []string{"ps"}},
		{"RSA algorithms, without alg too", keyFilter{algs: []string{"RS256", "PS256"}, withoutAlg: true}, []string{"ps", "rs-noalg"}},
		{"ES384 without alg too", keyFilter{algs: []string{"ES384"}, withoutAlg: true}, []string{"es384", "es384-noalg"}},
		{"ES256 fits none of them", keyFilter{algs: []string{"ES256"}, withoutAlg: true}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := parseKeySetFor(doc, DefaultMaxKeys, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, 0, len(keys))
			for kid := range keys {
				got = append(got, kid)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got kids %v, want %v", got, tc.want)
			}
			for kid, k := range keys {
				if k.Algorithm == "" && !slices.ContainsFunc(tc.f.algs, func(a string) bool { return keyFits(k, a) }) {
					t.Errorf("key %s without alg fits none of %v", kid, tc.f.algs)
				}
			}
		})
	}
	// A key that names an algorithm its type does not fit spoils the set.
	bad := keySetDoc(t, mustJWK(t, "lie", "ES256", &ec384.PublicKey))
	if _, err := parseKeySetFor(bad, DefaultMaxKeys, keyFilter{algs: []string{"ES256"}}); err == nil {
		t.Error("P-384 key published for ES256: got no error")
	}
}
