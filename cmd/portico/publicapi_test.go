package main

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/platform/openapitest"
)

// publicAPIDoc is the OpenAPI document of the public API, which api/gen
// generates from the built-in gateway configuration and the services'
// documents.
var publicAPIDoc = filepath.Join("..", "..", "api", "portico.yaml")

// publicAPIMaxMissed is how many of api/portico.yaml's operations
// TestAllPublicAPIWalk may leave unexercised: none, as it exercises all 71
// today (one, resending an invitation, only as far as its 429, since a
// resend waits a minute). A route added to the configuration fails the
// walk, naming the operation, until the walk calls it.
const publicAPIMaxMissed = 0

// TestAllPublicAPIDocumentsEveryRoute holds api/portico.yaml to the
// built-in gateway configuration: every method of every route is an
// operation of the document, and every operation a route's.
func TestAllPublicAPIDocumentsEveryRoute(t *testing.T) {
	cfg, err := config.Parse(allGatewayConfigName, allGatewayConfig, allConfigEnv)
	if err != nil {
		t.Fatalf("built-in gateway config: %v", err)
	}
	var routes []string
	for _, r := range cfg.Routes {
		if r.Static != nil {
			continue // the dashboard's files are not operations of the API
		}
		for _, m := range r.Methods {
			routes = append(routes, m+" "+r.Path)
		}
	}
	openapitest.Load(t, publicAPIDoc).CheckRoutes(t, routes)
}

