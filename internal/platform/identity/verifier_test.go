package identity_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portico-gw/portico/internal/platform/identity"
)

func TestVerifyInternalToken(t *testing.T) {
	for _, alg := range identity.SupportedAlgorithms() {
		t.Run(alg, func(t *testing.T) {
			clk := newClock()
			k := mustKey(t, alg, "k-"+alg)
			srv := newJWKSServer(t, 300, k.pub)
			v := mustRemoteVerifier(t, srv, clk)

			c, err := v.Verify(t.Context(), mustToken(t, k.priv, internalHeader(k), internalClaims(clk.Now())))
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			want := &identity.Claims{
				Type: identity.InternalTokenType, Issuer: testIssuer, Subject: "usr_01JDQ0N4Y3T2ZB8VJX6K9M4R7P",
				Audience: []string{identity.InternalAudience}, ID: "j1",
				IssuedAt: t0, Expiry: t0.Add(5 * time.Minute),
				Scopes: []string{"configs:read", "analytics:read"}, Kind: identity.KindUser,
				Orgs: []identity.OrgRole{{ID: "org_acme", Role: "admin"}}, CredentialID: "ses_1",
			}
			if !reflect.DeepEqual(c, want) {
				t.Errorf("claims:\n got %+v\nwant %+v", c, want)
			}
			if role, ok := c.Role("org_acme"); !ok || role != "admin" {
				t.Errorf("Role(org_acme): got (%q, %v), want (admin, true)", role, ok)
			}
			if !c.HasScope("analytics:read") || c.HasScope("analytics") {
				t.Errorf("HasScope: got wrong answers for %v", c.Scopes)
			}
		})
	}
}

func TestVerifyClockSkew(t *testing.T) {
	clk := newClock()
	k := mustKey(t, "ES256", "k1")
	v := mustRemoteVerifier(t, newJWKSServer(t, 300, k.pub), clk)
	claims := internalClaims(t0)
	claims["nbf"] = t0.Add(4 * time.Second).Unix()
	tok := mustToken(t, k.priv, internalHeader(k), claims)
	if identity.DefaultClockSkew != 5*time.Second {
		t.Fatalf("DefaultClockSkew = %v, want 5s", identity.DefaultClockSkew)
	}

	for _, tc := range []struct {
		name string
		at   time.Time
		want error
	}{
		{"nbf within skew", t0, nil},
		{"nbf beyond skew", t0.Add(-2 * time.Second), identity.ErrNotYetValid},
		{"exp within skew", t0.Add(5*time.Minute + 4*time.Second), nil},
		{"exp at skew", t0.Add(5*time.Minute + 5*time.Second), identity.ErrExpired},
		{"exp 29 s ago", t0.Add(5*time.Minute + 29*time.Second), identity.ErrExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk.mu.Lock()
			clk.now = tc.at
			clk.mu.Unlock()
			_, err := v.Verify(t.Context(), tok)
			if tc.want == nil && err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if tc.want != nil {
				wantErrIs(t, "verify", err, tc.want)
			}
		})
	}
}

