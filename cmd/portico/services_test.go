package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/sqldb/sqldbtest"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// TestConfigsAlone runs `portico configs` as production does, on each
// database backend by --db: internal tokens verified against auth's key
// set (a stand-in auth here), the delivery-key lookup admitted for the
// analytics workload only, the SDK config answered to anyone from an
// allowed origin.
func TestConfigsAlone(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			dsn := b.DSN(t)
			iss := mustWorkloadIssuer(t, nil)
			auth := newFakeAuth(t, iss)
			p := mustStart(t, "configs", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
				"--data-dir", filepath.Join(t.TempDir(), "data"), "--db", dsn,
				"--auth-issuer", fakeIssuer, "--auth-jwks-url", auth.srv.URL+"/.well-known/jwks.json",
				"--workload-issuer", iss.URL(), "--workload-jwks-url", iss.JWKSURL())
			const org = "org_01JDQ0N4Y3T2ZB8VJX6K9M4R7A"
			owner := auth.sign(t, auth.trusted, "trusted", identity.InternalTokenType, func(c *identity.Claims) {
				c.Subject = "usr_01JDQ0N4Y3T2ZB8VJX6K9M4R7P"
				c.Orgs = []identity.OrgRole{{ID: org, Role: "owner"}}
			})

			if code, body := mustGet(t, p.url("admin", "/readyz")); code != http.StatusOK {
				t.Fatalf("/readyz = %d %s", code, body)
			}
			// The gateway's health checks probe the public port.
			if code, body := mustGet(t, p.url("public", "/healthz")); code != http.StatusOK {
				t.Fatalf("public /healthz = %d %s", code, body)
			}
			status, body := postJSON(t, p.url("public", "/v1/orgs/"+org+"/integrations"), owner,
				`{"name":"Web","environment":"production","domains":["example.com"]}`)
			if status != http.StatusCreated {
				t.Fatalf("create integration = %d %s", status, body)
			}
			var in struct {
				DeliveryKey string `json:"delivery_key"`
			}
			if err := json.Unmarshal([]byte(body), &in); err != nil {
				t.Fatal(err)
			}
			forged := auth.sign(t, auth.untrusted, "trusted", identity.InternalTokenType, func(c *identity.Claims) {
				c.Subject = "usr_01JDQ0N4Y3T2ZB8VJX6K9M4R7P"
				c.Orgs = []identity.OrgRole{{ID: org, Role: "owner"}}
			})
			if status, body := getWith(t, p.url("public", "/v1/orgs/"+org+"/integrations"), forged); status != http.StatusUnauthorized {
				t.Errorf("list with a forged token = %d %s, want 401", status, body)
			}

			sdk := p.url("public", "/v1/sdk/config/"+in.DeliveryKey)
			if status, body := getWith(t, sdk, "", "Origin", "https://www.example.com"); status != http.StatusOK {
				t.Errorf("SDK config from an allowed origin = %d %s", status, body)
			}
			if status, body := getWith(t, sdk, "", "Origin", "https://example.org"); status != http.StatusForbidden {
				t.Errorf("SDK config from another origin = %d %s, want 403", status, body)
			}

			lookup := p.url("public", "/internal/v1/delivery-keys/"+in.DeliveryKey)
			for _, tc := range []struct {
				name, token string
				want        int
			}{
				{"analytics", mustMintWorkload(t, iss, workload.Analytics, workload.Configs), http.StatusOK},
				{"the gateway", mustMintWorkload(t, iss, workload.Gateway, workload.Configs), http.StatusForbidden},
				{"analytics, for another callee", mustMintWorkload(t, iss, workload.Analytics, workload.Auth), http.StatusUnauthorized},
				{"no token", "", http.StatusUnauthorized},
			} {
				if status, body := getWith(t, lookup, tc.token); status != tc.want {
					t.Errorf("delivery-key lookup by %s = %d %s, want %d", tc.name, status, body, tc.want)
				}
			}
		})
	}
}

// TestServicesRefuseIncompleteSettings checks the settings portico
// accounts and portico configs refuse before they open anything.
func TestServicesRefuseIncompleteSettings(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"configs", "--data-dir", dir}, "--auth-issuer"},
		{[]string{"accounts", "--data-dir", dir}, "--auth-issuer"},
		{[]string{"accounts", "--data-dir", dir, "--auth-issuer", "https://p.example"}, "no way to send invitation mail"},
		{[]string{"accounts", "--data-dir", dir, "--auth-issuer", "https://p.example", "--dev-log-mail",
			"--auth-url", "http://auth:8081"}, "--auth-token-file"},
		{[]string{"accounts", "--data-dir", dir, "--auth-issuer", "https://p.example", "--dev-log-mail",
			"--accept-url", "https://p.example/accept#x"}, "--accept-url"},
		{[]string{"configs", "--data-dir", dir, "--auth-issuer", "https://p.example", "--poll-interval", "0s"}, "--poll-interval"},
		{[]string{"auth", "--data-dir", dir, "--dev-log-mail", "--dev-keys-in-data-dir", "--accounts-url", "http://accounts:8082"}, "--accounts-token-file"},
	} {
		var out, errOut strings.Builder
		code := run(t.Context(), tc.args, mapEnv(nil), &out, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("portico %s: exit %d, stderr %q; want 1 naming %s", strings.Join(tc.args, " "), code, errOut.String(), tc.want)
		}
	}
}

