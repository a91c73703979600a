package analyticshttp

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/portico-gw/portico/internal/analytics"
)

// fakeConfigs serves the configs service's delivery-key lookup as
// api/configs.yaml describes it: keyA1 is an active integration of orgA,
// keyDisabled a disabled one, any other key unknown; while down is set,
// every call fails with 500.
func fakeConfigs(t *testing.T, down *atomic.Bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, ok := strings.CutPrefix(r.URL.Path, "/internal/v1/delivery-keys/")
		switch {
		case down.Load() || !ok:
			http.Error(w, "boom", http.StatusInternalServerError)
		case key == keyA1:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"integration_id":"int_a1","org_id":"org_acme","status":"active","environment":"production",` +
				`"previous":false,"domains":["example.com"],"bundle_ids":["com.example.player"]}`))
		case key == keyDisabled:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"integration_id":"int_a3","org_id":"org_acme","status":"disabled","environment":"staging",` +
				`"previous":true,"domains":[],"bundle_ids":[]}`))
		default:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"type":"https://portico.dev/problems/not-found","title":"Not found","status":404}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestResolver(t *testing.T) {
	var down atomic.Bool
	keys, err := analytics.NewHTTPKeyResolver(analytics.KeyResolverOptions{URL: fakeConfigs(t, &down).URL,
		PositiveTTL: -1, NegativeTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	r := NewResolver(keys)
	in, err := r.Resolve(t.Context(), keyA1)
	if err != nil {
		t.Fatalf("known key: %v", err)
	}
	if in.ID != intA1 || in.OrgID != orgA || in.Status != analytics.StatusActive ||
		!slices.Equal(in.Domains, []string{"example.com"}) || !slices.Equal(in.BundleIDs, []string{appBundleID}) {
		t.Errorf("known key: got %+v", in)
	}
	if in, err := r.Resolve(t.Context(), keyDisabled); err != nil || in.Status != analytics.StatusDisabled {
		t.Errorf("disabled key: got %+v, %v", in, err)
	}
	for _, key := range []string{keyUnknown, "malformed"} {
		_, err := r.Resolve(t.Context(), key)
		if analytics.Code(err) != analytics.ErrNotFound || !errors.Is(err, analytics.ErrUnknownKey) {
			t.Errorf("%s: got %v, want not found", key, err)
		}
		if e, ok := errors.AsType[*analytics.Error](err); !ok || e.Reason != analytics.ReasonUnknownKey {
			t.Errorf("%s: got %v, want reason %s", key, err, analytics.ReasonUnknownKey)
		}
	}
	down.Store(true)
	_, err = r.Resolve(t.Context(), keyA1)
	if !errors.Is(err, analytics.ErrResolverUnavailable) || analytics.Code(err) != nil {
		t.Errorf("configs down: got %v (code %v), want unavailable and unclassified", err, analytics.Code(err))
	}
}

// TestIngestThroughResolver posts batches to a Service whose delivery
// keys resolve through Resolver and an HTTPKeyResolver, as in production:
// a known key stores, an unknown one is 404, a configs service that fails
// is 503.
func TestIngestThroughResolver(t *testing.T) {
	var down atomic.Bool
	keys, err := analytics.NewHTTPKeyResolver(analytics.KeyResolverOptions{URL: fakeConfigs(t, &down).URL,
		PositiveTTL: -1, NegativeTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvResolving(t, Options{}, NewResolver(keys))
	body := batch(beacon{session: "s1", at: testNow})
	r := e.post(t, keyA1, allowedOrigin, body)
	if r.status != http.StatusOK || r.body["accepted"] != 1.0 {
		t.Errorf("known key: got %d %s", r.status, r.raw)
	}
	wantProblem(t, "disabled", e.post(t, keyDisabled, allowedOrigin, body), http.StatusForbidden, ProblemBeaconsRefused, "integration-disabled")
	wantProblem(t, "unknown", e.post(t, keyUnknown, allowedOrigin, body), http.StatusNotFound, "not-found", "unknown-delivery-key")
	wantProblem(t, "malformed key", e.post(t, "key", allowedOrigin, body), http.StatusNotFound, "not-found", "unknown-delivery-key")
	down.Store(true)
	r = e.post(t, keyA1, allowedOrigin, body)
	wantProblem(t, "configs down", r, http.StatusServiceUnavailable, "dependency-unavailable", "")
	if r.header.Get("Retry-After") == "" {
		t.Errorf("configs down: no Retry-After")
	}
}