// TestVerifyLifetime checks that a token whose exp − iat exceeds the
// verifier's maximum is refused however valid its signature: a leaked key
// must not mint long-lived tokens.
func TestVerifyLifetime(t *testing.T) {
	clk := newClock()
	k := mustKey(t, "ES256", "k1")
	srv := newJWKSServer(t, 300, k.pub)
	tokenLiving := func(life time.Duration) string {
		c := internalClaims(t0)
		c["exp"] = t0.Add(life).Unix()
		return mustToken(t, k.priv, internalHeader(k), c)
	}
	for _, tc := range []struct {
		name    string
		maxLife time.Duration
		life    time.Duration
		want    error
	}{
		{"default max, 5 minutes", 0, 5 * time.Minute, nil},
		{"default max, exactly 10 minutes", 0, identity.DefaultMaxLifetime, nil},
		{"default max, 10 minutes and 1 s", 0, identity.DefaultMaxLifetime + time.Second, identity.ErrLifetime},
		{"default max, a year", 0, 365 * 24 * time.Hour, identity.ErrLifetime},
		{"1 h max, 1 hour", time.Hour, time.Hour, nil},
		{"1 h max, 2 hours", time.Hour, 2 * time.Hour, identity.ErrLifetime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := mustVerifier(t, identity.VerifierOptions{
				Keys: mustJWKS(t, identity.JWKSOptions{URL: srv.URL, Now: clk.Now}), Issuer: testIssuer,
				Audience: identity.InternalAudience, MaxLifetime: tc.maxLife, Now: clk.Now,
			})
			_, err := v.Verify(t.Context(), tokenLiving(tc.life))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			wantErrIs(t, "verify", err, tc.want)
		})
	}
	if _, err := identity.NewVerifier(identity.VerifierOptions{
		Keys: mustJWKS(t, identity.JWKSOptions{URL: srv.URL}), Issuer: testIssuer, Audience: identity.InternalAudience, MaxLifetime: -time.Second,
	}); err == nil {
		t.Error("negative max lifetime: got nil error, want one")
	}
}

