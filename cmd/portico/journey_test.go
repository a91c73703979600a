package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/portico-gw/portico/internal/auth/authhttp"
)

// call sends a request with c (the session's cookie jar) and returns the
// status, the header and the body. header is name, value pairs; a body
// is sent as JSON.
func call(t *testing.T, c *http.Client, method, url, body string, header ...string) (int, http.Header, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet && method != http.MethodHead {
		req.Header.Set(authhttp.CSRFHeader, "1")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// mustCall is call that fails the test unless the status is want, and
// decodes the JSON body into v when v is not nil.
func mustCall(t *testing.T, c *http.Client, want int, v any, method, url, body string, header ...string) http.Header {
	t.Helper()
	status, h, got := call(t, c, method, url, body, header...)
	if status != want {
		t.Fatalf("%s %s = %d %s, want %d", method, url, status, got, want)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(got), v); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, url, got, err)
		}
	}
	return h
}

// TestAllCustomerJourney walks the story the dashboard is for, through
// portico all's gateway only: an administrator creates a customer
// organization and invites its owner; the owner accepts, signs in, enrols
// a second factor, creates an integration and changes its settings; a
// player fetches them from an allowed origin and is refused from another,
// and sends beacons; the owner reads analytics and the overview; a viewer
// may not change settings, nor an API key with a read scope; another
// customer's owner finds nothing; staff bypass the integration and
// players get peer-to-peer off.
func TestAllCustomerJourney(t *testing.T) { customerJourney(t) }

