package signing_test

import (
	"net/http/httptest"
	"testing"

	"github.com/portico-gw/portico/internal/auth/signing"
	"github.com/portico-gw/portico/internal/platform/identity"
)

// BenchmarkIssueInternal signs an internal token, the work behind every
// credential exchange the gateway does not find in its cache.
func BenchmarkIssueInternal(b *testing.B) {
	for _, alg := range identity.SupportedAlgorithms() {
		b.Run(alg, func(b *testing.B) {
			o := signing.Options{Issuer: testIssuer, Algorithm: alg, Logger: quietLogger()}
			m := mustManager(b, mustSQLiteStore(b), mustKEK(b), o)
			c := internalClaims()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.IssueInternalToken(b.Context(), c, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkJWKS serves the JWK Set with two keys published.
func BenchmarkJWKS(b *testing.B) {
	m := mustManager(b, mustSQLiteStore(b), mustKEK(b), signing.Options{Issuer: testIssuer, Logger: quietLogger()})
	if _, err := m.Rotate(b.Context()); err != nil {
		b.Fatal(err)
	}
	h := m.JWKSHandler()
	req := httptest.NewRequest("GET", signing.JWKSPath, nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