// TestVerifyAttacks presents tokens built to get past a careless verifier;
// each must fail with the error that names why, and none may make the
// verifier fetch the key set more than once.
func TestVerifyAttacks(t *testing.T) {
	clk := newClock()
	ec := mustKey(t, "ES256", "ec-1")
	rs := mustKey(t, "RS256", "rs-1")
	attacker := mustKey(t, "ES256", "ec-1") // same kid, other key
	attackerRSA := mustKey(t, "RS256", "rs-evil")
	srv := newJWKSServer(t, 300, ec.pub, rs.pub)
	v := mustRemoteVerifier(t, srv, clk)

	ecPublicJWK, err := json.Marshal(ec.pub)
	if err != nil {
		t.Fatal(err)
	}
	ecPublicDER, err := x509.MarshalPKIXPublicKey(ec.pub.Key)
	if err != nil {
		t.Fatal(err)
	}
	attackerJWK := attacker.pub
	attackerJWK.KeyID = "ec-1"

	now := clk.Now()
	h, c := internalHeader(ec), internalClaims(now)
	valid := mustToken(t, ec.priv, h, c)
	parts := strings.Split(valid, ".")

	for _, tc := range []struct {
		name  string
		token string
		want  error
	}{
		{"alg none", mustToken(t, nil, with(h, "alg", "none"), c), identity.ErrAlgorithm},
		{"alg none without signature part", strings.Join(parts[:2], ".") + ".", identity.ErrSignature},
		{"HS256 keyed with the public JWK", mustToken(t, ecPublicJWK, with(h, "alg", "HS256"), c), identity.ErrAlgorithm},
		{"HS256 keyed with the public key DER", mustToken(t, ecPublicDER, with(h, "alg", "HS256"), c), identity.ErrAlgorithm},
		{"RS256 header naming an EC key", mustToken(t, attackerRSA.priv, with(h, "alg", "RS256"), c), identity.ErrAlgorithm},
		{"ES256 header naming an RSA key", mustToken(t, attacker.priv, with(h, "kid", "rs-1"), c), identity.ErrAlgorithm},
		{"unknown kid", mustToken(t, attacker.priv, with(h, "kid", "ec-2"), c), identity.ErrUnknownKey},
		{"no kid", mustToken(t, ec.priv, with(h, "kid", nil), c), identity.ErrMalformed},
		{"other key under a known kid", mustToken(t, attacker.priv, h, c), identity.ErrSignature},
		{"jwk header with the attacker's key", mustToken(t, attacker.priv, with(h, "jwk", attackerJWK), c), identity.ErrMalformed},
		{"jku header", mustToken(t, attacker.priv, with(h, "jku", "https://evil.test/jwks.json"), c), identity.ErrMalformed},
		{"x5u header", mustToken(t, attacker.priv, with(h, "x5u", "https://evil.test/cert.pem"), c), identity.ErrMalformed},
		{"x5c header", mustToken(t, attacker.priv, with(h, "x5c", []string{base64.StdEncoding.EncodeToString(ecPublicDER)}), c), identity.ErrMalformed},
		{"crit header", mustToken(t, ec.priv, with(h, "crit", []string{"exp"}), c), identity.ErrMalformed},
		{"upper-case ALG", mustToken(t, ec.priv, with(with(h, "alg", nil), "ALG", "ES256"), c), identity.ErrMalformed},
		{"expired", mustToken(t, ec.priv, h, with(with(c, "exp", now.Add(-time.Minute).Unix()), "iat", now.Add(-6*time.Minute).Unix())), identity.ErrExpired},
		{"not yet valid", mustToken(t, ec.priv, h, with(c, "nbf", now.Add(time.Minute).Unix())), identity.ErrNotYetValid},
		{"issued in the future", mustToken(t, ec.priv, h, with(c, "iat", now.Add(time.Minute).Unix())), identity.ErrNotYetValid},
		{"wrong audience", mustToken(t, ec.priv, h, with(c, "aud", "https://api.portico.test")), identity.ErrAudience},
		{"no audience", mustToken(t, ec.priv, h, with(c, "aud", nil)), identity.ErrAudience},
		{"wrong issuer", mustToken(t, ec.priv, h, with(c, "iss", "https://evil.test")), identity.ErrIssuer},
		{"access token where an internal one is required", mustToken(t, ec.priv, with(h, "typ", identity.AccessTokenType), c), identity.ErrType},
		{"plain JWT typ", mustToken(t, ec.priv, with(h, "typ", "JWT"), c), identity.ErrType},
		{"no typ", mustToken(t, ec.priv, with(h, "typ", nil), c), identity.ErrType},
		{"no exp", mustToken(t, ec.priv, h, with(c, "exp", nil)), identity.ErrMalformed},
		{"no sub", mustToken(t, ec.priv, h, with(c, "sub", nil)), identity.ErrMalformed},
		{"unknown principal kind", mustToken(t, ec.priv, h, with(c, "kind", "robot")), identity.ErrMalformed},
		{"tampered payload", parts[0] + "." + b64(mustJSON(t, with(c, "staff", true))) + "." + parts[2], identity.ErrSignature},
		{"tampered header", b64(mustJSON(t, with(h, "typ", "application/"+identity.InternalTokenType))) + "." + parts[1] + "." + parts[2], identity.ErrSignature},
		{"truncated signature", valid[:len(valid)-8], identity.ErrSignature},
		{"truncated to two parts", parts[0] + "." + parts[1], identity.ErrMalformed},
		{"four parts", valid + ".x", identity.ErrMalformed},
		{"header not base64", "!!." + parts[1] + "." + parts[2], identity.ErrMalformed},
		{"header not an object", b64([]byte(`["alg"]`)) + "." + parts[1] + "." + parts[2], identity.ErrMalformed},
		{"oversized", parts[0] + "." + strings.Repeat("A", identity.DefaultMaxTokenBytes) + "." + parts[2], identity.ErrTooLarge},
		{"empty", "", identity.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(t.Context(), tc.token)
			if c != nil {
				t.Errorf("got claims %+v, want none", c)
			}
			wantErrIs(t, "verify", err, tc.want)
		})
	}
	if _, err := v.Verify(t.Context(), valid); err != nil {
		t.Errorf("the untampered token: got error %v, want none", err)
	}
	if got := srv.hits.Load(); got != 1 {
		t.Errorf("got %d key set fetches, want 1 (unknown kids within the refetch interval fetch nothing)", got)
	}
}

