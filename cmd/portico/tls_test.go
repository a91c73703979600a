package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth/authhttp"
	"github.com/portico-gw/portico/internal/platform/tlsconfig"
	"github.com/portico-gw/portico/internal/platform/tlsconfig/tlstest"
)

// httpsClient trusts roots, offers HTTP/2, keeps cookies, presents cert
// when it is not nil and follows no redirect.
func httpsClient(t *testing.T, roots *x509.CertPool, cert *tls.Certificate) *http.Client {
	t.Helper()
	cfg := &tls.Config{RootCAs: roots}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestAllOverHTTPS runs portico all --tls-self-signed and signs in over
// HTTPS as a browser would: the session cookie is Secure (a cookie jar
// sends it over https only), the CSRF rule's origin is the https one, and
// every answer comes over HTTP/2. A second start reuses the certificate.
func TestAllOverHTTPS(t *testing.T) {
	const password = "correct horse battery staple"
	data := filepath.Join(t.TempDir(), "data")
	args := []string{"all", "--tls-self-signed", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data-dir", data}
	p, stdout := mustStartEnv(t, []string{"PORTICO_ADMIN_PASSWORD=" + password}, args...)
	base := "https://" + p.addrs["public"]

	certFile := filepath.Join(data, tlsconfig.SelfSignedCertFile)
	certs, err := tlsconfig.LoadCAs(certFile)
	if err != nil {
		t.Fatalf("the self-signed certificate: %v", err)
	}
	fingerprint := tlsconfig.DisplayFingerprint(certs[0])
	if got := bannerValue(t, stdout.String(), "SHA-256"); got != fingerprint {
		t.Errorf("banner fingerprint %s, want the certificate's %s", got, fingerprint)
	}
	if got := bannerValue(t, stdout.String(), "gateway"); got != base {
		t.Errorf("banner gateway %s, want %s", got, base)
	}
	if fi, err := os.Stat(filepath.Join(data, tlsconfig.SelfSignedKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v; want mode 0600", fi, err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(certs[0])
	c := httpsClient(t, roots, nil)

	send := func(method, path, body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", base) // as a browser on the dashboard's origin
		if method != http.MethodGet {
			req.Header.Set(authhttp.CSRFHeader, "1")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.ProtoMajor != 2 {
			t.Errorf("%s %s over %s, want HTTP/2", method, path, resp.Proto)
		}
		return resp, string(b)
	}

	login, _ := json.Marshal(map[string]string{"email": defaultAdminEmail, "password": password})
	resp, body := send(http.MethodPost, "/v1/login", string(login))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/login = %d %s, want 200", resp.StatusCode, body)
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "__Host-portico_session" {
			session = ck
		}
	}
	if session == nil || !session.Secure || !session.HttpOnly || session.Path != "/" || session.Domain != "" {
		t.Fatalf("session cookie %+v, want __Host-portico_session, Secure, HttpOnly, Path=/, no Domain", session)
	}
	if resp, body := send(http.MethodGet, "/v1/me", ""); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"staff":true`) {
		t.Fatalf("GET /v1/me = %d %s, want the administrator", resp.StatusCode, body)
	}
	// The CSRF rule holds over HTTPS too: another origin is refused.
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/logout", nil)
	req.Header.Set(authhttp.CSRFHeader, "1")
	req.Header.Set("Origin", "https://evil.example")
	if r, err := c.Do(req); err != nil || r.StatusCode != http.StatusForbidden {
		t.Errorf("logout from another origin: %v, %v; want 403", r, err)
	} else {
		r.Body.Close()
	}
	if resp, body := send(http.MethodPost, "/v1/logout", ""); resp.StatusCode/100 != 2 {
		t.Fatalf("POST /v1/logout = %d %s", resp.StatusCode, body)
	}
	if resp, _ := send(http.MethodGet, "/v1/me", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /v1/me after logout = %d, want 401", resp.StatusCode)
	}

	t.Run("cleartext is not served", func(t *testing.T) {
		code, _ := mustGet(t, "http://"+p.addrs["public"]+"/v1/me")
		if code != http.StatusBadRequest {
			t.Errorf("cleartext GET = %d, want net/http's 400", code)
		}
	})

	t.Run("the certificate is reused on the next start", func(t *testing.T) {
		mustStop(t, p)
		_, again := mustStartEnv(t, []string{"PORTICO_ADMIN_PASSWORD=" + password}, args...)
		if got := bannerValue(t, again.String(), "SHA-256"); got != fingerprint {
			t.Errorf("second start's fingerprint %s, want the first's %s", got, fingerprint)
		}
	})
}

// TestBinaryTLS runs portico gateway with server.tls from files: HTTPS
// with HTTP/2, the redirecting listener, client certificates and their
// identity headers, and a rotation of the certificate on disk.
func TestBinaryTLS(t *testing.T) {
	up, rec := mustRecordingUpstream(t)
	certs := t.TempDir()
	ca := tlstest.NewCA(t, "server CA")
	certFile, keyFile := ca.Server(t, "gw.example", "127.0.0.1").Write(t, certs, "gw")
	clients := tlstest.NewCA(t, "client CA")
	tlstest.WriteFile(t, filepath.Join(certs, "clients.pem"), clients.PEM)
	cfg := filepath.Join(t.TempDir(), "portico.yaml")
	tlsBlock := fmt.Sprintf(`  tls:
    reload_interval: 20ms
    certificates: [{cert_file: %q, key_file: %q}]
    client_auth: request
    client_ca_files: [%q]
    redirect_http: {listen: "127.0.0.1:0"}`, certFile, keyFile, filepath.Join(certs, "clients.pem"))
	mustWrite(t, cfg, gatewayConfig(up.URL, `"/{rest...}"`, tlsBlock)+
		"  - {name: machines, path: \"/machines/{rest...}\", service: up, client_cert: {required: true}, hsts: {}}\n")
	p := mustStart(t, "gateway", "--config", cfg)
	addr := p.addrs["public"]

	t.Run("HTTP/2 and identity headers", func(t *testing.T) {
		exporter := clients.Client(t, "exporter").TLS
		for name, cert := range map[string]*tls.Certificate{"without a certificate": nil, "with a certificate": &exporter} {
			t.Run(name, func(t *testing.T) {
				path := "/machines/" + strings.ReplaceAll(name, " ", "-")
				req, _ := http.NewRequest(http.MethodGet, "https://"+addr+path, nil)
				req.Header.Set("X-Portico-Client-Cert-Subject", "CN=admin")
				resp, err := httpsClient(t, ca.Pool(), cert).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if cert == nil {
					mustProblem(t, resp, body, http.StatusForbidden, "client-certificate-required")
					return
				}
				mustOK(t, resp, body)
				if resp.ProtoMajor != 2 || resp.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
					t.Errorf("got %s with Strict-Transport-Security %q", resp.Proto, resp.Header.Get("Strict-Transport-Security"))
				}
				h := rec.mustSeen(t, path).header
				if got := h.Values("X-Portico-Client-Cert-Subject"); len(got) != 1 || got[0] != "CN=exporter,O=Portico tests" {
					t.Errorf("upstream got subject %q, want the certificate's only", got)
				}
			})
		}
	})

	t.Run("h2c upgrade over TLS is an ordinary request", func(t *testing.T) {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "gw.example", NextProtos: []string{"http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "GET /h2c-tls HTTP/1.1\r\nHost: gw.example\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
		resp, body := mustReadResponse(t, bufio.NewReader(c))
		mustOK(t, resp, body)
		if h := rec.mustSeen(t, "/h2c-tls").header; h.Get("Upgrade") != "" || h.Get("Http2-Settings") != "" {
			t.Errorf("upstream received Upgrade %q, HTTP2-Settings %q", h.Get("Upgrade"), h.Get("Http2-Settings"))
		}
	})

	t.Run("redirect", func(t *testing.T) {
		_, port, _ := strings.Cut(addr, ":")
		resp, body := mustRaw(t, p.addrs["redirect"], "GET /a?b=c HTTP/1.1\r\nHost: gw.example\r\n\r\n")
		if want := "https://gw.example:" + port + "/a?b=c"; resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
			t.Errorf("got %d %q (%s), want 308 %s", resp.StatusCode, resp.Header.Get("Location"), body, want)
		}
		resp, body = mustRaw(t, p.addrs["redirect"], "GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n")
		mustProblem(t, resp, body, http.StatusMisdirectedRequest, "misdirected-request")
	})

	t.Run("rotation", func(t *testing.T) {
		n := p.logCount()
		next := ca.Server(t, "gw.example", "127.0.0.1", "new.gw.example")
		tlstest.WriteFile(t, certFile, next.CertPEM)
		tlstest.WriteFile(t, keyFile, next.KeyPEM)
		p.waitLog(t, "TLS certificates reloaded", n)
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "new.gw.example"})
		if err != nil {
			t.Fatalf("handshake for the new certificate's name: %v", err)
		}
		c.Close()
		if got := mustCounter(t, p.url("admin", "/metrics"), `portico_gateway_tls_reloads_total{result="success"}`); got != 1 {
			t.Errorf("reload successes = %v, want 1", got)
		}
	})
}

// TestCheckReportsTLSFiles checks that portico check reads the files of
// server.tls: a missing certificate and a key of another certificate are
// reported with their positions.
func TestCheckReportsTLSFiles(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "test CA")
	ca.Server(t, "gw.example").Write(t, dir, "gw")
	tlstest.WriteFile(t, filepath.Join(dir, "other.key"), ca.Server(t, "gw.example").KeyPEM)
	path := filepath.Join(dir, "portico.yaml")
	mustWrite(t, path, `version: 1
server:
  tls:
    certificates:
      - {cert_file: gw.crt, key_file: other.key}
      - {cert_file: missing.crt, key_file: gw.key}
services: {a: {targets: ["http://127.0.0.1:1"]}}
routes: [{path: /, service: a}]
`)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"check", "--config", path}, mapEnv(nil), &out, &errOut); code != 1 {
		t.Fatalf("check = %d (%s), want 1", code, out.String())
	}
	for _, want := range []string{
		path + ":5:39: server.tls.certificates[0].key_file: " + filepath.Join(dir, "other.key") + ": the key does not belong to the certificate in " + filepath.Join(dir, "gw.crt") + "\n",
		path + ":6:21: server.tls.certificates[1].cert_file: " + filepath.Join(dir, "missing.crt") + ": cannot be read: no such file or directory",
	} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("check said\n%s\nwant a line\n%s", errOut.String(), want)
		}
	}
}
