package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestAuthStandalone(t *testing.T) {
	dir := t.TempDir()
	const password = "a long test password for the admin"
	env := append(authEnvKeys(filepath.Join(dir, "data")), "PORTICO_ADMIN_PASSWORD="+password)
	args := []string{"auth", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}

	p, stdout := mustStartEnv(t, env, args...)
	if strings.Contains(stdout.String(), password) || !strings.Contains(stdout.String(), "PORTICO_ADMIN_PASSWORD") {
		t.Errorf("stdout = %q, want a note that the password came from PORTICO_ADMIN_PASSWORD, not the password", stdout)
	}
	base := p.url("public", "")
	t.Run("discovery", func(t *testing.T) {
		var doc struct {
			Issuer string `json:"issuer"`
		}
		mustGetJSON(t, http.DefaultClient, base+"/.well-known/openid-configuration", &doc)
		if doc.Issuer != base {
			t.Errorf("got issuer %q, want %q", doc.Issuer, base)
		}
	})
	t.Run("admin listener", func(t *testing.T) {
		if code, body := mustGet(t, p.url("admin", "/readyz")); code != http.StatusOK {
			t.Errorf("/readyz = %d %s, want 200", code, body)
		}
		if code, body := mustGet(t, base+"/healthz"); code != http.StatusOK {
			t.Errorf("public /healthz = %d %s, want 200 for the gateway's health checks", code, body)
		}
		mustGet(t, base+"/.well-known/jwks.json")
		_, metrics := mustGet(t, p.url("admin", "/metrics"))
		if !strings.Contains(metrics, `portico_auth_http_requests_total{code="200",method="GET",route="GET /.well-known/jwks.json"}`) {
			t.Error("/metrics does not count the JWKS request")
		}
	})
	t.Run("session cookie over plain http on localhost", func(t *testing.T) {
		local := "http://localhost:" + p.addrs["public"][strings.LastIndexByte(p.addrs["public"], ':')+1:]
		c, _ := mustLogin(t, local, defaultAdminEmail, password)
		// The cookie is for the gateway: auth's own /v1 endpoints take
		// only the internal token the gateway exchanges it for.
		if code, body := mustGetWith(t, c, local+"/v1/me"); code != http.StatusUnauthorized {
			t.Errorf("GET /v1/me with the cookie, at auth itself = %d %s, want 401", code, body)
		}
	})
	mustStop(t, p)

	p, stdout = mustStartEnv(t, env, args...)
	t.Run("second start on the same database", func(t *testing.T) {
		if strings.Contains(stdout.String(), "created") {
			t.Errorf("second start printed %q, want nothing", stdout)
		}
		var doc struct {
			Issuer string `json:"issuer"`
		}
		mustGetJSON(t, http.DefaultClient, p.url("public", "/.well-known/openid-configuration"), &doc)
		mustLogin(t, p.url("public", ""), defaultAdminEmail, password)
	})
	mustStop(t, p)
}

func TestClientIP(t *testing.T) {
	trusted, err := parsePrefixes("127.0.0.0/8, ::1, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	ip := clientIP(trusted)
	for _, tc := range []struct {
		name, remote, xff, want string
	}{
		{"untrusted peer", "203.0.113.9:5000", "198.51.100.1", "203.0.113.9"},
		{"trusted peer without header", "127.0.0.1:5000", "", "127.0.0.1"},
		{"trusted peer", "127.0.0.1:5000", "198.51.100.1", "198.51.100.1"},
		{"spoofed left entries ignored", "127.0.0.1:5000", "192.0.2.66, 198.51.100.1", "198.51.100.1"},
		{"trusted hops skipped", "[::1]:5000", "198.51.100.1, 10.1.2.3", "198.51.100.1"},
		{"garbage stops the walk", "127.0.0.1:5000", "198.51.100.1, nonsense", "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "http://auth/", nil)
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if got := ip(r); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	if _, err := parsePrefixes("10.0.0.0/33"); err == nil {
		t.Error("parsePrefixes(10.0.0.0/33): got no error")
	}
}

func TestBaseURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://localhost:8080",
		"0.0.0.0:8080":   "http://localhost:8080",
		"[::]:8080":      "http://localhost:8080",
		"127.0.0.1:8081": "http://127.0.0.1:8081",
		"[::1]:8081":     "http://[::1]:8081",
		"example.com:80": "http://example.com:80",
	} {
		if got := baseURL(addr); got != want {
			t.Errorf("baseURL(%q): got %s, want %s", addr, got, want)
		}
	}
}

func TestPrintBox(t *testing.T) {
	var b strings.Builder
	printBox(&b, []string{"title", "", "  a: b"})
	want := fmt.Sprintf("+--------+\n| %-6s |\n| %-6s |\n| %-6s |\n+--------+\n", "title", "", "  a: b")
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestAuthStartFailures(t *testing.T) {
	dir := t.TempDir()
	looseKEK := filepath.Join(dir, "loose.kek")
	mustWrite(t, looseKEK, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n") // mode 0644
	base := []string{"auth", "--listen", "127.0.0.1:0", "--admin-listen", "off", "--data-dir", filepath.Join(dir, "data"),
		"--dev-log-mail", "--dev-keys-in-data-dir"}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"database unreachable", []string{"--db", "postgres://portico@127.0.0.1:1/portico?connect_timeout=2"}, nil, "open db"},
		{"kek file others can read", []string{"--kek-file", looseKEK}, nil, "want 0600"},
		{"kek not base64", nil, map[string]string{"PORTICO_AUTH_KEK": "not a key"}, "not base64"},
		{"bad trusted proxy", []string{"--trusted-proxies", "10.0.0.0/33"}, nil, "--trusted-proxies"},
		{"bad max concurrent hashes", nil, map[string]string{"PORTICO_AUTH_MAX_CONCURRENT_HASHES": "-1"}, "--max-concurrent-hashes"},
		{"bad issuer", []string{"--issuer", "ftp://auth"}, nil, "issuer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(t.Context(), append(slices.Clone(base), tc.args...), mapEnv(tc.env), &out, &errOut)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr %s", code, errOut.String())
			}
			if !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("stderr %q, want it to mention %q", errOut.String(), tc.want)
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q, want nothing", out.String())
			}
		})
	}
}

func TestParseAudiences(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{"  ", nil, false},
		{"https://api.example.com/analytics", []string{"https://api.example.com/analytics"}, false},
		{"a, b ,c", []string{"a", "b", "c"}, false},
		{"a,,b", nil, true},
		{"a,a", nil, true},
		{"with space", nil, true},
		{"naïve", nil, true},
	} {
		got, err := parseAudiences(tc.in)
		if (err != nil) != tc.wantErr || !slices.Equal(got, tc.want) {
			t.Errorf("parseAudiences(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}
