package authn_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/gateway/authn"
)

// FuzzExtract checks Extract's promises on any headers: it never panics;
// it returns a credential or an error, never both; a credential is of a
// known kind, non-empty, bounded, free of separators, and an API key
// exactly when it has the prefix; and the same request extracts the same.
func FuzzExtract(f *testing.F) {
	f.Add("Bearer "+accessToken, "", "theme=dark")
	f.Add("Bearer "+apiKey, apiKey, "")
	f.Add("", "", authn.DefaultCookieName+"="+sessionToken)
	f.Add("Bearer "+accessToken, "", authn.DefaultCookieName+"="+sessionToken)
	f.Add("Basic dXNlcjpwYXNz", "", "")
	f.Add("bearer\t x==", "ptc_", authn.DefaultCookieName+`=""; `+authn.DefaultCookieName+"=a")
	o := authn.ExtractOptions{APIKeyHeader: "X-API-Key"}
	f.Fuzz(func(t *testing.T, authorization, apiKeyHeader, cookie string) {
		var headers []string
		for _, h := range [][2]string{{"Authorization", authorization}, {"X-API-Key", apiKeyHeader}, {"Cookie", cookie}} {
			if h[1] != "" {
				headers = append(headers, h[0], h[1])
			}
		}
		c, ok, err := authn.Extract(request(headers...), o)
		c2, ok2, err2 := authn.Extract(request(headers...), o)
		if c != c2 || ok != ok2 || (err == nil) != (err2 == nil) {
			t.Fatalf("two extractions differ: (%s, %t, %v) and (%s, %t, %v)", c, ok, err, c2, ok2, err2)
		}
		if err != nil {
			if ok || c != (authn.Credential{}) {
				t.Fatalf("got a credential (%s) and error %v, want only the error", c, err)
			}
			if !errors.Is(err, authn.ErrAmbiguous) && !errors.Is(err, authn.ErrMalformed) {
				t.Fatalf("got error %v, want ErrAmbiguous or ErrMalformed", err)
			}
			return
		}
		if !ok {
			if c != (authn.Credential{}) {
				t.Fatalf("got credential %s with ok false", c)
			}
			return
		}
		switch c.Kind {
		case authn.KindSession, authn.KindBearer, authn.KindAPIKey:
		default:
			t.Fatalf("got kind %q", c.Kind)
		}
		if c.Value == "" || len(c.Value) > authn.MaxCredentialLen || strings.ContainsAny(c.Value, " \t;,\"\\\r\n") {
			t.Fatalf("got value %q, want a non-empty bounded token", c.Value)
		}
		if c.Kind != authn.KindSession && (c.Kind == authn.KindAPIKey) != strings.HasPrefix(c.Value, authn.APIKeyPrefix) {
			t.Fatalf("got kind %s for value %q", c.Kind, c.Value)
		}
	})
}