// TestAllPublicAPIWalk walks through the public API of portico all's
// gateway, every request and answer validated against api/portico.yaml:
// an administrator creates an organization and its owner; the owner sets
// up an integration and its settings, keys and clients, invites people
// and reads the analytics of the beacons a player sends; a machine client
// and an API key use their scopes; the owner turns a second factor on and
// off and changes and resets a password. First it checks that the
// running gateway routes exactly the methods the document gives each
// path.
func TestAllPublicAPIWalk(t *testing.T) {
	const adminPassword = "correct horse battery staple"
	doc := openapitest.Load(t, publicAPIDoc)
	data := filepath.Join(t.TempDir(), "data")
	p, _ := mustStartEnv(t, []string{"PORTICO_ADMIN_PASSWORD=" + adminPassword},
		"all", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data-dir", data)
	gw := p.url("public", "")

	t.Run("routes", func(t *testing.T) { checkRoutedMethods(t, doc, gw) })

	check := &apiCheck{t: t, doc: doc, next: http.DefaultTransport, seen: map[string][]int{}}
	w := &walker{t: t, base: gw, check: check}
	anon := w.client()

	// The documents that describe the issuer, as clients discover it.
	w.must(anon, http.StatusOK, nil, http.MethodGet, "/.well-known/openid-configuration", "")
	w.must(anon, http.StatusOK, nil, http.MethodHead, "/.well-known/openid-configuration", "")
	w.must(anon, http.StatusOK, nil, http.MethodGet, "/.well-known/jwks.json", "")
	w.must(anon, http.StatusOK, nil, http.MethodHead, "/.well-known/jwks.json", "")
	w.must(anon, http.StatusUnauthorized, nil, http.MethodGet, "/v1/orgs", "", refused)

	// The administrator: an identity, and an organization it owns.
	admin := w.login(defaultAdminEmail, adminPassword)
	var me struct {
		Outcome struct {
			Complete bool `json:"complete"`
		} `json:"_outcome"`
	}
	h := w.must(admin, http.StatusOK, &me, http.MethodGet, "/v1/me", "")
	if !me.Outcome.Complete || h.Get("Portico-Outcome") == "" {
		t.Errorf("GET /v1/me: outcome %+v, Portico-Outcome %q; want a complete answer that says so", me.Outcome, h.Get("Portico-Outcome"))
	}
	w.must(admin, http.StatusOK, nil, http.MethodGet, "/v1/sessions", "")
	w.must(admin, http.StatusOK, nil, http.MethodGet, "/v1/identities", "")
	const idaEmail, idaPassword = "ida@walk.example", "ida's first long passphrase"
	var ida struct {
		ID string `json:"id"`
	}
	w.must(admin, http.StatusCreated, &ida, http.MethodPost, "/v1/identities",
		`{"email":"`+idaEmail+`","password":"`+idaPassword+`"}`, with("Idempotency-Key", "walk-ida"))
	w.must(admin, http.StatusOK, nil, http.MethodGet, "/v1/identities/"+ida.ID, "")
	for _, status := range []string{"disabled", "active"} {
		w.must(admin, http.StatusOK, nil, http.MethodPatch, "/v1/identities/"+ida.ID, `{"status":"`+status+`"}`,
			with("Content-Type", "application/merge-patch+json"))
	}
	var org struct {
		ID string `json:"id"`
	}
	w.must(admin, http.StatusCreated, &org, http.MethodPost, "/v1/orgs",
		`{"name":"Walk Streaming","slug":"walk","plan":{"name":"pro","viewer_cap":0},"owner":"`+ida.ID+`"}`, with("Idempotency-Key", "walk-org"))
	orgPath := "/v1/orgs/" + org.ID
	w.must(admin, http.StatusOK, nil, http.MethodGet, "/v1/orgs", "")
	w.must(admin, http.StatusOK, nil, http.MethodGet, orgPath, "")
	w.must(admin, http.StatusOK, nil, http.MethodPatch, orgPath, `{"name":"Walk Streaming Ltd"}`)
	w.must(admin, http.StatusOK, nil, http.MethodGet, orgPath+"/members", "")

	// The owner: a profile, an integration and its settings.
	owner := w.login(idaEmail, idaPassword)
	w.must(owner, http.StatusOK, nil, http.MethodGet, "/v1/profile", "")
	w.must(owner, http.StatusOK, nil, http.MethodPut, "/v1/profile", `{"display_name":"Ida Owner","timezone":"Europe/Paris","locale":"fr-FR"}`)
	var in struct {
		ID          string `json:"id"`
		DeliveryKey string `json:"delivery_key"`
	}
	w.must(owner, http.StatusCreated, &in, http.MethodPost, orgPath+"/integrations",
		`{"name":"Walk web player","environment":"production","domains":["walk.example"]}`, with("Idempotency-Key", "walk-int"))
	inPath := orgPath + "/integrations/" + in.ID
	w.must(owner, http.StatusOK, nil, http.MethodGet, orgPath+"/integrations", "")
	w.must(owner, http.StatusOK, nil, http.MethodGet, inPath, "")
	w.must(owner, http.StatusOK, nil, http.MethodPatch, inPath, `{"name":"Walk player"}`)
	h = w.must(owner, http.StatusOK, nil, http.MethodGet, inPath+"/settings", "")
	change := `{"document":{"activation_ratio":0.5,"activation_threshold":2,"content_id":{"source":"url_without_query"},` +
		`"p2p":{"cellular":{"download":true,"upload":false},"wifi_ethernet":{"download":true,"upload":true}}},"message":"half"}`
	w.must(owner, http.StatusOK, nil, http.MethodPost, inPath+"/settings/validate", change)
	h = w.must(owner, http.StatusOK, nil, http.MethodPut, inPath+"/settings", change, with("If-Match", h.Get("ETag")))
	w.must(owner, http.StatusOK, nil, http.MethodGet, inPath+"/settings/versions", "")
	w.must(owner, http.StatusOK, nil, http.MethodGet, inPath+"/settings/versions/1", "")
	w.must(owner, http.StatusOK, nil, http.MethodGet, inPath+"/settings/diff?from=1&to=2", "")
	w.must(owner, http.StatusCreated, nil, http.MethodPost, inPath+"/settings/versions/1/restore", `{"message":"again"}`,
		with("If-Match", h.Get("ETag")))
	w.must(owner, http.StatusOK, &in, http.MethodPost, inPath+"/delivery-key/rotate", `{"overlap_seconds":60}`)
	w.must(owner, http.StatusOK, nil, http.MethodGet, orgPath+"/config-audit", "")
	var spare struct {
		ID string `json:"id"`
	}
	w.must(owner, http.StatusCreated, &spare, http.MethodPost, orgPath+"/integrations", `{"name":"Spare","environment":"staging"}`)
	w.must(owner, http.StatusNoContent, nil, http.MethodDelete, orgPath+"/integrations/"+spare.ID, "")

	// A player: its config and beacons, from the integration's site.
	const origin = "https://www.walk.example"
	w.must(anon, http.StatusOK, nil, http.MethodGet, "/v1/sdk/config/"+in.DeliveryKey, "", with("Origin", origin))
	w.must(anon, http.StatusOK, nil, http.MethodHead, "/v1/sdk/config/"+in.DeliveryKey, "", with("Origin", origin))
	w.must(anon, http.StatusNoContent, nil, http.MethodOptions, "/v1/beacons", "",
		with("Origin", origin), with("Access-Control-Request-Method", "POST"), with("Access-Control-Request-Headers", "content-type, portico-delivery-key"))
	now := time.Now().UnixMilli()
	beacons := fmt.Sprintf(`{"beacons":[`+
		`{"session_id":"w1","seq":0,"time":%d,"content_id":"live-1","stream_type":"live","platform":"web","cdn_bytes":1000,"p2p_bytes":3000,"played_ms":10000,"startup_ms":700},`+
		`{"session_id":"w2","seq":0,"time":%d,"content_id":"vod-1","stream_type":"vod","platform":"android","cdn_bytes":2000,"played_ms":5000}]}`,
		now-20000, now-10000)
	w.must(anon, http.StatusOK, nil, http.MethodPost, "/v1/beacons", beacons,
		with("Portico-Delivery-Key", in.DeliveryKey), with("Origin", origin))

	// What the owner reads of them.
	for _, q := range []string{
		"/analytics/overall?metric=viewers&timeframe[]=1h",
		"/analytics/timeseries?metric=cdn_bytes&timeframe[]=1h",
		"/analytics/breakdown?metric=viewers&group_by=platform&timeframe[]=1h",
		"/analytics/dimensions",
		"/analytics/dimensions/platform?timeframe[]=1h",
		"/analytics/usage?timeframe[]=1h",
		"/overview",
	} {
		w.must(owner, http.StatusOK, nil, http.MethodGet, orgPath+q, "")
	}

	// An API key, within its scopes and outside them.
	var key struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	w.must(owner, http.StatusCreated, &key, http.MethodPost, orgPath+"/api-keys", `{"name":"ci","scopes":["configs:read","analytics:read"]}`)
	w.must(owner, http.StatusOK, nil, http.MethodGet, orgPath+"/api-keys", "")
	script := w.client()
	w.must(script, http.StatusOK, nil, http.MethodGet, orgPath+"/integrations", "", bearer(key.Key))
	w.must(script, http.StatusOK, nil, http.MethodGet, orgPath+"/analytics/overall?metric=viewers", "", bearer(key.Key))
	// accounts serves people only, so the document lists no machine
	// credential for an organization's own record.
	w.must(script, http.StatusForbidden, nil, http.MethodGet, orgPath, "", bearer(key.Key), refused)
	w.must(owner, http.StatusNoContent, nil, http.MethodDelete, orgPath+"/api-keys/"+key.ID, "")

	// A machine client and its access token.
	var client struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	w.must(owner, http.StatusCreated, &client, http.MethodPost, orgPath+"/clients",
		`{"name":"exporter","scopes":["configs:read","configs:write","analytics:read","auth:introspect"]}`)
	w.must(owner, http.StatusOK, nil, http.MethodGet, orgPath+"/clients", "")
	basic := func(r *http.Request) {
		r.SetBasicAuth(client.ID, client.Secret)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Del("Portico-CSRF")
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	w.must(script, http.StatusOK, &tok, http.MethodPost, "/oauth2/token", "grant_type=client_credentials&scope=configs%3Aread+analytics%3Aread+auth%3Aintrospect", basic)
	w.must(script, http.StatusOK, nil, http.MethodGet, inPath+"/settings", "", bearer(tok.AccessToken))
	w.must(script, http.StatusOK, nil, http.MethodGet, "/v1/settings-schema", "", bearer(tok.AccessToken))
	w.must(script, http.StatusOK, nil, http.MethodGet, orgPath+"/analytics/timeseries?metric=viewers", "", bearer(tok.AccessToken))
	var intro struct {
		Active bool `json:"active"`
	}
	w.must(script, http.StatusOK, &intro, http.MethodPost, "/oauth2/introspect", "token="+url.QueryEscape(tok.AccessToken), basic)
	if !intro.Active {
		t.Error("the client's own access token introspects as inactive")
	}
	w.must(script, http.StatusOK, nil, http.MethodPost, "/oauth2/revoke", "token="+url.QueryEscape(tok.AccessToken), basic)
	w.must(owner, http.StatusNoContent, nil, http.MethodDelete, orgPath+"/clients/"+client.ID, "")
	w.must(owner, http.StatusOK, nil, http.MethodGet, orgPath+"/audit", "")

	// Invitations: one accepted without an account, one by a person
	// signed in, one revoked; a member removed.
	invite := func(email, role string) (id, token string) {
		t.Helper()
		logged := p.logCount()
		var inv struct {
			ID string `json:"id"`
		}
		w.must(owner, http.StatusCreated, &inv, http.MethodPost, orgPath+"/invitations", `{"email":"`+email+`","role":"`+role+`"}`)
		link, err := url.Parse(mustMail(t, p, email, logged)["accept_url"].(string))
		if err != nil {
			t.Fatal(err)
		}
		return inv.ID, link.Fragment
	}
	const vicEmail, vicPassword = "vic@walk.example", "vic's own long passphrase"
	vicInv, vicToken := invite(vicEmail, "viewer")
	w.must(owner, http.StatusOK, nil, http.MethodGet, orgPath+"/invitations", "")
	w.must(owner, http.StatusOK, nil, http.MethodGet, orgPath+"/invitations/"+vicInv, "")
	// Sent a moment ago: resending waits a minute.
	w.must(owner, http.StatusTooManyRequests, nil, http.MethodPost, orgPath+"/invitations/"+vicInv+"/resend", "")
	var vicMember struct {
		IdentityID string `json:"identity_id"`
	}
	w.must(anon, http.StatusCreated, &vicMember, http.MethodPost, "/v1/invitations/accept",
		`{"token":"`+vicToken+`","password":"`+vicPassword+`","display_name":"Vic Viewer"}`)
	w.must(owner, http.StatusOK, nil, http.MethodPut, orgPath+"/members/"+vicMember.IdentityID, `{"role":"editor"}`)
	viewer := w.login(vicEmail, vicPassword)
	w.must(viewer, http.StatusForbidden, nil, http.MethodGet, orgPath+"/api-keys", "")
	_, adminToken := invite(defaultAdminEmail, "editor")
	w.must(admin, http.StatusCreated, nil, http.MethodPost, "/v1/invitations/accept-signed-in", `{"token":"`+adminToken+`"}`)
	zedInv, _ := invite("zed@walk.example", "viewer")
	w.must(owner, http.StatusNoContent, nil, http.MethodDelete, orgPath+"/invitations/"+zedInv, "")
	w.must(owner, http.StatusNoContent, nil, http.MethodDelete, orgPath+"/members/"+vicMember.IdentityID, "")

	// A second factor: enrolled, used at sign-in, removed.
	var enrol struct {
		Secret string `json:"secret"`
	}
	w.must(owner, http.StatusCreated, &enrol, http.MethodPost, "/v1/totp", "")
	code := func(at time.Time) string {
		c, err := totp.GenerateCode(enrol.Secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	var codes struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	w.must(owner, http.StatusOK, &codes, http.MethodPost, "/v1/totp/confirm", `{"code":"`+code(time.Now())+`"}`)
	if len(codes.RecoveryCodes) == 0 {
		t.Fatal("TOTP confirmed without recovery codes")
	}
	again := w.client()
	var challenge struct {
		Challenge string `json:"challenge"`
	}
	w.must(again, http.StatusOK, &challenge, http.MethodPost, "/v1/login", `{"email":"`+idaEmail+`","password":"`+idaPassword+`"}`)
	w.must(again, http.StatusOK, nil, http.MethodPost, "/v1/login/second-factor",
		`{"challenge":"`+challenge.Challenge+`","recovery_code":"`+codes.RecoveryCodes[0]+`"}`)
	type session struct {
		ID      string `json:"id"`
		Current bool   `json:"current"`
	}
	var sessions struct {
		Items []session `json:"items"`
	}
	w.must(again, http.StatusOK, &sessions, http.MethodGet, "/v1/sessions", "")
	i := slices.IndexFunc(sessions.Items, func(s session) bool { return !s.Current })
	if i < 0 {
		t.Fatalf("the owner's sessions %+v, want the first one besides the current", sessions.Items)
	}
	w.must(again, http.StatusNoContent, nil, http.MethodDelete, "/v1/sessions/"+sessions.Items[i].ID, "")
	// The confirmation spent this time step's code; the next one is
	// accepted too (one step of skew).
	w.must(again, http.StatusNoContent, nil, http.MethodPost, "/v1/totp/disable", `{"code":"`+code(time.Now().Add(30*time.Second))+`"}`)

	// Passwords: changed, then reset by mail.
	const newPassword = "ida's second long passphrase"
	w.must(again, http.StatusNoContent, nil, http.MethodPost, "/v1/password/change",
		`{"current_password":"`+idaPassword+`","new_password":"`+newPassword+`"}`)
	logged := p.logCount()
	w.must(anon, http.StatusAccepted, nil, http.MethodPost, "/v1/password/reset-request", `{"email":"`+idaEmail+`"}`)
	_, resetCode, found := strings.Cut(mustMail(t, p, idaEmail, logged)["body"].(string), "#reset_code=")
	resetCode, _, _ = strings.Cut(resetCode, "\n")
	if !found || resetCode == "" {
		t.Fatal("the reset mail has no reset code")
	}
	w.must(anon, http.StatusNoContent, nil, http.MethodPost, "/v1/password/reset",
		`{"reset_code":"`+resetCode+`","new_password":"ida's third long passphrase"}`)

	// The gateway's rate limit of the credential endpoints: a burst of 5
	// per address, one of which the reset request above spent.
	limited := false
	for range 6 {
		status, _, _ := w.call(anon, http.MethodPost, "/v1/password/reset-request", `{"email":"nobody@walk.example"}`)
		if status == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("password reset requests were never rate limited")
	}
	w.must(admin, http.StatusNoContent, nil, http.MethodPost, "/v1/logout", "")

	exercised, succeeded, missed := check.coverage()
	total := len(doc.Operations())
	t.Logf("public API coverage: %d of %d operations of api/portico.yaml exercised, %d of them with a success", len(exercised), total, len(succeeded))
	for _, op := range missed {
		t.Logf("not exercised: %s", op)
	}
	for _, op := range exercised {
		if !slices.Contains(succeeded, op) {
			t.Logf("exercised without a success: %s %v", op, check.seen[op])
		}
	}
	if len(missed) > publicAPIMaxMissed {
		t.Errorf("the walk left %d operations unexercised (%q), want at most %d", len(missed), missed, publicAPIMaxMissed)
	}
}

// checkRoutedMethods asks the gateway at base, for each path of doc, with
// a method the document does not give it, and checks that its 405 allows
// exactly the document's methods (and HEAD with GET, which the gateway
// answers for every GET route): the routes the running gateway has are
// the operations the document describes.
func checkRoutedMethods(t *testing.T, doc *openapitest.Doc, base string) {
	byPath := map[string][]string{}
	for _, op := range doc.Operations() {
		method, path, _ := strings.Cut(op, " ")
		byPath[path] = append(byPath[path], method)
	}
	for path, methods := range byPath {
		want := slices.Clone(methods)
		if slices.Contains(want, http.MethodGet) && !slices.Contains(want, http.MethodHead) {
			want = append(want, http.MethodHead)
		}
		slices.Sort(want)
		probe := ""
		for _, m := range []string{http.MethodPatch, http.MethodPut, http.MethodDelete, http.MethodPost, http.MethodGet} {
			if !slices.Contains(want, m) {
				probe = m
				break
			}
		}
		var segs []string
		for _, s := range strings.Split(path, "/") {
			if strings.HasPrefix(s, "{") {
				s = "p1"
			}
			segs = append(segs, s)
		}
		req, err := http.NewRequest(probe, base+strings.Join(segs, "/"), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := strings.Split(resp.Header.Get("Allow"), ", ")
		slices.Sort(got)
		if resp.StatusCode != http.StatusMethodNotAllowed || !slices.Equal(got, want) {
			t.Errorf("%s %s = %d, Allow %q; want 405 allowing %q, the methods api/portico.yaml describes", probe, path, resp.StatusCode, resp.Header.Get("Allow"), want)
		}
	}
}
