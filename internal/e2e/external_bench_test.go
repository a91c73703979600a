package e2e

import (
	"testing"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/identity/oidctest"
)

// BenchmarkExchangeExternalUncached is the miss of an outside provider's
// RS256 token with the real auth service: the gateway verifies and maps it
// (its keys cached), auth checks the organization and signs an internal
// token, the gateway verifies that. The hit is BenchmarkExchangeExternal
// in internal/gateway/authn.
func BenchmarkExchangeExternalUncached(b *testing.B) {
	a := mustRealAuth(b, auth.Options{})
	idp := oidctest.New(b, oidctest.Options{})
	keys, err := identity.NewJWKS(identity.JWKSOptions{URL: idp.JWKSURL(), Algorithms: []string{"RS256"}})
	mustNoErr(b, "jwks", err)
	v, err := identity.NewExternalVerifier(identity.ExternalVerifierOptions{Keys: keys, Issuer: idp.Issuer(), Audiences: []string{"api://portico"}})
	mustNoErr(b, "verifier", err)
	x := a.mustExchanger(b, authn.Options{CacheTTL: -1, External: []authn.ExternalIssuer{{
		Name: "acme", Verifier: v, Organization: testOrg, ScopesClaim: "scp",
	}}})
	tok := authn.Credential{Kind: authn.KindBearer, Value: idp.Sign(b, idp.Claims("svc-reporting", "api://portico",
		map[string]any{"scp": []string{"analytics:read", "configs:read"}}))}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := x.Exchange(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
