package identity

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func mustJWK(tb testing.TB, kid, alg string, key any) json.RawMessage {
	tb.Helper()
	b, err := jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: "sig"}.MarshalJSON()
	if err != nil {
		tb.Fatalf("encode jwk: %v", err)
	}
	return b
}

func keySetDoc(tb testing.TB, keys ...json.RawMessage) []byte {
	tb.Helper()
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestParseKeySet(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	good := mustJWK(t, "ec", "ES256", &ec.PublicKey)
	ed := mustJWK(t, "ed", "EdDSA", edPub)

	for _, tc := range []struct {
		name     string
		doc      []byte
		wantKIDs []string // nil: want an error
	}{
		{"two keys", keySetDoc(t, good, ed), []string{"ec", "ed"}},
		{"empty set", []byte(`{"keys":[]}`), []string{}},
		{"encryption key skipped", keySetDoc(t, good, json.RawMessage(`{"kty":"EC","use":"enc","kid":"x","alg":"ES256"}`)), []string{"ec"}},
		{"unsupported alg skipped", keySetDoc(t, good, mustJWK(t, "p384", "ES384", &ec384.PublicKey)), []string{"ec"}},
		{"key without alg skipped", keySetDoc(t, good, json.RawMessage(`{"kty":"OKP","crv":"Ed25519","kid":"n","x":"AAAA"}`)), []string{"ec"}},
		{"not JSON", []byte(`{"keys":`), nil},
		{"no keys member", []byte(`{"kids":[]}`), nil},
		{"keys not objects", []byte(`{"keys":[1]}`), nil},
		{"private key published", keySetDoc(t, mustJWK(t, "ed", "EdDSA", edPriv)), nil},
		{"symmetric key published", keySetDoc(t, json.RawMessage(`{"kty":"oct","kid":"h","alg":"HS256","k":"c2VjcmV0"}`)), nil},
		{"duplicate kid", keySetDoc(t, good, good), nil},
		{"key of the wrong type for its alg", keySetDoc(t, mustJWK(t, "ec", "EdDSA", &ec.PublicKey)), nil},
		{"P-384 key for ES256", keySetDoc(t, mustJWK(t, "ec", "ES256", &ec384.PublicKey)), nil},
		{"1024-bit RSA", keySetDoc(t, mustJWK(t, "rs", "RS256", &small.PublicKey)), nil},
		{"undecodable key", keySetDoc(t, json.RawMessage(`{"kty":"EC","crv":"P-256","kid":"b","alg":"ES256","x":"!","y":"!"}`)), nil},
		{"too many keys", keySetDoc(t, mustJWK(t, "a", "ES256", &ec.PublicKey), mustJWK(t, "b", "ES256", &ec.PublicKey), mustJWK(t, "c", "ES256", &ec.PublicKey)), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := parseKeySet(tc.doc, 2)
			if tc.wantKIDs == nil {
				if err == nil {
					t.Fatalf("got keys %v, want an error", keys)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if len(keys) != len(tc.wantKIDs) {
				t.Fatalf("got %d keys, want %v", len(keys), tc.wantKIDs)
			}
			for _, kid := range tc.wantKIDs {
				if k, ok := keys[kid]; !ok || k.KeyID != kid || !k.IsPublic() {
					t.Errorf("kid %s: got %+v, want a public key", kid, k)
				}
			}
		})
	}
}

func TestCacheTTL(t *testing.T) {
	const minTTL, maxTTL, def = 30 * time.Second, time.Hour, 5 * time.Minute
	for _, tc := range []struct {
		header []string
		want   time.Duration
	}{
		{nil, def},
		{[]string{"public, max-age=600"}, 10 * time.Minute},
		{[]string{"public", "MAX-AGE=120"}, 2 * time.Minute},
		{[]string{`max-age="90"`}, 90 * time.Second},
		{[]string{"max-age=1"}, minTTL},
		{[]string{"max-age=99999999999999999999"}, def},
		{[]string{"max-age=9999999999"}, maxTTL},
		{[]string{"max-age=-5"}, def},
		{[]string{"max-age=abc"}, def},
		{[]string{"no-store"}, minTTL},
		{[]string{"max-age=600, no-cache"}, minTTL},
	} {
		t.Run(strings.Join(tc.header, "|"), func(t *testing.T) {
			if got := cacheTTL(tc.header, minTTL, maxTTL, def); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	enc := func(s string) string { return b64url(s) }
	for _, tc := range []struct {
		name, segment string
		want          header
		wantErr       bool
	}{
		{"all three", enc(`{"alg":"ES256","kid":"k","typ":"at+jwt"}`), header{"ES256", "k", "at+jwt"}, false},
		{"alg only", enc(`{"alg":"ES256"}`), header{Alg: "ES256"}, false},
		{"no alg", enc(`{"kid":"k"}`), header{}, true},
		{"alg not a string", enc(`{"alg":1}`), header{}, true},
		{"null", enc(`null`), header{}, true},
		{"array", enc(`[]`), header{}, true},
		{"jwk", enc(`{"alg":"ES256","jwk":{}}`), header{}, true},
		{"cty", enc(`{"alg":"ES256","cty":"JWT"}`), header{}, true},
		{"padded base64", enc(`{"alg":"ES256"}`) + "=", header{}, true},
		{"trailing garbage", enc(`{"alg":"ES256"} x`), header{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseHeader(tc.segment)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("got (%+v, %v), want (%+v, error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
