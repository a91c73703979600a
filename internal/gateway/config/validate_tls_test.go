package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/platform/tlsconfig/tlstest"
)

// tlsFiles writes a server certificate and key, a mismatched key, an
// expired pair and a client CA bundle into a temporary directory, named
// relative to it.
func tlsFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "test CA")
	ca.Server(t, "gw.example").Write(t, dir, "gw")
	other := ca.Server(t, "other.example")
	tlstest.WriteFile(t, filepath.Join(dir, "other.key"), other.KeyPEM)
	ca.Issue(t, tlstest.Spec{CommonName: "old.example", Names: []string{"old.example"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)}).Write(t, dir, "expired")
	tlstest.WriteFile(t, filepath.Join(dir, "clients.pem"), tlstest.NewCA(t, "client CA").PEM)
	tlstest.WriteFile(t, filepath.Join(dir, "garbage.pem"), []byte("not PEM\n"))
	return dir
}

// loadIn writes yaml as portico.yaml in dir and loads it.
func loadIn(t *testing.T, dir, yaml string) (*Config, error) {
	t.Helper()
	path := filepath.Join(dir, "portico.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(path, nil)
}

const tlsBase = "version: 1\nservices: {a: {targets: [http://127.0.0.1:8081]}}\n"

func TestTLSConfigLoads(t *testing.T) {
	dir := tlsFiles(t)
	c, err := loadIn(t, dir, tlsBase+`server:
  listen: ":8443"
  tls:
    certificates:
      - {cert_file: gw.crt, key_file: gw.key}
    client_auth: request
    client_ca_files: [clients.pem]
    redirect_http: {listen: ":8080"}
routes:
  - {path: /, service: a, hsts: {include_subdomains: true}}
  - {path: /machines, service: a, client_cert: {required: true, names: [exporter.example, "spiffe://example.org/x"]}}
`)
	if err != nil {
		t.Fatalf("got error:\n%v\nwant none", err)
	}
	tls := c.Server.TLS
	if tls.MinVersion != "1.2" || tls.ClientAuth != "request" || tls.ReloadInterval != DefaultTLSReloadInterval {
		t.Errorf("got min_version %q, client_auth %q, reload_interval %s; want the defaults", tls.MinVersion, tls.ClientAuth, tls.ReloadInterval)
	}
	if got, want := tls.Certificates[0].CertFile, filepath.Join(dir, "gw.crt"); got != want {
		t.Errorf("cert_file = %s, want %s, relative to the configuration file", got, want)
	}
	if got, want := tls.ClientCAFiles[0], filepath.Join(dir, "clients.pem"); got != want {
		t.Errorf("client_ca_files[0] = %s, want %s", got, want)
	}
	if h := c.Routes[0].HSTS; h.MaxAge == nil || *h.MaxAge != DefaultHSTSMaxAge || !h.IncludeSubdomains {
		t.Errorf("hsts = %+v, want a year with subdomains", h)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("validate again: %v", err)
	}
	if err := mustCompileSchema(t).Validate(mustJSONValue(t, mustReadFile(t, filepath.Join(dir, "portico.yaml")))); err != nil {
		t.Errorf("schema: %v", err)
	}
}

func TestMinVersionAsNumber(t *testing.T) {
	dir := tlsFiles(t)
	c, err := loadIn(t, dir, tlsBase+"server: {tls: {min_version: 1.3, certificates: [{cert_file: gw.crt, key_file: gw.key}]}}\nroutes: [{path: /, service: a}]\n")
	if err != nil || c.Server.TLS.MinVersion != "1.3" {
		t.Fatalf("got %v, %v; want min_version 1.3", c, err)
	}
}

// TestTLSErrors checks that each problem is reported at the key it is
// about, with its line and column.
func TestTLSErrors(t *testing.T) {
	dir := tlsFiles(t)
	cert := func(c, k string) string {
		return "server:\n  tls:\n    certificates:\n      - cert_file: " + c + "\n        key_file: " + k + "\n"
	}
	good := cert("gw.crt", "gw.key")
	route := "routes: [{path: /, service: a}]\n"
	cases := []struct {
		name, yaml string
		want       string // "line:column: path: message" contains this
	}{
		{"missing certificate", cert("nope.crt", "gw.key") + route,
			":6:20: server.tls.certificates[0].cert_file: " + filepath.Join(dir, "nope.crt") + ": cannot be read: no such file or directory"},
		{"missing key", cert("gw.crt", "nope.key") + route,
			":7:19: server.tls.certificates[0].key_file: " + filepath.Join(dir, "nope.key") + ": cannot be read"},
		{"mismatched key", cert("gw.crt", "other.key") + route,
			":7:19: server.tls.certificates[0].key_file: " + filepath.Join(dir, "other.key") + ": the key does not belong to the certificate in " + filepath.Join(dir, "gw.crt")},
		{"expired", cert("expired.crt", "expired.key") + route,
			":6:20: server.tls.certificates[0].cert_file: " + filepath.Join(dir, "expired.crt") + ": the certificate (old.example) expired at"},
		{"not PEM", cert("garbage.pem", "gw.key") + route, ":6:20: server.tls.certificates[0].cert_file: " + filepath.Join(dir, "garbage.pem") + ": holds no PEM CERTIFICATE block"},
		{"no certificates", "server: {tls: {certificates: []}}\n" + route, "server.tls.certificates: no certificate"},
		{"duplicate", "server: {tls: {certificates: [{cert_file: gw.crt, key_file: gw.key}, {cert_file: gw.crt, key_file: gw.key}]}}\n" + route,
			"server.tls.certificates[1].cert_file: " + filepath.Join(dir, "gw.crt") + " is also server.tls.certificates[0]"},
		{"min version", good + "    min_version: \"1.1\"\n" + route, ":8:18: server.tls.min_version: unknown version \"1.1\""},
		{"client auth", good + "    client_auth: requre\n" + route, "server.tls.client_auth: unknown value \"requre\"; use none, request or require; did you mean \"require\"?"},
		{"require without CAs", good + "    client_auth: require\n" + route, ":8:18: server.tls.client_auth: require verifies client certificates, which needs client_ca_files"},
		{"CAs without client auth", good + "    client_ca_files: [clients.pem]\n" + route, "server.tls.client_ca_files: client certificates are not asked for"},
		{"bad CA file", good + "    client_auth: request\n    client_ca_files: [garbage.pem]\n" + route,
			":9:23: server.tls.client_ca_files[0]: " + filepath.Join(dir, "garbage.pem") + ": holds no PEM CERTIFICATE block"},
		{"h2c", "server:\n  h2c: true\n" + good[len("server:\n"):] + route, ":4:8: server.h2c: cleartext HTTP/2 cannot be served on a TLS listener"},
		{"redirect on the same port", "server:\n  listen: \":8443\"\n" + good[len("server:\n"):] + "    redirect_http: {listen: \":8443\"}\n" + route,
			"server.tls.redirect_http.listen: \":8443\" is also server.listen"},
		{"redirect port", good + "    redirect_http: {listen: \":80\", port: 70000}\n" + route, "server.tls.redirect_http.port: 70000 is not a port"},
		{"hsts without TLS", "routes: [{path: /, service: a, hsts: {}}]\n", "routes[0].hsts: Strict-Transport-Security is sent only over TLS"},
		{"hsts fractional", good + "routes: [{path: /, service: a, hsts: {max_age: 1500ms}}]\n", "routes[0].hsts.max_age: 1.5s is not a whole number of seconds"},
		{"preload without subdomains", good + "routes: [{path: /, service: a, hsts: {preload: true}}]\n", "routes[0].hsts.preload: the preload lists admit only policies with include_subdomains: true"},
		{"preload short", good + "routes: [{path: /, service: a, hsts: {preload: true, include_subdomains: true, max_age: 24h}}]\n", "routes[0].hsts.preload: the preload lists admit only a max_age of at least"},
		{"client cert without TLS", "routes: [{path: /, service: a, client_cert: {required: true}}]\n", "routes[0].client_cert: client certificates need server.tls"},
		{"client cert never asked for", good + "routes: [{path: /, service: a, client_cert: {required: true}}]\n", "routes[0].client_cert: server.tls.client_auth is none"},
		{"client cert not required", good + "routes: [{path: /, service: a, client_cert: {required: false}}]\n", "routes[0].client_cert.required: must be true"},
		{"client cert names", good + "    client_auth: request\n    client_ca_files: [clients.pem]\n" +
			"routes: [{path: /, service: a, client_cert: {required: true, names: [a.example, A.example, \"not a name\"]}}]\n",
			"routes[0].client_cert.names[1]: \"A.example\" is also names[0]"},
		{"client cert bad name", good + "    client_auth: request\n    client_ca_files: [clients.pem]\n" +
			"routes: [{path: /, service: a, client_cert: {required: true, names: [\"not a name\"]}}]\n",
			"routes[0].client_cert.names[0]: \"not a name\" is neither a DNS name nor an absolute URI"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadIn(t, dir, tlsBase+c.yaml)
			if err == nil {
				t.Fatalf("got no error for\n%s", c.yaml)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("got\n%v\nwant a line containing\n%s", err, c.want)
			}
		})
	}
}

