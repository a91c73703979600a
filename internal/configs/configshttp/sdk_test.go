package configshttp

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/configs"
)

// sdk fetches the SDK config of key with the given headers.
func (e *env) sdk(tb testing.TB, key, query string, header map[string]string) response {
	tb.Helper()
	path := "/v1/sdk/config/" + key
	if query != "" {
		path += "?" + query
	}
	return e.send(tb, req{method: "GET", path: path, header: header})
}

// TestSDKConfigOrigins is the table of allowed and refused origins for an
// integration allowing example.com and *.cdn.example.net.
func TestSDKConfigOrigins(t *testing.T) {
	e := newEnv(t, Options{})
	_, key := e.mustIntegration(t, "Main")
	for _, c := range []struct {
		name   string
		header map[string]string
		query  string
		status int
		reason string
		acao   string
	}{
		{"exact", map[string]string{"Origin": "https://example.com"}, "", 200, "", "https://example.com"},
		{"www", map[string]string{"Origin": "https://www.example.com"}, "", 200, "", "https://www.example.com"},
		{"port and case", map[string]string{"Origin": "https://EXAMPLE.com:8443"}, "", 200, "", "https://EXAMPLE.com:8443"},
		{"wildcard", map[string]string{"Origin": "https://a.b.cdn.example.net"}, "", 200, "", "https://a.b.cdn.example.net"},
		{"localhost", map[string]string{"Origin": "http://localhost:3000"}, "", 200, "", "http://localhost:3000"},
		{"loopback v6", map[string]string{"Origin": "http://[::1]:8080"}, "", 200, "", "http://[::1]:8080"},
		{"referer", map[string]string{"Referer": "https://example.com/watch?v=1#t"}, "", 200, "", "https://example.com"},
		{"origin wins over referer", map[string]string{"Origin": "https://evil.test", "Referer": "https://example.com/"}, "", 403, "origin-not-allowed", ""},
		{"bundle id", nil, "bundle_id=com.example.player", 200, "", ""},
		{"escaped bundle id", nil, "bundle_id=com%2Eexample%2Eplayer", 200, "", ""},
		{"subdomain", map[string]string{"Origin": "https://evil.example.com"}, "", 403, "origin-not-allowed", ""},
		{"wildcard base", map[string]string{"Origin": "https://cdn.example.net"}, "", 403, "origin-not-allowed", ""},
		{"suffix trick", map[string]string{"Origin": "https://notexample.com"}, "", 403, "origin-not-allowed", ""},
		{"user info", map[string]string{"Origin": "https://example.com@evil.test"}, "", 403, "origin-not-allowed", ""},
		{"null", map[string]string{"Origin": "null"}, "", 403, "origin-not-allowed", ""},
		{"referer elsewhere", map[string]string{"Referer": "https://evil.test/example.com"}, "", 403, "origin-not-allowed", ""},
		{"nothing", nil, "", 403, "origin-missing", ""},
		{"other app", nil, "bundle_id=com.evil.player", 403, "bundle-id-not-allowed", ""},
		{"bundle id ignored with an origin", map[string]string{"Origin": "https://evil.test"}, "bundle_id=com.example.player", 403, "origin-not-allowed", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.sdk(t, key, c.query, c.header)
			wantStatus(t, c.name, r, c.status)
			if r.body["reason"] != nil && r.body["reason"] != c.reason || c.reason != "" && r.body["reason"] != c.reason {
				t.Errorf("got reason %v, want %q", r.body["reason"], c.reason)
			}
			if got := r.header.Get("Access-Control-Allow-Origin"); got != c.acao {
				t.Errorf("got Access-Control-Allow-Origin %q, want %q", got, c.acao)
			}
			if c.status == 200 {
				if r.header.Get("Cache-Control") != "public, max-age=60" || r.header.Get("Vary") != "Origin" || r.header.Get("ETag") == "" {
					t.Errorf("headers: got %v", r.header)
				}
			} else if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("refusal: got Cache-Control %q, want no-store", r.header.Get("Cache-Control"))
			}
		})
	}
}

func TestSDKConfigBody(t *testing.T) {
	e := newEnv(t, Options{})
	id, key := e.mustIntegration(t, "Main")
	origin := map[string]string{"Origin": "https://example.com"}
	r := e.sdk(t, key, "", origin)
	wantStatus(t, "defaults", r, http.StatusOK)
	if r.body["integration_id"] != id || r.body["status"] != "active" || r.body["settings_version"] != 1.0 {
		t.Errorf("defaults: got %s", r.raw)
	}
	wantStatus(t, "put", e.put(t, id, e.editor(t), `"v1"`,
		`{"document":{"activation_ratio":0.5,"p2p":{"wifi_ethernet":{"upload":true}},"properties":{"live":{"activation_ratio":1,"p2p":{"cellular":{"download":false}}}}}}`),
		http.StatusOK)
	// This replica reloaded after its own change: no poll needed.
	r = e.sdk(t, key, "property=live", origin)
	wantStatus(t, "live", r, http.StatusOK)
	want := `{"activation_ratio":1,"p2p":{"cellular":{"download":false},"wifi_ethernet":{"upload":true}}}`
	if got := compact(t, string(mustJSON(t, r.body["settings"]))); got != want || r.body["property"] != "live" || r.body["settings_version"] != 2.0 {
		t.Errorf("live: got %s, want settings %s", r.raw, want)
	}
	wantProblem(t, "unknown property", e.sdk(t, key, "property=vod", origin), http.StatusNotFound, "not-found")
	wantProblem(t, "unknown key", e.sdk(t, configs.NewDeliveryKey(), "", origin), http.StatusNotFound, "not-found")
	wantProblem(t, "malformed key", e.sdk(t, "nonsense", "", origin), http.StatusNotFound, "not-found")
	wantProblem(t, "bad escape", e.sdk(t, key, "property=%zz", origin), http.StatusBadRequest, "bad-request")
}

