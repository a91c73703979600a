package configshttp

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

func TestInternalDeliveryKey(t *testing.T) {
	e := newEnv(t, Options{})
	id, key := e.mustIntegration(t, "Main")
	path := "/internal/v1/delivery-keys/" + key
	wantStatus(t, "no token", e.do(t, "GET", path, "", ""), http.StatusUnauthorized)
	wantStatus(t, "gateway", e.do(t, "GET", path, e.workloadToken(t, workload.Gateway), ""), http.StatusForbidden)
	wantStatus(t, "internal token", e.do(t, "GET", path, e.staff(t), ""), http.StatusUnauthorized)
	analytics := e.workloadToken(t, workload.Analytics)
	r := e.do(t, "GET", path, analytics, "")
	wantStatus(t, "analytics", r, http.StatusOK)
	if r.body["integration_id"] != id || r.body["org_id"] != orgA || r.body["previous"] != false || r.body["status"] != "active" ||
		r.header.Get("Cache-Control") != "max-age=30" {
		t.Errorf("lookup: got %s %v", r.raw, r.header)
	}
	if _, ok := r.body["previous_key_expires_at"]; ok {
		t.Errorf("current key has an expiry: %s", r.raw)
	}
	// mustIntegration gave "example.com", "*.cdn.example.net" and
	// "com.example.player": analytics gets them as stored.
	if got, want := fmt.Sprint(r.body["domains"]), "[example.com *.cdn.example.net]"; got != want {
		t.Errorf("domains: got %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(r.body["bundle_ids"]), "[com.example.player]"; got != want {
		t.Errorf("bundle_ids: got %s, want %s", got, want)
	}
	// Canonical forms, and an empty list is [] (never null).
	wantStatus(t, "patch", e.do(t, "PATCH", integrationsPath(orgA)+"/"+id, e.admin(t),
		`{"domains":["www.Example.org"],"bundle_ids":[]}`), http.StatusOK)
	r = e.do(t, "GET", path, analytics, "")
	if !strings.Contains(r.raw, `"domains":["example.org"]`) || !strings.Contains(r.raw, `"bundle_ids":[]`) {
		t.Errorf("after patch: got %s", r.raw)
	}
	wantStatus(t, "rotate", e.do(t, "POST", integrationsPath(orgA)+"/"+id+"/delivery-key/rotate", e.admin(t), `{"overlap_seconds":60}`), http.StatusOK)
	r = e.do(t, "GET", path, analytics, "")
	if r.status != http.StatusOK || r.body["previous"] != true || r.body["previous_key_expires_at"] == nil {
		t.Errorf("previous key: got %s", r.raw)
	}
	for _, k := range []string{configs.NewDeliveryKey(), "nonsense"} {
		r = e.do(t, "GET", "/internal/v1/delivery-keys/"+k, analytics, "")
		wantProblem(t, "unknown "+k, r, http.StatusNotFound, "not-found")
		if r.header.Get("Cache-Control") != "max-age=10" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("unknown: got headers %v", r.header)
		}
	}
}

// mustClaims verifies a token of the env, as the middleware would.
func mustClaims(tb testing.TB, e *env, token string) *identity.Claims {
	tb.Helper()
	c, err := e.h.o.Verifier.Verify(tb.Context(), token)
	if err != nil {
		tb.Fatalf("verify: %v", err)
	}
	return c
}

func contextWithCancel(tb testing.TB) (context.Context, context.CancelFunc) {
	return context.WithCancel(tb.Context())
}

func TestNewHandlerNeedsVerifier(t *testing.T) {
	if _, err := NewHandler(nil, Options{}); err == nil {
		t.Error("got no error without a Verifier")
	}
}
