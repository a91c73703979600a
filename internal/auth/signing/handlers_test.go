package signing_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/portico-gw/portico/internal/auth/signing"
	"github.com/portico-gw/portico/internal/platform/identity"
)

func TestJWKSHandler(t *testing.T) {
	clk := newClock()
	m := mustManager(t, mustSQLiteStore(t), mustKEK(t), testOptions(clk))
	if _, err := m.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := m.JWKSHandler()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", signing.JWKSPath, nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != signing.JWKSContentType {
		t.Fatalf("got status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(doc.Keys) != 2 {
		t.Fatalf("got %d keys, want 2 (active and retired)", len(doc.Keys))
	}
	for _, k := range doc.Keys {
		var names []string
		for name := range k {
			names = append(names, name)
		}
		slices.Sort(names)
		if want := []string{"alg", "crv", "kid", "kty", "use", "x", "y"}; !slices.Equal(names, want) {
			t.Errorf("key members %v, want exactly %v", names, want)
		}
		if k["use"] != "sig" || k["alg"] != "ES256" {
			t.Errorf("got use %v alg %v, want sig ES256", k["use"], k["alg"])
		}
	}

	cc := rec.Header().Get("Cache-Control")
	maxAge, err := strconv.Atoi(strings.TrimPrefix(cc, "public, max-age="))
	if err != nil || time.Duration(maxAge)*time.Second >= signing.DefaultPublishAhead {
		t.Errorf("got Cache-Control %q, want public with a max-age below the pre-publication interval", cc)
	}
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}

	for _, tc := range []struct {
		name, method, ifNoneMatch string
		wantStatus                int
		wantBody                  bool
	}{
		{"matching etag", "GET", etag, http.StatusNotModified, false},
		{"weak matching etag", "GET", `"x", W/` + etag, http.StatusNotModified, false},
		{"other etag", "GET", `"other"`, http.StatusOK, true},
		{"head", "HEAD", "", http.StatusOK, false},
		{"post", "POST", "", http.StatusMethodNotAllowed, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, signing.JWKSPath, nil)
			if tc.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tc.ifNoneMatch)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus || (rec.Body.Len() > 0) != tc.wantBody {
				t.Errorf("got status %d with %d body bytes, want %d with body %v", rec.Code, rec.Body.Len(), tc.wantStatus, tc.wantBody)
			}
		})
	}
}