func TestNewTLSHasTheDefaults(t *testing.T) {
	tls := NewTLS(&Certificate{CertFile: "/c", KeyFile: "/k"})
	if tls.MinVersion != DefaultTLSMinVersion || tls.ClientAuth != DefaultTLSClientAuth || tls.ReloadInterval != DefaultTLSReloadInterval {
		t.Errorf("got %+v, want the defaults", tls)
	}
}

func TestSchemaRejectsBadTLS(t *testing.T) {
	s := mustCompileSchema(t)
	const base = "version: 1\nservices: {a: {targets: [http://a]}}\nroutes: [{path: /, service: a}]\n"
	for name, doc := range map[string]string{
		"no certificates":    base + "server: {tls: {certificates: []}}\n",
		"no key":             base + "server: {tls: {certificates: [{cert_file: a}]}}\n",
		"TLS 1.1":            base + "server: {tls: {min_version: 1.1, certificates: [{cert_file: a, key_file: b}]}}\n",
		"bad client auth":    base + "server: {tls: {client_auth: optional, certificates: [{cert_file: a, key_file: b}]}}\n",
		"redirect no listen": base + "server: {tls: {redirect_http: {port: 443}, certificates: [{cert_file: a, key_file: b}]}}\n",
		"unknown tls key":    base + "server: {tls: {ciphers: [x], certificates: [{cert_file: a, key_file: b}]}}\n",
		"client cert false":  "version: 1\nservices: {a: {targets: [http://a]}}\nroutes: [{path: /, service: a, client_cert: {required: false}}]\n",
		"hsts unknown key":   "version: 1\nservices: {a: {targets: [http://a]}}\nroutes: [{path: /, service: a, hsts: {maxage: 1h}}]\n",
	} {
		t.Run(name, func(t *testing.T) {
			if err := s.Validate(mustJSONValue(t, []byte(doc))); err == nil {
				t.Errorf("got no error for\n%s", doc)
			}
		})
	}
}
