package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/auth/authhttp"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// TestAllRateLimitsCredentialEndpoints checks the strict limits portico
// all's gateway puts on the endpoints that take a credential: five
// attempts at once per client address and endpoint, then 429 from the
// gateway with Retry-After and the RateLimit fields, while another
// endpoint keeps its own allowance.
func TestAllRateLimitsCredentialEndpoints(t *testing.T) {
	const password = "a long test password for the admin"
	p, _ := mustStartEnv(t, []string{"PORTICO_ADMIN_PASSWORD=" + password},
		"all", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "data"))
	gw := p.url("public", "")

	post := func(path string) (*http.Response, string) {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"mfa_token": "not a token", "code": "000000"})
		req, _ := http.NewRequest(http.MethodPost, gw+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(authhttp.CSRFHeader, "1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var pr struct {
			Type string `json:"type"`
		}
		json.Unmarshal(b, &pr)
		return resp, pr.Type
	}

	const limited = problem.TypeBase + "rate-limited"
	for i := range 5 {
		resp, typ := post("/v1/login/second-factor")
		if typ == limited {
			t.Fatalf("attempt %d: refused by the gateway's rate limit, want it passed to auth", i+1)
		}
		if got := resp.Header.Get("RateLimit-Policy"); got != `"credentials";q=10;w=60` {
			t.Errorf("attempt %d: RateLimit-Policy %q", i+1, got)
		}
		if want := `"credentials";r=` + strconv.Itoa(4-i) + `;`; !strings.HasPrefix(resp.Header.Get("RateLimit"), want) {
			t.Errorf("attempt %d: RateLimit %q, want it to start %s", i+1, resp.Header.Get("RateLimit"), want)
		}
	}
	resp, typ := post("/v1/login/second-factor")
	if resp.StatusCode != http.StatusTooManyRequests || typ != limited {
		t.Fatalf("sixth attempt: got %d %s, want 429 %s", resp.StatusCode, typ, limited)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 6 {
		t.Errorf("sixth attempt: Retry-After %q, want 1 to 6 seconds (one request per 6 s)", resp.Header.Get("Retry-After"))
	}

	// Sign-in is another endpoint, with its own five.
	c, _ := mustLogin(t, gw, defaultAdminEmail, password)
	mustBeStaffAdmin(t, c, gw)

	metrics := p.url("admin", "/metrics")
	if got := mustCounter(t, metrics, `portico_gateway_ratelimit_decisions_total{outcome="limited",policy="credentials"}`); got != 1 {
		t.Errorf("limited decisions: got %v, want 1", got)
	}
	if got := mustCounter(t, metrics, `portico_gateway_rejected_requests_total{reason="rate_limited"}`); got != 1 {
		t.Errorf("rejected rate_limited: got %v, want 1", got)
	}
	mustStop(t, p)
}
