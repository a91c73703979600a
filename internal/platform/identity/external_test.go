package identity_test

import (
	"crypto/rsa"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/identity/oidctest"
)

const outsideAudience = "api://portico"

// mustExternalVerifier returns a verifier of p's tokens reading p's key
// set at keysURL ("" for discovery) on clk's time.
func mustExternalVerifier(tb testing.TB, p *oidctest.Provider, clk *clock, algs []string, keysURL string) *identity.ExternalVerifier {
	tb.Helper()
	jo := identity.JWKSOptions{Now: clk.Now, RefetchInterval: time.Minute, Algorithms: algs, KeysWithoutAlg: true}
	var keys identity.KeySource
	if keysURL == "" {
		d, err := identity.NewDiscoveredJWKS(identity.DiscoveryOptions{Issuer: p.Issuer(), JWKS: jo})
		if err != nil {
			tb.Fatalf("discovered jwks: %v", err)
		}
		keys = d
	} else {
		jo.URL = keysURL
		keys = mustJWKS(tb, jo)
	}
	v, err := identity.NewExternalVerifier(identity.ExternalVerifierOptions{
		Keys: keys, Issuer: p.Issuer(), Audiences: []string{"other", outsideAudience}, Algorithms: algs, Now: clk.Now,
	})
	if err != nil {
		tb.Fatalf("external verifier: %v", err)
	}
	return v
}

func TestExternalVerifyByDiscovery(t *testing.T) {
	for _, alg := range []string{"RS256", "PS256", "ES256", "ES384", "EdDSA"} {
		for _, omit := range []bool{false, true} {
			name := alg
			if omit {
				name += "/keys without alg"
			}
			t.Run(name, func(t *testing.T) {
				clk := newClock()
				p := oidctest.New(t, oidctest.Options{Algorithm: alg, Now: clk.Now, OmitKeyAlg: omit})
				v := mustExternalVerifier(t, p, clk, []string{alg}, "")
				c, err := v.Verify(t.Context(), p.Sign(t, p.Claims("svc-1", outsideAudience, map[string]any{"scp": []string{"a", "b"}})))
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				if c.Issuer != p.Issuer() || c.Subject != "svc-1" || !c.Expiry.Equal(t0.Add(oidctest.DefaultLifetime)) || !c.IssuedAt.Equal(t0) {
					t.Errorf("got %+v", c)
				}
				if got, ok, err := c.StringsClaim("scp"); !ok || err != nil || !slices.Equal(got, []string{"a", "b"}) {
					t.Errorf("scp: got %v, %v, %v", got, ok, err)
				}
				if p.DiscoveryFetches() != 1 || p.KeyFetches() != 1 {
					t.Errorf("got %d discovery and %d key fetches, want 1 and 1", p.DiscoveryFetches(), p.KeyFetches())
				}
			})
		}
	}
}