func TestVerifyAccessTokens(t *testing.T) {
	clk := newClock()
	k := mustKey(t, "ES256", "k1")
	keys, err := identity.NewStaticKeys(k.pub)
	if err != nil {
		t.Fatal(err)
	}
	v := mustVerifier(t, identity.VerifierOptions{
		Keys: keys, Issuer: testIssuer, Audience: "https://api.portico.test",
		Types: []string{"application/AT+JWT"}, MaxLifetime: time.Hour, Now: clk.Now,
	})
	claims := map[string]any{
		"iss": testIssuer, "sub": "cli_1", "aud": []string{"https://api.portico.test"}, "client_id": "cli_1",
		"scope": "analytics:read", "iat": t0.Unix(), "exp": t0.Add(time.Hour).Unix(), "jti": "a1", "org_id": "org_acme",
	}
	for _, typ := range []string{"at+jwt", "application/at+jwt", "AT+JWT"} {
		c, err := v.Verify(t.Context(), mustToken(t, k.priv, map[string]any{"alg": "ES256", "kid": "k1", "typ": typ}, claims))
		if err != nil {
			t.Fatalf("typ %s: %v", typ, err)
		}
		if c.Type != identity.AccessTokenType || c.ClientID != "cli_1" || c.OrgID != "org_acme" || !c.HasScope("analytics:read") {
			t.Errorf("typ %s: got claims %+v", typ, c)
		}
	}
	_, err = v.Verify(t.Context(), mustToken(t, k.priv, internalHeader(k), with(claims, "aud", identity.InternalAudience)))
	wantErrIs(t, "internal token where an access token is required", err, identity.ErrType)
}

// with returns a copy of m with k set to v, or removed when v is nil.
func with(m map[string]any, k string, v any) map[string]any {
	out := maps.Clone(m)
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

func TestNewVerifierRejects(t *testing.T) {
	keys, err := identity.NewStaticKeys()
	if err != nil {
		t.Fatal(err)
	}
	base := identity.VerifierOptions{Keys: keys, Issuer: testIssuer, Audience: identity.InternalAudience}
	for _, tc := range []struct {
		name   string
		mutate func(*identity.VerifierOptions)
	}{
		{"no keys", func(o *identity.VerifierOptions) { o.Keys = nil }},
		{"no issuer", func(o *identity.VerifierOptions) { o.Issuer = "" }},
		{"no audience", func(o *identity.VerifierOptions) { o.Audience = "" }},
		{"audience and any audience", func(o *identity.VerifierOptions) { o.AnyAudience = true }},
		{"alg none", func(o *identity.VerifierOptions) { o.Algorithms = []string{"ES256", "none"} }},
		{"alg HS256", func(o *identity.VerifierOptions) { o.Algorithms = []string{"HS256"} }},
		{"empty algorithm list", func(o *identity.VerifierOptions) { o.Algorithms = []string{} }},
		{"empty type list", func(o *identity.VerifierOptions) { o.Types = []string{} }},
		{"untyped tokens with any audience", func(o *identity.VerifierOptions) { o.Audience, o.AnyAudience, o.Types = "", true, []string{""} }},
		{"negative skew", func(o *identity.VerifierOptions) { o.ClockSkew = -time.Second }},
		{"negative size", func(o *identity.VerifierOptions) { o.MaxTokenBytes = -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.mutate(&o)
			if _, err := identity.NewVerifier(o); err == nil {
				t.Error("got nil error, want one")
			}
		})
	}
}

func TestStaticKeysRejects(t *testing.T) {
	ec := mustKey(t, "ES256", "k1")
	priv := ec.pub
	priv.Key = ec.priv
	mismatched := ec.pub
	mismatched.Algorithm = "EdDSA"
	noKID := ec.pub
	noKID.KeyID = ""
	for name, keys := range map[string][]jose.JSONWebKey{
		"private key":   {priv},
		"alg mismatch":  {mismatched},
		"no kid":        {noKID},
		"duplicate kid": {ec.pub, ec.pub},
	} {
		if _, err := identity.NewStaticKeys(keys...); err == nil {
			t.Errorf("%s: got nil error, want one", name)
		}
	}
	if _, err := identity.NewStaticKeys(ec.pub); err != nil {
		t.Errorf("valid key: %v", err)
	}
}
