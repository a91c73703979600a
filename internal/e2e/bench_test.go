package e2e

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/gateway"
	"github.com/portico-gw/portico/internal/gateway/authn"
)

// BenchmarkExchangeUncached is a miss: one exchange with the real auth
// service, in process, over loopback HTTP (lookup in SQLite, an ES256
// signature, JSON both ways, and the gateway's verification of the
// token). The hit is BenchmarkExchangeCached in internal/gateway/authn.
func BenchmarkExchangeUncached(b *testing.B) {
	a := mustRealAuth(b, auth.Options{})
	session, _ := a.mustSession(b, "bench@example.com", false, auth.Membership{OrgID: testOrg, Role: auth.RoleAdmin})
	creds := []struct {
		name string
		c    authn.Credential
	}{{"session", session}, {"api_key", a.mustAPIKey(b, session, testOrg)}}
	x := a.mustExchanger(b, authn.Options{CacheTTL: -1})
	for _, nc := range creds {
		b.Run(nc.name, func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := x.Exchange(ctx, nc.c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProxyAuthenticated is internal/gateway's BenchmarkProxy on a
// route that requires a member of the organization in its path: the
// session cookie is exchanged once at the real auth service, then every
// request pays the cache lookup, the policy check and the credential
// swap. The client side is a recorder, so only the upstream leg crosses a
// socket.
func BenchmarkProxyAuthenticated(b *testing.B) {
	a := mustRealAuth(b, auth.Options{})
	session, _ := a.mustSession(b, "bench@example.com", false, auth.Membership{OrgID: "org_a", Role: auth.RoleViewer})
	// The body is made per request, as when this benchmark lived in
	// internal/gateway, so that its figures compare with the old ones.
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, strings.Repeat("x", 1024))
	}))
	b.Cleanup(up.Close)
	gw := mustGateway(b, `
version: 1
auth: {url: "${AUTH}", issuer: "${ISSUER}"}
services:
  a: {targets: ["${A}"]}
routes:
  - {name: items, methods: [GET], path: "/v1/orgs/{org}/items/{id}", service: a, require: {tenant: org}}
`, map[string]string{"AUTH": a.url, "ISSUER": testIssuer, "A": up.URL}, gateway.Options{
		Logger:            slog.New(slog.NewJSONHandler(io.Discard, nil)),
		AccessLog:         io.Discard,
		AuthWorkloadToken: a.workloadToken(),
	})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", "http://gw.example/v1/orgs/org_a/items/42", nil)
		req.RemoteAddr = "192.0.2.10:5555"
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session.Value})
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