// TestExternalRefusals signs what an attacker would, each refused with
// the reason named.
func TestExternalRefusals(t *testing.T) {
	clk := newClock()
	p := oidctest.New(t, oidctest.Options{Now: clk.Now})
	stranger := oidctest.New(t, oidctest.Options{Now: clk.Now})
	v := mustExternalVerifier(t, p, clk, []string{"RS256", "PS256"}, p.JWKSURL())
	claims := func(extra map[string]any) map[string]any { return p.Claims("svc-1", outsideAudience, extra) }
	priv := p.Key(p.Kid())
	cases := []struct {
		name  string
		token string
		want  error
	}{
		{"alg none", oidctest.Unsigned(t, p.Kid(), claims(nil)), identity.ErrAlgorithm},
		{"hmac keyed with the public key", oidctest.SignJOSE(t, jose.HS256, p.PublicKeyPEM(t), p.Kid(), claims(nil)), identity.ErrAlgorithm},
		{"another provider's key under this kid", stranger.SignWithKid(t, stranger.Kid(), claims(nil)), identity.ErrSignature},
		{"another issuer", stranger.Sign(t, stranger.Claims("svc-1", outsideAudience, nil)), identity.ErrSignature},
		{"this key, another iss", p.Sign(t, claims(map[string]any{"iss": stranger.Issuer()})), identity.ErrIssuer},
		{"wrong audience", p.Sign(t, claims(map[string]any{"aud": "api://elsewhere"})), identity.ErrAudience},
		{"no audience", p.Sign(t, claims(map[string]any{"aud": nil})), identity.ErrAudience},
		{"expired", p.Sign(t, claims(map[string]any{"iat": t0.Add(-2 * time.Hour).Unix(), "exp": t0.Add(-time.Minute).Unix()})), identity.ErrExpired},
		{"not yet valid", p.Sign(t, claims(map[string]any{"nbf": t0.Add(time.Minute).Unix()})), identity.ErrNotYetValid},
		{"issued in the future", p.Sign(t, claims(map[string]any{"iat": t0.Add(time.Minute).Unix()})), identity.ErrNotYetValid},
		{"no exp", p.Sign(t, claims(map[string]any{"exp": nil})), identity.ErrMalformed},
		{"lives too long", p.Sign(t, claims(map[string]any{"exp": t0.Add(48 * time.Hour).Unix()})), identity.ErrLifetime},
		{"no iat, lives too long", p.Sign(t, claims(map[string]any{"iat": nil, "exp": t0.Add(25 * time.Hour).Unix()})), identity.ErrLifetime},
		{"exp of the wrong type", p.Sign(t, claims(map[string]any{"exp": "tomorrow"})), identity.ErrMalformed},
		{"unknown kid", oidctest.SignJOSE(t, jose.RS256, priv, "k-invented", claims(nil)), identity.ErrUnknownKey},
		{"algorithm not allowed", oidctest.SignJOSE(t, jose.RS512, priv, p.Kid(), claims(nil)), identity.ErrAlgorithm},
		// The key set names RS256 for the key: PS256, though allowed and of
		// the same key type, is not what the key was published for.
		{"allowed algorithm the key was not published for", oidctest.SignJOSE(t, jose.PS256, priv, p.Kid(), claims(nil)), identity.ErrAlgorithm},
		{"portico's internal type", mustToken(t, priv.(*rsa.PrivateKey), map[string]any{"alg": "RS256", "kid": p.Kid(), "typ": identity.InternalTokenType}, claims(nil)), identity.ErrType},
		{"key in the header", mustToken(t, priv.(*rsa.PrivateKey), map[string]any{"alg": "RS256", "kid": p.Kid(), "jku": stranger.JWKSURL()}, claims(nil)), identity.ErrMalformed},
		{"no kid", mustToken(t, priv.(*rsa.PrivateKey), map[string]any{"alg": "RS256"}, claims(nil)), identity.ErrMalformed},
		{"not a JWT", "abc.def", identity.ErrMalformed},
		{"too large", strings.Repeat("a", identity.DefaultMaxTokenBytes+1), identity.ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(t.Context(), tc.token)
			if c != nil || !errors.Is(err, tc.want) {
				t.Errorf("got %+v, %v; want %v", c, err, tc.want)
			}
		})
	}
	// A thumbprint beside the kid, as some providers send, is let pass.
	tok := mustToken(t, priv.(*rsa.PrivateKey), map[string]any{"alg": "RS256", "kid": p.Kid(), "typ": "JWT", "x5t": "AAAAAAAAAAAAAAAAAAAAAAAAAAA"}, claims(nil))
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Errorf("token with x5t: %v", err)
	}
}

// TestExternalKeysWithoutAlg checks a key published without "alg": it
// verifies every allowed algorithm its type fits, and no other.
func TestExternalKeysWithoutAlg(t *testing.T) {
	clk := newClock()
	p := oidctest.New(t, oidctest.Options{Now: clk.Now, OmitKeyAlg: true})
	v := mustExternalVerifier(t, p, clk, []string{"RS256", "PS256", "ES256"}, p.JWKSURL())
	priv := p.Key(p.Kid())
	claims := p.Claims("svc-1", outsideAudience, nil)
	for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.PS256} {
		if _, err := v.Verify(t.Context(), oidctest.SignJOSE(t, alg, priv, p.Kid(), claims)); err != nil {
			t.Errorf("%s with an RSA key without alg: %v", alg, err)
		}
	}
	// An ES256 header on the RSA key: allowed algorithm, wrong key type.
	es := mustToken(t, mustKey(t, "ES256", "").priv, map[string]any{"alg": "ES256", "kid": p.Kid()}, claims)
	if _, err := v.Verify(t.Context(), es); !errors.Is(err, identity.ErrAlgorithm) {
		t.Errorf("ES256 on an RSA key: got %v, want ErrAlgorithm", err)
	}
}