func TestSDKConfigNotModified(t *testing.T) {
	e := newEnv(t, Options{})
	id, key := e.mustIntegration(t, "Main")
	origin := "https://example.com"
	r := e.sdk(t, key, "", map[string]string{"Origin": origin})
	etag := r.header.Get("ETag")
	if len(etag) < 3 || etag[0] != '"' || etag[:2] == "W/" {
		t.Fatalf("got ETag %q, want a strong tag", etag)
	}
	for _, inm := range []string{etag, `"x", ` + etag, "W/" + etag, "*"} {
		r = e.sdk(t, key, "", map[string]string{"Origin": origin, "If-None-Match": inm})
		wantStatus(t, "If-None-Match "+inm, r, http.StatusNotModified)
		if r.raw != "" || r.header.Get("ETag") != etag || r.header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("304: got body %q, headers %v", r.raw, r.header)
		}
	}
	wantStatus(t, "other tag", e.sdk(t, key, "", map[string]string{"Origin": origin, "If-None-Match": `"other"`}), http.StatusOK)
	// A refused origin is refused before any 304.
	wantStatus(t, "refused with a tag", e.sdk(t, key, "", map[string]string{"Origin": "https://evil.test", "If-None-Match": etag}), http.StatusForbidden)
	// A change changes the tag.
	e.put(t, id, e.editor(t), `"v1"`, `{"document":{"activation_ratio":0.1}}`)
	r = e.sdk(t, key, "", map[string]string{"Origin": origin, "If-None-Match": etag})
	wantStatus(t, "after a change", r, http.StatusOK)
	if r.header.Get("ETag") == etag {
		t.Error("the ETag did not change with the settings")
	}
}

func TestSDKConfigStatus(t *testing.T) {
	e := newEnv(t, Options{})
	id, key := e.mustIntegration(t, "Main")
	path := integrationsPath(orgA) + "/" + id
	origin := map[string]string{"Origin": "https://example.com"}
	wantStatus(t, "disable", e.do(t, "PATCH", path, e.admin(t), `{"status":"disabled"}`), http.StatusOK)
	r := e.sdk(t, key, "", origin)
	wantProblem(t, "disabled", r, http.StatusForbidden, "sdk-config-refused")
	if r.body["reason"] != "integration-disabled" {
		t.Errorf("disabled: got reason %v", r.body["reason"])
	}
	wantStatus(t, "bypass", e.do(t, "PATCH", path, e.staff(t), `{"status":"bypassed"}`), http.StatusOK)
	r = e.sdk(t, key, "", origin)
	wantStatus(t, "bypassed", r, http.StatusOK)
	var body struct {
		Status   string `json:"status"`
		Settings struct {
			P2P map[string]map[string]bool `json:"p2p"`
		} `json:"settings"`
	}
	if err := json.Unmarshal([]byte(r.raw), &body); err != nil {
		t.Fatal(err)
	}
	if body.Status != "bypassed" || len(body.Settings.P2P) != 2 {
		t.Fatalf("bypassed: got %s", r.raw)
	}
	for network, dirs := range body.Settings.P2P {
		if len(dirs) != 2 || dirs["download"] || dirs["upload"] {
			t.Errorf("bypassed: p2p %s is %v, want download and upload false", network, dirs)
		}
	}
}

// TestSDKConfigOtherReplica checks that a change made through another
// Service on the same store reaches this one's snapshot by polling.
func TestSDKConfigOtherReplica(t *testing.T) {
	e := newEnv(t, Options{PollInterval: 10 * time.Millisecond})
	other := configs.NewService(e.store)
	admin, err := configs.NewPrincipal(mustClaims(t, e, e.admin(t)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := other.CreateIntegration(t.Context(), admin, orgA, configs.NewIntegration{Name: "Elsewhere", Environment: configs.EnvProduction})
	if err != nil {
		t.Fatal(err)
	}
	key := c.Integration.DeliveryKey
	origin := map[string]string{"Origin": "http://localhost"}
	wantStatus(t, "before the poll", e.sdk(t, key, "", origin), http.StatusNotFound)
	ctx, cancel := contextWithCancel(t)
	done := make(chan struct{})
	go func() { e.h.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(t.Context(), "GET", "/v1/sdk/config/"+key, nil)
		req.Header.Set("Origin", "http://localhost")
		e.h.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other replica's integration did not arrive: last status %d", rec.Code)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSDKConfigNotLoaded(t *testing.T) {
	e := newEnv(t, Options{})
	svc := configs.NewService(e.store)
	h, err := NewHandler(svc, Options{Verifier: e.h.o.Verifier, Logger: e.h.o.Logger})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), "GET", "/v1/sdk/config/"+configs.NewDeliveryKey(), nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("before Load: got %d, want 503", rec.Code)
	}
}