// getWith gets url with the bearer token (none when "") and header pairs,
// and returns the status and the body.
func getWith(t *testing.T, url, token string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAnalyticsThroughNATS runs `portico configs` and `portico analytics`
// as production does, analytics publishing accepted beacons to a
// JetStream stream of its own on the real NATS server and writing them
// with its consumer: a player's batch is answered at once, its figures
// appear once the writer has stored it, and a retried batch changes
// nothing.
func TestAnalyticsThroughNATS(t *testing.T) {
	natsURL := os.Getenv("PORTICO_TEST_NATS_URL")
	if natsURL == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but PORTICO_TEST_NATS_URL is not set; the NATS tests must run in CI")
		}
		t.Skip("NATS tests skipped: set PORTICO_TEST_NATS_URL")
	}
	stream := fmt.Sprintf("PORTICO_TEST_%d", time.Now().UnixNano())
	t.Cleanup(func() { deleteStream(t, natsURL, stream) })

	iss := mustWorkloadIssuer(t, nil)
	auth := newFakeAuth(t, iss)
	common := []string{"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--auth-issuer", fakeIssuer, "--auth-jwks-url", auth.srv.URL + "/.well-known/jwks.json",
		"--workload-issuer", iss.URL(), "--workload-jwks-url", iss.JWKSURL()}
	configs := mustStart(t, append([]string{"configs", "--data-dir", filepath.Join(t.TempDir(), "configs")}, common...)...)
	const org = "org_01JDQ0N4Y3T2ZB8VJX6K9M4R7A"
	owner := auth.sign(t, auth.trusted, "trusted", identity.InternalTokenType, func(c *identity.Claims) {
		c.Subject = "usr_01JDQ0N4Y3T2ZB8VJX6K9M4R7P"
		c.Orgs = []identity.OrgRole{{ID: org, Role: "owner"}}
	})
	status, body := postJSON(t, configs.url("public", "/v1/orgs/"+org+"/integrations"), owner,
		`{"name":"Web","environment":"production","domains":["example.com"]}`)
	if status != http.StatusCreated {
		t.Fatalf("create integration = %d %s", status, body)
	}
	var in struct {
		DeliveryKey string `json:"delivery_key"`
	}
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(t.TempDir(), "configs-token")
	mustWrite(t, tokenFile, mustMintWorkload(t, iss, workload.Analytics, workload.Configs))
	analytics := mustStart(t, append([]string{"analytics", "--data-dir", filepath.Join(t.TempDir(), "analytics"),
		"--configs-url", configs.url("public", ""), "--configs-token-file", tokenFile,
		"--nats-url", natsURL, "--nats-stream", stream, "--nats-writers", "1"}, common...)...)

	now := time.Now().UnixMilli()
	batch := fmt.Sprintf(`{"beacons":[`+
		`{"session_id":"a","seq":0,"time":%d,"content_id":"c","stream_type":"vod","platform":"web","cdn_bytes":100,"p2p_bytes":300},`+
		`{"session_id":"b","seq":0,"time":%d,"content_id":"c","stream_type":"vod","platform":"web","cdn_bytes":50}]}`, now-5000, now-4000)
	for range 2 { // the retry is deduplicated by the stream and by the store
		status, body := postJSON(t, analytics.url("public", "/v1/beacons"), "", batch,
			"Portico-Delivery-Key", in.DeliveryKey, "Origin", "https://example.com")
		if status != http.StatusOK {
			t.Fatalf("POST /v1/beacons = %d %s", status, body)
		}
	}
	overall := analytics.url("public", "/v1/orgs/"+org+"/analytics/overall?metric=cdn_bytes&timeframe[]=1h")
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, body := getWith(t, overall, owner)
		if status == http.StatusOK && strings.Contains(body, `"value":150`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cdn_bytes through the stream = %d %s, want 150 once the writer has stored the batch", status, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v := mustCounter(t, analytics.url("admin", "/metrics"), `portico_analytics_stream_consumed_beacons_total{outcome="stored"}`); v != 2 {
		t.Errorf("beacons the writer stored = %v, want 2", v)
	}
	// A batch from a page the integration does not allow: its two
	// beacons are counted as refused, by reason.
	if status, body := postJSON(t, analytics.url("public", "/v1/beacons"), "", batch,
		"Portico-Delivery-Key", in.DeliveryKey, "Origin", "https://elsewhere.example"); status != http.StatusForbidden {
		t.Fatalf("POST /v1/beacons from another origin = %d %s, want 403", status, body)
	}
	if v := mustCounter(t, analytics.url("admin", "/metrics"), `portico_analytics_beacons_refused_total{reason="origin-not-allowed"}`); v != 2 {
		t.Errorf("beacons refused for their origin = %v, want 2", v)
	}
}

// deleteStream removes a test's JetStream stream.
func deleteStream(t *testing.T, url, name string) {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Errorf("delete stream %s: %v", name, err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err == nil {
		err = js.DeleteStream(context.Background(), name)
	}
	if err != nil {
		t.Errorf("delete stream %s: %v", name, err)
	}
}