// customerJourney walks the story through portico all started with
// extra, its arguments beyond the addresses and the data directory.
func customerJourney(t *testing.T, extra ...string) {
	const adminPassword = "correct horse battery staple"
	data := filepath.Join(t.TempDir(), "data")
	p, _ := mustStartEnv(t, []string{"PORTICO_ADMIN_PASSWORD=" + adminPassword},
		append([]string{"all", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data-dir", data}, extra...)...)
	gw := p.url("public", "")

	admin, _ := mustLogin(t, gw, defaultAdminEmail, adminPassword)
	var me struct {
		IdentityID    string `json:"identity_id"`
		Staff         bool   `json:"staff"`
		Orgs          []struct{ ID, Role string }
		Profile       map[string]any `json:"profile"`
		Organizations []struct {
			ID    string `json:"id"`
			Slug  string `json:"slug"`
			Staff bool   `json:"staff"`
		} `json:"organizations"`
	}
	mustCall(t, admin, http.StatusOK, &me, http.MethodGet, gw+"/v1/me", "")
	if !me.Staff || len(me.Orgs) != 1 || me.Orgs[0].Role != "owner" || me.Profile == nil ||
		len(me.Organizations) != 1 || !me.Organizations[0].Staff {
		t.Fatalf("administrator's /v1/me = %+v, want staff, owner of the staff organization, a profile", me)
	}
	staffOrg, adminID := me.Organizations[0].ID, me.IdentityID

	// The customer organization, created once whatever the retries.
	var org struct {
		ID string `json:"id"`
	}
	orgBody := `{"name":"Acme Streaming","slug":"acme","plan":{"name":"pro","viewer_cap":5000}}`
	mustCall(t, admin, http.StatusCreated, &org, http.MethodPost, gw+"/v1/orgs", orgBody, "Idempotency-Key", "journey-org-1")
	var again struct {
		ID string `json:"id"`
	}
	h := mustCall(t, admin, http.StatusCreated, &again, http.MethodPost, gw+"/v1/orgs", orgBody, "Idempotency-Key", "journey-org-1")
	if again.ID != org.ID || h.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retried creation = %s (replayed %q), want %s replayed", again.ID, h.Get("Idempotent-Replayed"), org.ID)
	}

	// An invitation's link arrives in the log (development mail), the
	// token in its fragment.
	invite := func(inviter *http.Client, orgID, email, role string) string {
		t.Helper()
		logged := p.logCount()
		mustCall(t, inviter, http.StatusCreated, nil, http.MethodPost, gw+"/v1/orgs/"+orgID+"/invitations",
			`{"email":"`+email+`","role":"`+role+`"}`)
		rec := p.waitLog(t, "mail not sent, logged instead (local use only)", logged)
		for rec["to"] != email {
			logged = p.logCount()
			rec = p.waitLog(t, "mail not sent, logged instead (local use only)", logged)
		}
		link, err := url.Parse(rec["accept_url"].(string))
		if err != nil || !strings.HasPrefix(link.String(), gw+"/accept-invitation#pinv_") {
			t.Fatalf("accept link %v (%v), want one on the gateway's URL", rec["accept_url"], err)
		}
		return link.Fragment
	}
	anon := &http.Client{Timeout: 10 * time.Second}
	// join accepts an invitation without an account and signs in.
	join := func(token, email, password string) *http.Client {
		t.Helper()
		mustCall(t, anon, http.StatusCreated, nil, http.MethodPost, gw+"/v1/invitations/accept",
			`{"token":"`+token+`","password":"`+password+`"}`)
		c, _ := mustLogin(t, gw, email, password)
		return c
	}

	// The owner's invitation. Accepting creates the account; accepting
	// again changes nothing.
	const ownerEmail, ownerPassword = "owner@acme.example", "the owner's own long passphrase"
	token := invite(admin, org.ID, ownerEmail, "owner")
	accept := `{"token":"` + token + `","password":"` + ownerPassword + `","display_name":"Olive Owner"}`
	status, _, got := call(t, anon, http.MethodPost, gw+"/v1/invitations/accept", accept)
	if status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("accept = %d %s", status, got)
	}
	if status, _, got := call(t, anon, http.MethodPost, gw+"/v1/invitations/accept", accept); status != http.StatusOK {
		t.Fatalf("accept again = %d %s, want 200 with the same membership", status, got)
	}

	owner, _ := mustLogin(t, gw, ownerEmail, ownerPassword)
	mustCall(t, owner, http.StatusOK, &me, http.MethodGet, gw+"/v1/me", "")
	if me.Staff || len(me.Orgs) != 1 || me.Orgs[0].ID != org.ID || me.Orgs[0].Role != "owner" || me.Profile["display_name"] != "Olive Owner" {
		t.Fatalf("owner's /v1/me = %+v, want owner of %s, display name from the invitation", me, org.ID)
	}

	// The owner enrols a second factor; from then on the password alone
	// opens no session, the password and a code do.
	owner = mustSignInWithTOTP(t, gw, owner, ownerEmail, ownerPassword)

	// The integration and a change of its settings.
	var in struct {
		ID          string `json:"id"`
		DeliveryKey string `json:"delivery_key"`
	}
	mustCall(t, owner, http.StatusCreated, &in, http.MethodPost, gw+"/v1/orgs/"+org.ID+"/integrations",
		`{"name":"Acme web player","environment":"production","domains":["acme.example","*.cdn.acme.example"]}`)
	base := gw + "/v1/orgs/" + org.ID + "/integrations/" + in.ID
	var settings struct {
		Document map[string]any `json:"document"`
	}
	h = mustCall(t, owner, http.StatusOK, &settings, http.MethodGet, base+"/settings", "")
	etag := h.Get("ETag")
	change := `{"document":{"activation_ratio":0.25,"activation_threshold":3,"content_id":{"source":"url_without_query"},` +
		`"p2p":{"cellular":{"download":true,"upload":false},"wifi_ethernet":{"download":true,"upload":true}}},"message":"roll out to a quarter"}`
	if status, _, got := call(t, owner, http.MethodPut, base+"/settings", change); status != http.StatusPreconditionRequired {
		t.Fatalf("PUT settings without If-Match = %d %s, want 428", status, got)
	}
	mustCall(t, owner, http.StatusOK, nil, http.MethodPut, base+"/settings", change, "If-Match", etag)
	if status, _, got := call(t, owner, http.MethodPut, base+"/settings", change, "If-Match", etag); status != http.StatusPreconditionFailed {
		t.Fatalf("PUT settings with the old ETag = %d %s, want 412", status, got)
	}

	// Nor does a customer see anything of an organization not theirs.
	if status, _, _ := call(t, owner, http.MethodGet, gw+"/v1/orgs/"+staffOrg+"/integrations", ""); status != http.StatusNotFound {
		t.Fatalf("owner listing another organization's integrations = %d, want 404", status)
	}

	// A viewer reads the settings and may not change them.
	const veraEmail, veraPassword = "vera@acme.example", "vera's own long passphrase"
	vera := join(invite(owner, org.ID, veraEmail, "viewer"), veraEmail, veraPassword)
	h = mustCall(t, vera, http.StatusOK, nil, http.MethodGet, base+"/settings", "")
	if status, _, got := call(t, vera, http.MethodPut, base+"/settings", change, "If-Match", h.Get("ETag")); status != http.StatusForbidden {
		t.Fatalf("viewer changing the settings = %d %s, want 403", status, got)
	}

	// The player: the new settings from an allowed origin, nothing from
	// another.
	player := func(origin string) (int, http.Header, string) {
		return call(t, anon, http.MethodGet, gw+"/v1/sdk/config/"+in.DeliveryKey, "", "Origin", origin)
	}
	var cfg struct {
		IntegrationID string `json:"integration_id"`
		Settings      struct {
			ActivationRatio float64 `json:"activation_ratio"`
		} `json:"settings"`
	}
	for _, origin := range []string{"https://www.acme.example", "https://eu.cdn.acme.example", "http://localhost:3000"} {
		status, h, got := player(origin)
		if status != http.StatusOK {
			t.Fatalf("SDK config from %s = %d %s, want 200", origin, status, got)
		}
		if err := json.Unmarshal([]byte(got), &cfg); err != nil || cfg.IntegrationID != in.ID || cfg.Settings.ActivationRatio != 0.25 {
			t.Fatalf("SDK config from %s = %s (%v), want the changed settings of %s", origin, got, err, in.ID)
		}
		if h.Get("Access-Control-Allow-Origin") != origin || h.Get("ETag") == "" {
			t.Errorf("SDK config from %s: CORS %q, ETag %q", origin, h.Get("Access-Control-Allow-Origin"), h.Get("ETag"))
		}
	}
	for _, origin := range []string{"https://acme.example.evil.example", "https://evil.example", "https://cdn.acme.example.com"} {
		status, _, got := player(origin)
		if status != http.StatusForbidden || !strings.Contains(got, `"reason":"origin-not-allowed"`) {
			t.Errorf("SDK config from %s = %d %s, want 403 origin-not-allowed", origin, status, got)
		}
	}

	// The player's heartbeats, then what the owner reads of them: two
	// sessions, one beacon sent twice (counted once), one refused.
	now := time.Now().UnixMilli()
	beacons := fmt.Sprintf(`{"beacons":[`+
		`{"session_id":"s1","seq":0,"time":%d,"content_id":"live-1","stream_type":"live","platform":"web","cdn_bytes":1000,"p2p_bytes":3000,"played_ms":10000,"startup_ms":800},`+
		`{"session_id":"s1","seq":1,"time":%d,"content_id":"live-1","stream_type":"live","platform":"web","cdn_bytes":500,"p2p_bytes":500,"played_ms":10000},`+
		`{"session_id":"s2","seq":0,"time":%d,"content_id":"live-1","stream_type":"live","platform":"web","cdn_bytes":2000,"played_ms":5000},`+
		`{"session_id":"s3","seq":0,"time":%d,"content_id":"live-1","stream_type":"live","platform":"web","cdn_bytes":-1}]}`,
		now-20000, now-10000, now-10000, now)
	post := func(origin string) (int, string) {
		status, _, got := call(t, anon, http.MethodPost, gw+"/v1/beacons", beacons,
			"Portico-Delivery-Key", in.DeliveryKey, "Origin", origin, "X-Client-Country", "FR")
		return status, got
	}
	if status, got := post("https://evil.example"); status != http.StatusForbidden {
		t.Fatalf("beacons from a refused origin = %d %s, want 403", status, got)
	}
	var ingest struct {
		Accepted, Duplicates int
		Refused              []struct{ Index int }
	}
	status, got = post("https://www.acme.example")
	if err := json.Unmarshal([]byte(got), &ingest); status != http.StatusOK || err != nil ||
		ingest.Accepted != 3 || len(ingest.Refused) != 1 || ingest.Refused[0].Index != 3 {
		t.Fatalf("beacons = %d %s, want 3 accepted and the fourth refused", status, got)
	}
	if status, got := post("https://www.acme.example"); status != http.StatusOK || !strings.Contains(got, `"duplicates":3`) {
		t.Fatalf("beacons again = %d %s, want 3 duplicates", status, got)
	}
	var overall struct {
		Data struct {
			Value float64 `json:"value"`
		} `json:"data"`
	}
	for metric, want := range map[string]float64{"viewers": 2, "cdn_bytes": 3500, "p2p_bytes": 3500, "offload_ratio": 0.5} {
		mustCall(t, owner, http.StatusOK, &overall, http.MethodGet,
			gw+"/v1/orgs/"+org.ID+"/analytics/overall?metric="+metric+"&timeframe[]=1h", "")
		if overall.Data.Value != want {
			t.Errorf("%s over the last hour = %v, want %v", metric, overall.Data.Value, want)
		}
	}
	var countries struct {
		Data []struct {
			Value string `json:"value"`
		} `json:"data"`
	}
	mustCall(t, owner, http.StatusOK, &countries, http.MethodGet,
		gw+"/v1/orgs/"+org.ID+"/analytics/dimensions/country?timeframe[]=1h", "")
	for _, c := range countries.Data {
		if c.Value == "FR" {
			t.Errorf("a country a player claimed itself reached analytics: %+v", countries.Data)
		}
	}
	if status, _, _ := call(t, owner, http.MethodGet, gw+"/v1/orgs/"+staffOrg+"/analytics/overall?metric=viewers&timeframe[]=1h", ""); status != http.StatusNotFound {
		t.Errorf("owner reading another organization's analytics = %d, want 404", status)
	}

	// An API key with a read scope reads analytics, and is refused what
	// its scope does not cover.
	var key struct {
		Key string `json:"key"`
	}
	mustCall(t, owner, http.StatusCreated, &key, http.MethodPost, gw+"/v1/orgs/"+org.ID+"/api-keys", `{"name":"reporting","scopes":["analytics:read"]}`)
	script := &http.Client{Timeout: 10 * time.Second}
	auth := []string{"Authorization", "Bearer " + key.Key}
	mustCall(t, script, http.StatusOK, &overall, http.MethodGet, gw+"/v1/orgs/"+org.ID+"/analytics/overall?metric=viewers&timeframe[]=1h", "", auth...)
	if overall.Data.Value != 2 {
		t.Errorf("viewers read with the API key = %v, want 2", overall.Data.Value)
	}
	if status, _, got := call(t, script, http.MethodPut, base+"/settings", change, append(auth, "If-Match", `"1"`)...); status != http.StatusForbidden {
		t.Errorf("API key of scope analytics:read changing settings = %d %s, want 403", status, got)
	}
	if status, _, got := call(t, script, http.MethodGet, base+"/settings", "", auth...); status != http.StatusForbidden {
		t.Errorf("API key of scope analytics:read reading settings = %d %s, want 403", status, got)
	}

	// The member of another customer sees nothing of this one: to them
	// it does not exist.
	var globex struct {
		ID string `json:"id"`
	}
	mustCall(t, admin, http.StatusCreated, &globex, http.MethodPost, gw+"/v1/orgs", `{"name":"Globex","slug":"globex","plan":{"name":"starter"}}`)
	const gusEmail, gusPassword = "gus@globex.example", "gus's own long passphrase"
	gus := join(invite(admin, globex.ID, gusEmail, "owner"), gusEmail, gusPassword)
	for _, path := range []string{"", "/integrations", "/integrations/" + in.ID + "/settings", "/members", "/overview",
		"/analytics/overall?metric=viewers&timeframe[]=1h", "/audit"} {
		status, _, got := call(t, gus, http.MethodGet, gw+"/v1/orgs/"+org.ID+path, "")
		if status != http.StatusNotFound || !strings.Contains(got, "/problems/not-found") {
			t.Errorf("another customer's owner reading %s = %d %s, want 404 not-found", path, status, got)
		}
	}
	if status, _, got := call(t, gus, http.MethodPut, base+"/settings", change, "If-Match", `"1"`); status != http.StatusNotFound {
		t.Errorf("another customer's owner changing the settings = %d %s, want 404", status, got)
	}

	// The overview composes the organization, its integrations and their
	// last day's usage.
	var overview struct {
		Organization struct {
			ID string `json:"id"`
		} `json:"organization"`
		Integrations []struct {
			ID string `json:"id"`
		} `json:"integrations"`
		Usage []struct {
			IntegrationID string `json:"integration_id"`
			Viewers       int64  `json:"viewers"`
			CDNBytes      int64  `json:"cdn_bytes"`
		} `json:"usage"`
		Outcome map[string]any `json:"_outcome"`
	}
	mustCall(t, owner, http.StatusOK, &overview, http.MethodGet, gw+"/v1/orgs/"+org.ID+"/overview", "")
	if overview.Organization.ID != org.ID || len(overview.Integrations) != 1 || overview.Integrations[0].ID != in.ID ||
		len(overview.Usage) != 1 || overview.Usage[0].IntegrationID != in.ID || overview.Usage[0].Viewers != 2 ||
		overview.Usage[0].CDNBytes != 3500 || len(overview.Outcome) == 0 {
		t.Errorf("overview = %+v, want the organization, its integration and its day's usage (2 viewers, 3500 CDN bytes)", overview)
	}
	// Over a timeframe of the caller's choosing, and with a bad one the
	// usage is left out and _outcome says why, the rest still answered.
	mustCall(t, owner, http.StatusOK, &overview, http.MethodGet, gw+"/v1/orgs/"+org.ID+"/overview?timeframe=7d", "")
	if len(overview.Usage) != 1 || overview.Usage[0].Viewers != 2 || overview.Usage[0].CDNBytes != 3500 {
		t.Errorf("overview over 7 days = %+v, want the same day's usage", overview)
	}
	var partial struct {
		Integrations []struct {
			ID string `json:"id"`
		} `json:"integrations"`
		Usage   []any          `json:"usage"`
		Outcome map[string]any `json:"_outcome"`
	}
	mustCall(t, owner, http.StatusOK, &partial, http.MethodGet, gw+"/v1/orgs/"+org.ID+"/overview?timeframe=forever", "")
	if len(partial.Integrations) != 1 || partial.Usage != nil || !strings.Contains(fmt.Sprint(partial.Outcome), "usage") {
		t.Errorf("overview over a bad timeframe = %+v, want the integrations, no usage, and the outcome naming it", partial)
	}
	if status, _, _ := call(t, owner, http.MethodGet, gw+"/v1/orgs/"+staffOrg+"/overview", ""); status != http.StatusNotFound {
		t.Errorf("owner reading another organization's overview = %d, want 404", status)
	}

	// Support's kill switch: staff bypass the integration (its owner may
	// not), and players get peer-to-peer off once the SDK config snapshot
	// has the change (it is re-read every 2 s).
	if status, _, got := call(t, owner, http.MethodPatch, base, `{"status":"bypassed"}`); status != http.StatusForbidden {
		t.Errorf("owner bypassing the integration = %d %s, want 403", status, got)
	}
	mustCall(t, admin, http.StatusOK, nil, http.MethodPatch, base, `{"status":"bypassed"}`)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		status, _, got := player("https://www.acme.example")
		var bypassed struct {
			Status   string `json:"status"`
			Settings struct {
				P2P map[string]any `json:"p2p"`
			} `json:"settings"`
		}
		if status == http.StatusOK && json.Unmarshal([]byte(got), &bypassed) == nil && bypassed.Status == "bypassed" {
			if anyTrue(bypassed.Settings.P2P) || len(bypassed.Settings.P2P) == 0 {
				t.Errorf("SDK config of the bypassed integration = %s, want every p2p flag false", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SDK config after the bypass = %d %s, want status bypassed", status, got)
		}
	}

	// The customer's owner sees who bypassed it: staff, as themselves.
	var trail struct {
		Items []struct {
			Action string `json:"action"`
			Actor  struct {
				ID    string `json:"id"`
				Staff bool   `json:"staff"`
			} `json:"actor"`
		} `json:"items"`
	}
	mustCall(t, owner, http.StatusOK, &trail, http.MethodGet, gw+"/v1/orgs/"+org.ID+"/config-audit", "")
	if len(trail.Items) == 0 || trail.Items[0].Action != "status.changed" || trail.Items[0].Actor.ID != adminID || !trail.Items[0].Actor.Staff {
		t.Errorf("newest entry of the audit trail = %+v, want the bypass, by the administrator (%s) as staff", trail.Items, adminID)
	}

	// The internal delivery-key lookup is not reachable from outside.
	if status, _, _ := call(t, anon, http.MethodGet, gw+"/internal/v1/delivery-keys/"+in.DeliveryKey, ""); status != http.StatusNotFound {
		t.Errorf("internal delivery-key lookup through the gateway = %d, want 404", status)
	}
}

// TestAllDemo: portico all --demo makes, on its first start, a customer
// organization whose members can sign in through the gateway and see a
// day of traffic.
func TestAllDemo(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	p, stdout := mustStartEnv(t, []string{"PORTICO_ADMIN_PASSWORD=correct horse battery staple"},
		"all", "--demo", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data-dir", data)
	deadline := time.Now().Add(3 * time.Minute)
	for !strings.Contains(stdout.String(), "Demo organization") {
		if time.Now().After(deadline) {
			t.Fatalf("no demo after 3 minutes:\n%s", stdout)
		}
		time.Sleep(200 * time.Millisecond)
	}
	gw := p.url("public", "")
	m := regexp.MustCompile(`password: (\S+) \(both`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no demo password in:\n%s", stdout)
	}
	password := m[1]
	viewer, _ := mustLogin(t, gw, demoViewer, password)
	var me struct {
		Orgs []struct{ ID, Role string }
	}
	mustCall(t, viewer, http.StatusOK, &me, http.MethodGet, gw+"/v1/me", "")
	if len(me.Orgs) != 1 || me.Orgs[0].Role != "viewer" {
		t.Fatalf("demo viewer's /v1/me = %+v, want a viewer of one organization", me)
	}
	var overall struct {
		Data struct {
			Value float64 `json:"value"`
		} `json:"data"`
	}
	mustCall(t, viewer, http.StatusOK, &overall, http.MethodGet,
		gw+"/v1/orgs/"+me.Orgs[0].ID+"/analytics/overall?metric=viewers&timeframe[]=24h", "")
	if overall.Data.Value < 100 {
		t.Errorf("demo viewers over a day = %v, want a living dashboard", overall.Data.Value)
	}
}

// anyTrue reports whether v holds true anywhere.
func anyTrue(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case map[string]any:
		for _, e := range v {
			if anyTrue(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if anyTrue(e) {
				return true
			}
		}
	}
	return false
}

// mustSignInWithTOTP enrols a TOTP second factor for the person signed in
// with c, checks that the password alone no longer opens a session, and
// returns a client signed in with the password and a code.
func mustSignInWithTOTP(t *testing.T, gw string, c *http.Client, email, password string) *http.Client {
	t.Helper()
	var enrol struct {
		Secret string `json:"secret"`
	}
	mustCall(t, c, http.StatusCreated, &enrol, http.MethodPost, gw+"/v1/totp", "")
	code := func(at time.Time) string {
		code, err := totp.GenerateCode(enrol.Secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	var codes struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	mustCall(t, c, http.StatusOK, &codes, http.MethodPost, gw+"/v1/totp/confirm", `{"code":"`+code(time.Now())+`"}`)
	if len(codes.RecoveryCodes) == 0 {
		t.Fatal("TOTP confirmed without recovery codes")
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	next := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	var challenge struct {
		Challenge string `json:"challenge"`
	}
	login, _ := json.Marshal(map[string]string{"email": email, "password": password})
	mustCall(t, next, http.StatusOK, &challenge, http.MethodPost, gw+"/v1/login", string(login))
	if challenge.Challenge == "" {
		t.Fatal("sign-in with TOTP enrolled answered no challenge")
	}
	if status, _, got := call(t, next, http.MethodGet, gw+"/v1/me", ""); status != http.StatusUnauthorized {
		t.Fatalf("GET /v1/me after the password alone = %d %s, want 401", status, got)
	}
	// The confirmation spent this time step's code; the next one is
	// accepted too (one step of skew).
	mustCall(t, next, http.StatusOK, nil, http.MethodPost, gw+"/v1/login/second-factor",
		`{"challenge":"`+challenge.Challenge+`","code":"`+code(time.Now().Add(30*time.Second))+`"}`)
	mustCall(t, next, http.StatusOK, nil, http.MethodGet, gw+"/v1/me", "")
	return next
}