func TestDiscoveryHandler(t *testing.T) {
	h, err := signing.DiscoveryHandler(testIssuer, []string{"ES256"}, map[string]any{"scopes_supported": []string{"analytics:read"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", signing.DiscoveryPath, nil))
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") == "" || !strings.HasPrefix(rec.Header().Get("Cache-Control"), "public") {
		t.Fatalf("got status %d, headers %v", rec.Code, rec.Header())
	}
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"issuer":                 testIssuer,
		"jwks_uri":               testIssuer + "/.well-known/jwks.json",
		"token_endpoint":         testIssuer + "/oauth2/token",
		"introspection_endpoint": testIssuer + "/oauth2/introspect",
		"revocation_endpoint":    testIssuer + "/oauth2/revoke",
		"grant_types_supported":  []any{"client_credentials", "refresh_token"},
		"scopes_supported":       []any{"analytics:read"},
		// The members OpenID Connect Discovery 1.0 §3 requires, but
		// authorization_endpoint (see DiscoveryHandler): no response type
		// is supported, and only the algorithm in use is advertised.
		"response_types_supported":              []any{},
		"subject_types_supported":               []any{"public"},
		"id_token_signing_alg_values_supported": []any{"ES256"},
	} {
		got, _ := json.Marshal(doc[k])
		w, _ := json.Marshal(want)
		if _, ok := doc[k]; !ok || string(got) != string(w) {
			t.Errorf("%s: got %s, want %s", k, got, w)
		}
	}
	if v, ok := doc["authorization_endpoint"]; ok {
		t.Errorf("authorization_endpoint: got %v, want none (Portico has no authorization endpoint)", v)
	}
	for _, bad := range []string{"", "auth.portico.test", "https://auth.test/?a=b", "https://auth.test/#x"} {
		if _, err := signing.DiscoveryHandler(bad, []string{"ES256"}, nil); err == nil {
			t.Errorf("issuer %q accepted", bad)
		}
	}
	for _, algs := range [][]string{nil, {"HS256"}, {"none"}} {
		if _, err := signing.DiscoveryHandler(testIssuer, algs, nil); err == nil {
			t.Errorf("algorithms %q accepted", algs)
		}
	}
	if _, err := signing.DiscoveryHandler(testIssuer, []string{"ES256"}, map[string]any{"bad": make(chan int)}); err == nil {
		t.Error("an unencodable extra member was accepted")
	}
}

// TestManagerDiscoveryAdvertisesItsAlgorithm checks that the discovery
// document names the algorithm the Manager signs with, not every
// algorithm the package could use.
func TestManagerDiscoveryAdvertisesItsAlgorithm(t *testing.T) {
	for _, alg := range identity.SupportedAlgorithms() {
		t.Run(alg, func(t *testing.T) {
			m := mustManager(t, mustSQLiteStore(t), mustKEK(t), signing.Options{Issuer: testIssuer, Algorithm: alg, Logger: quietLogger()})
			h, err := m.DiscoveryHandler(nil)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", signing.DiscoveryPath, nil))
			var doc struct {
				Algs []string `json:"id_token_signing_alg_values_supported"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Algs) != 1 || doc.Algs[0] != alg {
				t.Errorf("got %v, want [%s]", doc.Algs, alg)
			}
		})
	}
}

// TestGoOIDCVerifies checks the tokens with another implementation:
// github.com/coreos/go-oidc finds the key set through the discovery
// document and verifies the signature, issuer, audience and expiry.
// go-oidc checks no "typ", so it accepts internal tokens too; telling the
// two apart is the job of identity.Verifier.
func TestGoOIDCVerifies(t *testing.T) {
	for _, alg := range identity.SupportedAlgorithms() {
		t.Run(alg, func(t *testing.T) {
			mux := http.NewServeMux()
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			m := mustManager(t, mustSQLiteStore(t), mustKEK(t), signing.Options{
				Issuer: srv.URL, Algorithm: alg, Logger: quietLogger(),
			})
			disc, err := m.DiscoveryHandler(nil)
			if err != nil {
				t.Fatal(err)
			}
			mux.Handle("GET "+signing.DiscoveryPath, disc)
			mux.Handle("GET "+signing.JWKSPath, m.JWKSHandler())

			provider, err := oidc.NewProvider(t.Context(), srv.URL)
			if err != nil {
				t.Fatalf("discover: %v", err)
			}
			const aud = "https://api.portico.test"
			verifier := provider.VerifierContext(t.Context(), &oidc.Config{ClientID: aud, SupportedSigningAlgs: []string{alg}})
			tok, err := m.IssueAccessToken(t.Context(), signing.AccessClaims{
				Subject: "cli_1", ClientID: "cli_1", Audience: []string{aud}, Scopes: []string{"analytics:read"},
			})
			if err != nil {
				t.Fatal(err)
			}
			idt, err := verifier.Verify(t.Context(), tok)
			if err != nil {
				t.Fatalf("go-oidc verify: %v", err)
			}
			var claims struct {
				ClientID string `json:"client_id"`
				Scope    string `json:"scope"`
			}
			if err := idt.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			if idt.Subject != "cli_1" || claims.ClientID != "cli_1" || claims.Scope != "analytics:read" || idt.Issuer != srv.URL {
				t.Errorf("got subject %q, issuer %q, claims %+v", idt.Subject, idt.Issuer, claims)
			}

			other := provider.VerifierContext(t.Context(), &oidc.Config{ClientID: "https://elsewhere.test", SupportedSigningAlgs: []string{alg}})
			if _, err := other.Verify(t.Context(), tok); err == nil {
				t.Error("go-oidc accepted the token for another audience")
			}
			tampered := tok[:len(tok)-4] + "AAAA"
			if tampered == tok {
				tampered = tok[:len(tok)-4] + "BBBB"
			}
			if _, err := verifier.Verify(t.Context(), tampered); err == nil {
				t.Error("go-oidc accepted a tampered signature")
			}
			internal := provider.VerifierContext(t.Context(), &oidc.Config{ClientID: identity.InternalAudience, SupportedSigningAlgs: []string{alg}})
			if _, err := internal.Verify(t.Context(), mustIssueInternal(t, m)); err != nil {
				t.Errorf("go-oidc on an internal token: %v", err)
			}
		})
	}
}
