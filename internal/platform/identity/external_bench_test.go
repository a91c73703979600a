package identity_test

import (
	"testing"

	"github.com/portico-gw/portico/internal/platform/identity/oidctest"
)

// BenchmarkVerifyExternal verifies an outside provider's token whose key
// is cached: what the gateway spends on an outside token that misses the
// exchange cache, before it asks auth.
func BenchmarkVerifyExternal(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) {
			clk := newClock()
			p := oidctest.New(b, oidctest.Options{Algorithm: alg, Now: clk.Now})
			v := mustExternalVerifier(b, p, clk, []string{alg}, p.JWKSURL())
			tok := p.Sign(b, p.Claims("svc-reporting", outsideAudience, map[string]any{
				"tenant": "org_acme", "scp": []string{"analytics:read", "configs:read"},
			}))
			if _, err := v.Verify(b.Context(), tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(b.Context(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
