package authn_test

import (
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/authn/authntest"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/identity/oidctest"
)

// BenchmarkExchangeExternal exchanges an RS256 token of an outside
// provider, on the wall clock: "hit" is the cached path every request
// after the first takes (a hash and a map lookup, as for any credential;
// "hit/large" with a token of 3 KiB); "miss" has the cache of accepted
// credentials off, so every exchange verifies the token, maps it and asks
// the fake auth over loopback HTTP.
func BenchmarkExchangeExternal(b *testing.B) {
	fa := mustFakeAuthWith(b, authntest.Options{Now: time.Now})
	idp := oidctest.New(b, oidctest.Options{})
	keys, err := identity.NewJWKS(identity.JWKSOptions{URL: idp.JWKSURL(), Algorithms: []string{"RS256"}})
	mustNoErr(b, "jwks", err)
	v, err := identity.NewExternalVerifier(identity.ExternalVerifierOptions{Keys: keys, Issuer: idp.Issuer(), Audiences: []string{idpAudience}})
	mustNoErr(b, "verifier", err)
	ext := []authn.ExternalIssuer{{Name: "idp", Verifier: v, OrganizationClaim: "tenant", Organizations: []string{idpOrg}, ScopesClaim: "scp"}}
	claims := map[string]any{"tenant": idpOrg, "scp": []string{"analytics:read", "configs:read"}}
	tok := bearer(idp.Sign(b, idp.Claims("svc-reporting", idpAudience, claims)))
	claims["groups"] = strings.Repeat("g", 2200)
	large := bearer(idp.Sign(b, idp.Claims("svc-reporting", idpAudience, claims)))

	x := fakeExchanger(b, fa, authn.Options{CacheTTL: time.Minute, Now: time.Now, External: ext})
	for name, c := range map[string]authn.Credential{"hit": tok, "hit/large": large} {
		mustExchange(b, x, c)
		b.Run(name, func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := x.Exchange(ctx, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("hit/parallel", func(b *testing.B) {
		ctx := b.Context()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := x.Exchange(ctx, tok); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("miss", func(b *testing.B) {
		x := fakeExchanger(b, fa, authn.Options{CacheTTL: -1, Now: time.Now, External: ext})
		ctx := b.Context()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := x.Exchange(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
