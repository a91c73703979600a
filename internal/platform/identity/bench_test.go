package identity_test

import (
	"testing"

	"github.com/portico-gw/portico/internal/platform/identity"
)

// BenchmarkVerify verifies an internal token whose key is cached, the
// path every proxied request takes in every service.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range identity.SupportedAlgorithms() {
		b.Run(alg, func(b *testing.B) {
			clk := newClock()
			k := mustKey(b, alg, "k1")
			srv := newJWKSServer(b, 3600, k.pub)
			v := mustRemoteVerifier(b, srv, clk)
			tok := mustToken(b, k.priv, internalHeader(k), internalClaims(t0))
			if _, err := v.Verify(b.Context(), tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := v.Verify(b.Context(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
