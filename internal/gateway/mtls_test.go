package gateway

import (
	"crypto/tls"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/platform/tlsconfig"
	"github.com/portico-gw/portico/internal/platform/tlsconfig/tlstest"
)

// mtlsRoutes are an open route, one for any verified client certificate,
// and one for the certificate of exporter.machines.example only.
const mtlsRoutes = catchAll +
	"  - {name: machines, path: \"/machines/{rest...}\", service: a, client_cert: {required: true}}\n" +
	"  - {name: exporter, path: \"/exporter\", service: a, client_cert: {required: true, names: [EXPORTER.machines.example, \"spiffe://example.org/exporter\"]}}\n"

// TestClientCertificates checks, with client_auth request, what a
// caller with and without a verified certificate may reach, and what the
// upstream and the access log learn of it.
func TestClientCertificates(t *testing.T) {
	f := mustTLSFixture(t)
	clients := tlstest.NewCA(t, "client CA")
	tlstest.WriteFile(t, f.file("clients.pem"), clients.PEM)
	up := mustUpstream(t, echoHandler("a"))
	tg := mustTLSGateway(t, tlsConfig("    client_auth: request\n    client_ca_files: [\"${DIR}/clients.pem\"]\n", mtlsRoutes), f.vars(up.URL))

	exporter := clients.Client(t, "exporter", "exporter.machines.example")
	spiffe := clients.Client(t, "spiffe", "spiffe://example.org/exporter")
	other := clients.Client(t, "billing", "billing.machines.example")

	get := func(t *testing.T, cert *tlstest.Leaf, path string, h2 bool) (*http.Response, []byte) {
		t.Helper()
		var c *tls.Certificate
		if cert != nil {
			c = &cert.TLS
		}
		req := mustRequest(t, "GET", tg.url(path), nil)
		// A client's own copies, which must never pass for the gateway's.
		req.Header.Set(headerCertSubject, "CN=admin")
		req.Header.Set(headerCertFingerprint, strings.Repeat("0", 64))
		return mustSend(t, tlsClient(t, f.ca.Pool(), c, h2), req)
	}

	for _, h2 := range []bool{false, true} {
		proto := map[bool]string{false: "HTTP/1.1 ", true: "HTTP/2 "}[h2]
		t.Run(proto+"no certificate: open route, no identity", func(t *testing.T) {
			resp, body := get(t, nil, "/open", h2)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got %d %s", resp.StatusCode, body)
			}
			h := mustEchoed(t, body).Header
			for _, k := range []string{headerCertSubject, headerCertFingerprint} {
				if v, ok := h[k]; ok {
					t.Errorf("upstream got %s: %q without a verified certificate", k, v)
				}
			}
		})
		t.Run(proto+"no certificate: certificate route refused", func(t *testing.T) {
			resp, body := get(t, nil, "/machines/x", h2)
			mustProblem(t, resp, body, http.StatusForbidden, "client-certificate-required")
		})
		t.Run(proto+"verified certificate: identity forwarded", func(t *testing.T) {
			resp, body := get(t, exporter, "/machines/x", h2)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got %d %s", resp.StatusCode, body)
			}
			h := mustEchoed(t, body).Header
			if got, want := h[headerCertSubject], []string{"CN=exporter,O=Portico tests"}; !slices.Equal(got, want) {
				t.Errorf("subject %q, want %q", got, want)
			}
			if got, want := h[headerCertFingerprint], []string{tlsconfig.Fingerprint(exporter.Cert)}; !slices.Equal(got, want) {
				t.Errorf("fingerprint %q, want %q", got, want)
			}
		})
	}

	for name, c := range map[string]struct {
		cert *tlstest.Leaf
		want int
	}{
		"listed DNS name, other case": {exporter, http.StatusOK},
		"listed URI":                  {spiffe, http.StatusOK},
		"another certificate":         {other, http.StatusForbidden},
	} {
		t.Run("names: "+name, func(t *testing.T) {
			resp, body := get(t, c.cert, "/exporter", false)
			if c.want == http.StatusForbidden {
				mustProblem(t, resp, body, c.want, "forbidden")
			} else if resp.StatusCode != c.want {
				t.Errorf("got %d %s, want %d", resp.StatusCode, body, c.want)
			}
		})
	}

	t.Run("access log", func(t *testing.T) {
		var found bool
		for _, rec := range tg.logs.records(t, "request") {
			if rec["route"] == "machines" && rec["status"] == float64(200) {
				found = true
				if rec["client_cert_sha256"] != tlsconfig.Fingerprint(exporter.Cert) || rec["client_cert_subject"] != "CN=exporter,O=Portico tests" {
					t.Errorf("access log record %v, want the certificate's fingerprint and subject", rec)
				}
			}
		}
		if !found {
			t.Error("no access log record of the machines route")
		}
	})

	t.Run("a certificate of another CA fails the handshake", func(t *testing.T) {
		stranger := tlstest.NewCA(t, "another CA").Client(t, "stranger")
		cfg := &tls.Config{RootCAs: f.ca.Pool(), ServerName: "gw.example",
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &stranger.TLS, nil }}
		c, err := tls.Dial("tcp", tg.addr, cfg)
		if err == nil {
			defer c.Close()
			_, err = c.Read(make([]byte, 1)) // TLS 1.3 reports the refusal on the first read
		}
		if err == nil {
			t.Error("the handshake with an unverifiable certificate succeeded")
		}
	})
}

