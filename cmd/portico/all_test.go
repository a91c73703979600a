package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/portico-gw/portico/internal/auth/authhttp"
	"github.com/portico-gw/portico/internal/gateway/config"
)

func TestAllFirstRunAndRestart(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	args := []string{"all", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data-dir", data}
	p, stdout := mustStartEnv(t, nil, args...)
	gw := p.url("public", "")
	if got := bannerValue(t, stdout.String(), "gateway"); got != gw {
		t.Errorf("banner gateway = %s, want %s", got, gw)
	}
	if got := bannerValue(t, stdout.String(), "admin"); got != defaultAdminEmail {
		t.Errorf("banner admin = %s, want %s", got, defaultAdminEmail)
	}
	password := bannerValue(t, stdout.String(), "password")
	if strings.Contains(p.log(), password) {
		t.Error("the generated password appears in the log")
	}

	t.Run("data directory", func(t *testing.T) {
		for name, want := range map[string]os.FileMode{"": 0o700, authKEKFile: 0o600, authSecretKeyFile: 0o600} {
			info, err := os.Stat(filepath.Join(data, name))
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Mode().Perm(); got != want {
				t.Errorf("%s: got mode %#o, want %#o", filepath.Join("data", name), got, want)
			}
		}
		for _, db := range []string{authDBFile, accountsDBFile, configsDBFile, analyticsDBFile} {
			info, err := os.Stat(filepath.Join(data, db))
			if err != nil {
				t.Errorf("database: %v", err)
			} else if got := info.Mode().Perm(); got != 0o600 {
				t.Errorf("%s: got mode %#o, want 0600", db, got)
			}
		}
	})
	t.Run("development conveniences are announced", func(t *testing.T) {
		for _, want := range []string{"key files are kept in the data directory", "password reset mail is written to the log"} {
			if !strings.Contains(p.log(), want) {
				t.Errorf("no warning %q at start:\n%s", want, p.log())
			}
		}
	})
	t.Run("csrf origin check through the gateway", func(t *testing.T) {
		body := `{"email":` + jsonString(defaultAdminEmail) + `,"password":` + jsonString(password) + `}`
		for _, tc := range []struct {
			name, origin string
			want         int
		}{
			{"another site", "https://evil.example", http.StatusForbidden},
			{"the gateway's own origin", gw, http.StatusOK},
			{"no Origin (not a browser)", "", http.StatusOK},
		} {
			header := []string{authhttp.CSRFHeader, "1"}
			if tc.origin != "" {
				header = append(header, "Origin", tc.origin)
			}
			status, got := postJSON(t, gw+"/v1/login", "", body, header...)
			if status != tc.want {
				t.Errorf("%s: POST /v1/login = %d %s, want %d", tc.name, status, got, tc.want)
			}
			if tc.want == http.StatusForbidden && !strings.Contains(got, "csrf-check-failed") {
				t.Errorf("%s: got %s, want a csrf-check-failed problem", tc.name, got)
			}
		}
	})
	t.Run("discovery through the gateway", func(t *testing.T) {
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		mustGetJSON(t, http.DefaultClient, gw+"/.well-known/openid-configuration", &doc)
		if doc.Issuer != gw || doc.JWKSURI != gw+"/.well-known/jwks.json" {
			t.Errorf("got issuer %q, jwks_uri %q; want both at %s", doc.Issuer, doc.JWKSURI, gw)
		}
	})
	kids := mustJWKSKIDs(t, gw+"/.well-known/jwks.json")
	t.Run("internal routes are not public", func(t *testing.T) {
		resp, err := http.Post(gw+"/internal/v1/exchange", "application/json", strings.NewReader(`{"credential":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// No API route has the path; the dashboard's files, which answer
		// every other path, take GET and HEAD only.
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" ||
			!strings.Contains(string(body), "/problems/method-not-allowed") {
			t.Errorf("POST /internal/v1/exchange through the gateway = %d Allow %q %s, want the files' 405", resp.StatusCode, resp.Header.Get("Allow"), body)
		}
	})
	t.Run("login through the gateway", func(t *testing.T) {
		c, ck := mustLogin(t, gw, defaultAdminEmail, password)
		if !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" {
			t.Errorf("session cookie %s, want Secure, HttpOnly, Path=/ and no Domain (the __Host- rules)", ck)
		}
		// The jar sends a Secure cookie over plain http to loopback, as
		// browsers do for localhost.
		mustBeStaffAdmin(t, c, gw)
	})
	mustStop(t, p)

	p, stdout = mustStartEnv(t, nil, args...)
	gw = p.url("public", "")
	t.Run("restart shows no password", func(t *testing.T) {
		if strings.Contains(stdout.String(), password) {
			t.Errorf("the password is printed again:\n%s", stdout)
		}
		if got := bannerValue(t, stdout.String(), "admin"); got != defaultAdminEmail {
			t.Errorf("banner admin = %s, want %s", got, defaultAdminEmail)
		}
	})
	t.Run("restart keeps the signing key", func(t *testing.T) {
		if got := mustJWKSKIDs(t, gw+"/.well-known/jwks.json"); !slices.Equal(got, kids) {
			t.Errorf("got kids %v after restart, want %v", got, kids)
		}
	})
	t.Run("restart keeps the administrator", func(t *testing.T) {
		c, _ := mustLogin(t, gw, defaultAdminEmail, password)
		mustBeStaffAdmin(t, c, gw)
	})
	mustStop(t, p)
}

// TestAllFilesArePrivate checks that every file portico all keeps in its
// data directory (SQLite's -wal and -shm files included) is readable by
// its owner only, even in a directory others may list and under the
// common umask 022.
func TestAllFilesArePrivate(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0o022) // inherited by the child
	defer syscall.Umask(old)
	const password = "a long test password for the admin"
	p, _ := mustStartEnv(t, []string{"PORTICO_ADMIN_PASSWORD=" + password},
		"all", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data-dir", data)
	mustLogin(t, p.url("public", ""), defaultAdminEmail, password) // a write, so the WAL holds data
	entries, err := os.ReadDir(data)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, e.Name())
		if got := info.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: got mode %#o, want 0600", e.Name(), got)
		}
	}
	for _, want := range []string{authDBFile, authDBFile + "-wal", authDBFile + "-shm", authKEKFile, authSecretKeyFile} {
		if !slices.Contains(names, want) {
			t.Errorf("%s is missing from the data directory; got %v", want, names)
		}
	}
	mustStop(t, p)
}

func TestAllGatewayConfigFlag(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "gateway.yaml")
	// A file of one's own uses the variables of the built-in one,
	// PORTICO_AUTH_ISSUER included, and gets the same workload token
	// toward auth.
	mustWrite(t, cfg, `version: 1
server: {listen: "${PORTICO_LISTEN}"}
admin: {listen: "${PORTICO_ADMIN_LISTEN}"}
auth: {url: "${PORTICO_AUTH_URL}", issuer: "${PORTICO_AUTH_ISSUER}"}
services:
  auth: {targets: ["${PORTICO_AUTH_URL}"]}
routes:
  - {methods: [POST], path: /v1/login, service: auth, public: true}
  - {methods: [GET], path: /v1/me, service: auth}
`)
	const password = "a long test password for the admin"
	p, _ := mustStartEnv(t, []string{"PORTICO_ADMIN_PASSWORD=" + password},
		"all", "--gateway-config", cfg, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"))
	gw := p.url("public", "")
	c, _ := mustLogin(t, gw, defaultAdminEmail, password)
	mustBeStaffAdmin(t, c, gw)
	if code, _ := mustGet(t, gw+"/.well-known/jwks.json"); code != http.StatusNotFound {
		t.Errorf("GET /.well-known/jwks.json = %d, want 404: the file's routes replace the built-in ones", code)
	}
	mustStop(t, p)
}

// allConfigEnv resolves the built-in gateway configuration's variables.
func allConfigEnv(name string) (string, bool) {
	v, ok := map[string]string{
		"PORTICO_LISTEN": ":8080", "PORTICO_ADMIN_LISTEN": "127.0.0.1:9090", "PORTICO_AUTH_URL": "http://127.0.0.1:8081",
		"PORTICO_ACCOUNTS_URL": "http://127.0.0.1:8082", "PORTICO_CONFIGS_URL": "http://127.0.0.1:8083",
		"PORTICO_ANALYTICS_URL": "http://127.0.0.1:8084",
		"PORTICO_AUTH_ISSUER":   "http://localhost:8080",
	}[name]
	return v, ok
}

// TestAllGatewayConfigRoutesEveryPublicAPI holds the built-in gateway
// configuration to the services' OpenAPI documents: every public
// operation of api/<service>.yaml is routed to that service (or composed
// from it), no internal one is, and only the operations of callers who
// have no session yet, or who authenticate themselves, are public.
func TestAllGatewayConfigRoutesEveryPublicAPI(t *testing.T) {
	cfg, err := config.Parse(allGatewayConfigName, allGatewayConfig, allConfigEnv)
	if err != nil {
		t.Fatalf("built-in gateway config: %v", err)
	}
	wantPublic := func(path string) bool {
		return strings.HasPrefix(path, "/oauth2/") || strings.HasPrefix(path, "/.well-known/") ||
			slices.Contains([]string{"/v1/login", "/v1/login/second-factor", "/v1/password/reset-request",
				"/v1/password/reset", "/v1/invitations/accept", "/v1/sdk/config/{key}", "/v1/beacons"}, path)
	}
	// routed maps "service METHOD /path" to the routes that reach it.
	routed := map[string]bool{}
	for _, r := range cfg.Routes {
		if r.Static != nil {
			continue // the dashboard's files, public by design
		}
		if strings.HasPrefix(r.Path, "/internal/") || len(r.Methods) == 0 {
			t.Errorf("route %s: %v %s, want an explicit public route", r.Name, r.Methods, r.Path)
		}
		if r.Public != wantPublic(r.Path) {
			t.Errorf("route %s: public %v, want %v", r.Name, r.Public, wantPublic(r.Path))
		}
		for _, m := range r.Methods {
			if r.Aggregate == nil {
				routed[r.Service+" "+m+" "+r.Path] = true
				continue
			}
			for _, st := range r.Aggregate.Steps {
				routed[st.Service+" "+orString(st.Method, http.MethodGet)+" "+st.Path] = true
			}
		}
	}
	for _, svc := range []string{"auth", "accounts", "configs", "analytics"} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "api", svc+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Paths map[string]map[string]any `yaml:"paths"`
		}
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("api/%s.yaml: %v", svc, err)
		}
		for path, ops := range doc.Paths {
			for method := range ops {
				if method == "parameters" {
					continue
				}
				op := svc + " " + strings.ToUpper(method) + " " + path
				switch internal := strings.HasPrefix(path, "/internal/"); {
				case internal && routed[op]:
					t.Errorf("%s is routed; internal routes must not be public", op)
				case !internal && !routed[op]:
					t.Errorf("%s is not routed by the built-in gateway config", op)
				}
			}
		}
	}
}

func TestAllPrintGatewayConfig(t *testing.T) {
	var out, errOut strings.Builder
	if code := run(t.Context(), []string{"all", "--print-gateway-config"}, allConfigEnv, &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	if out.String() != string(allGatewayConfig) {
		t.Errorf("got %d bytes, want the built-in config", out.Len())
	}
}

func TestAllBadGatewayConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "gateway.yaml")
	mustWrite(t, cfg, "version: 1\nservices:\n  auth: {targets: [\"${PORTICO_AUTH_URL}\"]}\nroutes:\n  - {path: /v1/me, service: nope}\n")
	var out, errOut strings.Builder
	code := run(t.Context(), []string{"all", "--gateway-config", cfg, "--data-dir", filepath.Join(dir, "data")}, mapEnv(nil), &out, &errOut)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if want := cfg + ":5:"; !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr %q, want it to name %s", errOut.String(), want)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Errorf("data directory: got %v, want nothing created before the configuration is valid", err)
	}
}
