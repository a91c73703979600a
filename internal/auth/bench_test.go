package auth_test

import (
	"testing"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authtest"
)

// BenchmarkExchangeSession measures the gateway's exchange of a session
// cookie on SQLite: a token hash, two store reads, the directory and an
// ES256 signature.
func BenchmarkExchangeSession(b *testing.B) {
	env := authtest.NewEnv(b, auth.Options{})
	admin(b, env, "bench@example.com", "org_acme")
	ns := mustLogin(b, env, "bench@example.com", "192.0.2.1")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.Service.Exchange(b.Context(), ns.Token, auth.CredentialSession); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExchangeAPIKey measures the exchange of an API key.
func BenchmarkExchangeAPIKey(b *testing.B) {
	env := authtest.NewEnv(b, auth.Options{})
	_, p := admin(b, env, "bench@example.com", "org_acme")
	_, key, err := env.Service.CreateAPIKey(b.Context(), p, "org_acme", auth.CreateAPIKeyRequest{Name: "bench", Scopes: []string{"configs:read"}})
	mustNoErr(b, "create key", err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.Service.Exchange(b.Context(), key, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogin measures a password sign-in with the production argon2id
// parameters (OWASP: 19 MiB, 2 passes), which dominate by design.
func BenchmarkLogin(b *testing.B) {
	env := authtest.NewEnv(b, auth.Options{Hasher: auth.NewPasswordHasher()})
	mustIdentity(b, env, "bench@example.com")
	b.ReportAllocs()
	for b.Loop() {
		mustLogin(b, env, "bench@example.com", "192.0.2.1")
	}
}
