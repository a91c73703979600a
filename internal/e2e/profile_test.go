package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"testing/fstest"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/accounts/accountshttp"
	"github.com/portico-gw/portico/internal/accounts/accountsstore"
	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/gateway"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

// TestProfileFieldReachesMe shows that the shape of a profile belongs to
// the accounts service alone: a field accounts adds to its profile
// (pronouns, here added to the real service's answers by a wrapper, as a
// new version of accounts would) reaches GET /v1/me through the gateway
// of portico all, its configuration read unchanged from
// cmd/portico/all-gateway.yaml, with no change to auth or the gateway.
func TestProfileFieldReachesMe(t *testing.T) {
	a := mustRealAuth(t, auth.Options{})
	accountsURL := mustAccounts(t, a, func(profile map[string]any) { profile["pronouns"] = "they/them" })

	yaml, err := os.ReadFile(filepath.Join("..", "..", "cmd", "portico", "all-gateway.yaml"))
	mustNoErr(t, "read portico all's gateway config", err)
	vars := map[string]string{
		"PORTICO_LISTEN": "127.0.0.1:0", "PORTICO_ADMIN_LISTEN": "off",
		"PORTICO_AUTH_URL": a.url, "PORTICO_AUTH_ISSUER": testIssuer,
		"PORTICO_ACCOUNTS_URL": accountsURL, "PORTICO_CONFIGS_URL": "http://127.0.0.1:1",
		"PORTICO_ANALYTICS_URL": "http://127.0.0.1:1",
	}
	// The dashboard's files are not what this test is about: an empty
	// filesystem stands for them.
	gw := httptest.NewServer(mustGateway(t, string(yaml), vars, gateway.Options{AuthWorkloadToken: a.workloadToken(),
		Files: map[string]fs.FS{"dashboard": fstest.MapFS{}}}))
	t.Cleanup(gw.Close)

	session, id := a.mustSession(t, "ada@example.com", false)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, gw.URL+"/v1/me", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session.Value})
	resp, err := http.DefaultClient.Do(req)
	mustNoErr(t, "GET /v1/me", err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/me = %d %s", resp.StatusCode, body)
	}
	var me struct {
		IdentityID string         `json:"identity_id"`
		Profile    map[string]any `json:"profile"`
		Outcome    struct {
			Complete bool `json:"complete"`
		} `json:"_outcome"`
	}
	mustNoErr(t, "decode /v1/me", json.Unmarshal(body, &me))
	if me.IdentityID != id || !me.Outcome.Complete {
		t.Fatalf("GET /v1/me = %s, want %s's identity, complete", body, id)
	}
	if me.Profile["pronouns"] != "they/them" || me.Profile["identity_id"] != id {
		t.Errorf("profile in /v1/me = %v, want accounts' profile with its new field", me.Profile)
	}
}

// mustAccounts starts the real accounts service on SQLite, verifying a's
// internal tokens, and returns its URL. extend, when not nil, changes
// every profile it answers with, as a later version of the service would.
func mustAccounts(tb testing.TB, a *realAuth, extend func(profile map[string]any)) string {
	tb.Helper()
	db, err := sqldb.Open(tb.Context(), "sqlite:"+filepath.Join(tb.TempDir(), "accounts.db"), sqldb.Options{})
	mustNoErr(tb, "open accounts database", err)
	tb.Cleanup(func() { db.Close() })
	store, err := accountsstore.Open(tb.Context(), db)
	mustNoErr(tb, "open accounts store", err)
	h, err := accountshttp.NewHandler(accounts.NewService(store), accountshttp.Options{
		Verifier: a.verifier(tb), Logger: slog.New(slog.DiscardHandler),
	})
	mustNoErr(tb, "accounts handler", err)
	var handler http.Handler = h
	if extend != nil {
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v1/profile" || r.Method != http.MethodGet {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			var profile map[string]any
			if rec.Code == http.StatusOK && json.Unmarshal(body, &profile) == nil {
				extend(profile)
				body, _ = json.Marshal(profile)
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.Code)
			io.Copy(w, bytes.NewReader(body))
		})
	}
	srv := httptest.NewServer(handler)
	tb.Cleanup(srv.Close)
	return srv.URL
}