// TestClientCertificatesRequired checks client_auth require: no
// connection without a verified certificate.
func TestClientCertificatesRequired(t *testing.T) {
	f := mustTLSFixture(t)
	clients := tlstest.NewCA(t, "client CA")
	tlstest.WriteFile(t, f.file("clients.pem"), clients.PEM)
	up := mustUpstream(t, echoHandler("a"))
	tg := mustTLSGateway(t, tlsConfig("    client_auth: require\n    client_ca_files: [\"${DIR}/clients.pem\"]\n", catchAll), f.vars(up.URL))

	if _, err := tlsClient(t, f.ca.Pool(), nil, true).Get(tg.url("/x")); err == nil {
		t.Error("a client without a certificate got an answer")
	}
	cert := clients.Client(t, "exporter").TLS
	resp, body := mustSend(t, tlsClient(t, f.ca.Pool(), &cert, true), mustRequest(t, "GET", tg.url("/x"), nil))
	if resp.StatusCode != http.StatusOK || mustEchoed(t, body).Header[headerCertSubject] == nil {
		t.Errorf("got %d %s, want 200 with the certificate's subject upstream", resp.StatusCode, body)
	}
}

func TestHeaderSafe(t *testing.T) {
	for in, want := range map[string]string{
		"CN=a,O=b":        "CN=a,O=b",
		"CN=a\nX-Evil: 1": `CN=a\0AX-Evil: 1`,
		"CN=\x7f\x00":     `CN=\7F\00`,
		"CN=Zürich":       "CN=Zürich",
	} {
		if got := headerSafe(in); got != want {
			t.Errorf("headerSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExplainTLS(t *testing.T) {
	f := mustTLSFixture(t)
	tlstest.WriteFile(t, f.file("clients.pem"), tlstest.NewCA(t, "client CA").PEM)
	cfg := mustConfig(t, tlsConfig("    client_auth: request\n    client_ca_files: [\"${DIR}/clients.pem\"]\n",
		mtlsRoutes+"  - {name: site, path: /site, service: a, hsts: {preload: true, include_subdomains: true}}\n"), f.vars("http://127.0.0.1:1"))
	for target, want := range map[string]string{
		"/exporter": "tls       a verified client certificate is required (else 403), naming EXPORTER.machines.example or spiffe://example.org/exporter; " +
			"a verified client certificate's subject and fingerprint go upstream in X-Portico-Client-Cert-Subject and X-Portico-Client-Cert-Fingerprint\n",
		"/site": "Strict-Transport-Security: max-age=31536000; includeSubDomains; preload over TLS only\n",
	} {
		out, err := Explain(cfg, "GET", "", target)
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("%s: got\n%s(%v)\nwant a line with %q", target, out, err, want)
		}
	}
}