func TestExternalDiscoveryIssuerMismatch(t *testing.T) {
	clk := newClock()
	p := oidctest.New(t, oidctest.Options{Now: clk.Now})
	p.SetDiscoveredIssuer("https://impostor.example")
	v := mustExternalVerifier(t, p, clk, nil, "")
	tok := p.Sign(t, p.Claims("svc-1", outsideAudience, nil))
	for range 5 {
		if _, err := v.Verify(t.Context(), tok); !errors.Is(err, identity.ErrKeysUnavailable) {
			t.Fatalf("got %v, want ErrKeysUnavailable", err)
		}
	}
	if got := p.DiscoveryFetches(); got != 1 {
		t.Errorf("got %d discovery fetches within one refetch interval, want 1", got)
	}
	if p.KeyFetches() != 0 {
		t.Errorf("the key set of a document that states another issuer was fetched")
	}
	p.SetDiscoveredIssuer(p.Issuer())
	clk.Advance(time.Minute)
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Errorf("after the document was fixed and the interval passed: %v", err)
	}
}

func TestExternalVerifierOptions(t *testing.T) {
	keys, err := identity.NewStaticKeys(mustKey(t, "ES256", "k1").pub)
	if err != nil {
		t.Fatal(err)
	}
	ok := identity.ExternalVerifierOptions{Keys: keys, Issuer: "https://idp.example", Audiences: []string{"a"}}
	if _, err := identity.NewExternalVerifier(ok); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	for name, mod := range map[string]func(o *identity.ExternalVerifierOptions){
		"no keys":           func(o *identity.ExternalVerifierOptions) { o.Keys = nil },
		"no issuer":         func(o *identity.ExternalVerifierOptions) { o.Issuer = "" },
		"no audience":       func(o *identity.ExternalVerifierOptions) { o.Audiences = nil },
		"internal audience": func(o *identity.ExternalVerifierOptions) { o.Audiences = []string{identity.InternalAudience} },
		"hmac":              func(o *identity.ExternalVerifierOptions) { o.Algorithms = []string{"HS256"} },
		"none":              func(o *identity.ExternalVerifierOptions) { o.Algorithms = []string{"none"} },
		"empty algorithms":  func(o *identity.ExternalVerifierOptions) { o.Algorithms = []string{} },
		"internal type":     func(o *identity.ExternalVerifierOptions) { o.Types = []string{identity.InternalTokenType} },
		"negative skew":     func(o *identity.ExternalVerifierOptions) { o.ClockSkew = -time.Second },
	} {
		o := ok
		mod(&o)
		if _, err := identity.NewExternalVerifier(o); err == nil {
			t.Errorf("%s: got no error", name)
		}
	}
	if _, err := identity.NewJWKS(identity.JWKSOptions{URL: "https://idp.example/keys", Algorithms: []string{"HS256"}}); err == nil {
		t.Error("jwks with HS256: got no error")
	}
}

func TestPeekIssuer(t *testing.T) {
	for tok, want := range map[string]string{
		b64([]byte(`{}`)) + "." + b64([]byte(`{"iss":"https://idp.example","sub":"x"}`)) + ".sig": "https://idp.example",
		"." + b64([]byte(`{"iss":"a"}`)) + ".":                                                    "a",
	} {
		if got, err := identity.PeekIssuer(tok); err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", tok, got, err, want)
		}
	}
	for name, tok := range map[string]string{
		"two parts":        "a." + b64([]byte(`{"iss":"a"}`)),
		"four parts":       "a." + b64([]byte(`{"iss":"a"}`)) + ".b.c",
		"not base64":       "a.!!.b",
		"padded":           "a." + b64([]byte(`{"iss":"a"}`)) + "=.b",
		"not an object":    "a." + b64([]byte(`["iss"]`)) + ".b",
		"no iss":           "a." + b64([]byte(`{"sub":"a"}`)) + ".b",
		"iss not a string": "a." + b64([]byte(`{"iss":1}`)) + ".b",
		"empty iss":        "a." + b64([]byte(`{"iss":""}`)) + ".b",
		"upper-case ISS":   "a." + b64([]byte(`{"ISS":"a"}`)) + ".b",
		"too large":        "a." + strings.Repeat("A", identity.DefaultMaxTokenBytes) + ".b",
	} {
		if got, err := identity.PeekIssuer(tok); err == nil {
			t.Errorf("%s: got %q, want an error", name, got)
		}
	}
}
