package gateway

import (
	"crypto/tls"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/platform/tlsconfig"
	"github.com/portico-gw/portico/internal/platform/tlsconfig/tlstest"
)

// TestTLSServesHTTP2AndHTTP1 checks both protocols over TLS and that the
// upstream learns the client's scheme.
func TestTLSServesHTTP2AndHTTP1(t *testing.T) {
	f := mustTLSFixture(t)
	up := mustUpstream(t, echoHandler("a"))
	tg := mustTLSGateway(t, tlsConfig("", catchAll), f.vars(up.URL))
	for name, h2 := range map[string]bool{"HTTP/2": true, "HTTP/1.1": false} {
		t.Run(name, func(t *testing.T) {
			resp, body := mustSend(t, tlsClient(t, f.ca.Pool(), nil, h2), mustRequest(t, "GET", tg.url("/x?q=1"), nil))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got %d %s", resp.StatusCode, body)
			}
			if want := map[bool]int{true: 2, false: 1}[h2]; resp.ProtoMajor != want {
				t.Errorf("got %s, want HTTP/%d", resp.Proto, want)
			}
			e := mustEchoed(t, body)
			if got := e.Header["X-Forwarded-Proto"]; !slices.Equal(got, []string{"https"}) {
				t.Errorf("upstream got X-Forwarded-Proto %q, want https", got)
			}
			if fwd := strings.Join(e.Header["Forwarded"], ","); !strings.Contains(fwd, "proto=https") {
				t.Errorf("upstream got Forwarded %q, want proto=https", fwd)
			}
			if e.Path != "/x" || e.Query != "q=1" {
				t.Errorf("upstream got %s?%s", e.Path, e.Query)
			}
		})
	}
}

// TestTLSChoosesTheCertificateBySNI serves two certificates and checks
// which one each client name gets.
func TestTLSChoosesTheCertificateBySNI(t *testing.T) {
	f := mustTLSFixture(t)
	bCert, bKey := f.ca.Server(t, "b.example").Write(t, f.dir, "b")
	up := mustUpstream(t, echoHandler("a"))
	vars := f.vars(up.URL)
	vars["B_CERT"], vars["B_KEY"] = bCert, bKey
	tg := mustTLSGateway(t, tlsConfig("      - {cert_file: \"${B_CERT}\", key_file: \"${B_KEY}\"}\n", catchAll), vars)
	for sni, want := range map[string]string{"gw.example": "gw.example", "b.example": "b.example", "": "gw.example", "c.example": "gw.example"} {
		if got := serverCert(t, tg.addr, sni).DNSNames[0]; got != want {
			t.Errorf("SNI %q: got the certificate of %s, want %s", sni, got, want)
		}
	}
}

// TestTLSHygiene sends, over TLS, the requests the cleartext hygiene
// tests send, and checks that the same rules hold: only WebSocket
// upgrades pass, client copies of identity headers are removed, and so
// are underscored spellings; on HTTP/1.1 and on HTTP/2.
func TestTLSHygiene(t *testing.T) {
	f := mustTLSFixture(t)
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Upstream-Connection", strings.Join(r.Header.Values("Connection"), ","))
		echoHandler("a").ServeHTTP(w, r)
	}))
	tg := mustTLSGateway(t, tlsConfig("", catchAll), f.vars(up.URL))

	for name, fields := range map[string]string{
		"h2c":                 "Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n",
		"TLS":                 "Upgrade: TLS/1.0\r\nConnection: Upgrade\r\n",
		"websocket in a list": "Upgrade: websocket, h2c\r\nConnection: Upgrade\r\n",
		"hop-by-hop":          "Connection: X-Hop\r\nX-Hop: 1\r\n",
	} {
		t.Run("HTTP/1.1 "+name, func(t *testing.T) {
			resp, body := mustRawTLS(t, tg.addr, f.ca.Pool(), "GET /x HTTP/1.1\r\nHost: gw.example\r\n"+fields+"\r\n")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got %d %q, want 200 as an ordinary request", resp.StatusCode, body)
			}
			h := mustEchoed(t, body).Header
			for _, k := range []string{"Upgrade", "Http2-Settings", "X-Hop"} {
				if v, ok := h[k]; ok {
					t.Errorf("upstream received %s: %q", k, v)
				}
			}
			if c := resp.Header.Get("X-Upstream-Connection"); strings.Contains(strings.ToLower(c), "upgrade") {
				t.Errorf("upstream received Connection: %q", c)
			}
		})
	}

	spoofed := "X-Portico-Client-Cert-Subject: CN=admin\r\nX-Portico-Client-Cert-Fingerprint: 00\r\n" +
		"X_Portico_Client_Cert_Subject: CN=admin\r\nX-Forwarded-Proto: http\r\n"
	t.Run("HTTP/1.1 spoofed identity", func(t *testing.T) {
		_, body := mustRawTLS(t, tg.addr, f.ca.Pool(), "GET /x HTTP/1.1\r\nHost: gw.example\r\n"+spoofed+"\r\n")
		checkNoSpoof(t, mustEchoed(t, body).Header)
	})
	t.Run("HTTP/2 spoofed identity", func(t *testing.T) {
		req := mustRequest(t, "GET", tg.url("/x"), nil)
		for line := range strings.Lines(spoofed) {
			k, v, _ := strings.Cut(strings.TrimSpace(line), ": ")
			req.Header[k] = []string{v}
		}
		resp, body := mustSend(t, tlsClient(t, f.ca.Pool(), nil, true), req)
		if resp.ProtoMajor != 2 {
			t.Fatalf("got %s, want HTTP/2", resp.Proto)
		}
		checkNoSpoof(t, mustEchoed(t, body).Header)
	})

	t.Run("websocket over TLS", func(t *testing.T) {
		wsUp := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer c.Close()
			if _, msg, err := c.ReadMessage(); err == nil {
				c.WriteMessage(websocket.TextMessage, append([]byte("echo: "), msg...))
			}
		}))
		ws := mustTLSGateway(t, tlsConfig("", catchAll), f.vars(wsUp.URL))
		d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: f.ca.Pool()}}
		c, resp, err := d.Dial("wss://"+ws.addr+"/ws", nil)
		if err != nil {
			t.Fatalf("dial: %v (response %v)", err, resp)
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte("ping"))
		if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "echo: ping" {
			t.Errorf("got %q, %v; want the upstream's echo", msg, err)
		}
	})
}

// checkNoSpoof checks that the upstream got no client-written identity
// header and the gateway's own scheme.
func checkNoSpoof(t *testing.T, h map[string][]string) {
	t.Helper()
	for k, v := range h {
		if hasIdentityPrefix(k) {
			t.Errorf("upstream received %s: %q, which the client wrote", k, v)
		}
	}
	if got := h["X-Forwarded-Proto"]; !slices.Equal(got, []string{"https"}) {
		t.Errorf("upstream got X-Forwarded-Proto %q, want https", got)
	}
}

// TestTLSRotation replaces the certificate files while a keep-alive
// connection is open: the connection keeps working with its certificate,
// new handshakes get the new one; a bad replacement keeps the old one.
func TestTLSRotation(t *testing.T) {
	f := mustTLSFixture(t)
	up := mustUpstream(t, echoHandler("a"))
	tg := mustTLSGateway(t, tlsConfig("", catchAll), f.vars(up.URL))
	first := serverCert(t, tg.addr, "gw.example")

	c := tlsClient(t, f.ca.Pool(), nil, false)
	var reused bool
	get := func() *http.Response {
		t.Helper()
		req := mustRequest(t, "GET", tg.url("/keep"), nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
		}))
		resp, body := mustSend(t, c, req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("got %d %s", resp.StatusCode, body)
		}
		return resp
	}
	get()

	next := f.ca.Server(t, "gw.example", "127.0.0.1", "www.gw.example")
	f.writePair(t, next)
	eventually(t, "a new handshake gets the new certificate", func() bool {
		return serverCert(t, tg.addr, "gw.example").Equal(next.Cert)
	})
	resp := get()
	if !reused || !resp.TLS.PeerCertificates[0].Equal(first) {
		t.Errorf("after the rotation: connection reused %v, its certificate the first %v; want the open connection, unchanged",
			reused, resp.TLS.PeerCertificates[0].Equal(first))
	}
	if got := matching(series(t, tg.reg), "portico_gateway_tls_reloads_total", "result=success"); len(got) != 1 || !strings.HasSuffix(got[0], " 1") {
		t.Errorf("reload series %v, want one success", got)
	}

	t.Run("a bad replacement keeps the serving certificate", func(t *testing.T) {
		tlstest.WriteFile(t, f.keyFile, f.ca.Server(t, "gw.example").KeyPEM) // the key of another certificate
		eventually(t, "the failure is counted", func() bool {
			return len(matching(series(t, tg.reg), "portico_gateway_tls_reloads_total{result=failure} 1")) == 1
		})
		if !serverCert(t, tg.addr, "gw.example").Equal(next.Cert) {
			t.Error("a new handshake got another certificate than the serving one")
		}
		if recs := tg.logs.records(t, "TLS files changed but do not load; the previous certificates keep serving"); len(recs) != 1 ||
			!strings.Contains(recs[0]["error"].(string), "does not belong to the certificate") {
			t.Errorf("log records %v, want one naming the mismatched key", recs)
		}
		get()
	})
}

// TestTLSMetrics checks the expiry gauge of the served certificate and of
// the client CA.
func TestTLSMetrics(t *testing.T) {
	f := mustTLSFixture(t)
	clients := tlstest.NewCA(t, "client CA")
	tlstest.WriteFile(t, f.file("clients.pem"), clients.PEM)
	up := mustUpstream(t, echoHandler("a"))
	tg := mustTLSGateway(t, tlsConfig("    client_auth: request\n    client_ca_files: [\"${DIR}/clients.pem\"]\n", catchAll), f.vars(up.URL))
	all := series(t, tg.reg)
	for _, kind := range []string{"kind=server", "kind=client_ca"} {
		got := matching(all, "portico_gateway_tls_certificate_expiry_seconds", kind)
		if len(got) != 1 {
			t.Fatalf("%s: got %v, want one series", kind, got)
		}
		// Both were issued to expire in a day.
		v, err := strconv.ParseFloat(got[0][strings.LastIndexByte(got[0], ' ')+1:], 64)
		if err != nil || v <= 23*3600 || v > 24*3600 {
			t.Errorf("%s: %s, want about a day (86400 s)", kind, got[0])
		}
	}
}

// TestTLSReloadOfTheConfiguration changes server.tls in a configuration
// reload (the new certificate serves new handshakes), then removes it
// (the listener keeps its TLS until a restart).
func TestTLSReloadOfTheConfiguration(t *testing.T) {
	f := mustTLSFixture(t)
	up := mustUpstream(t, echoHandler("a"))
	vars := f.vars(up.URL)
	tg := mustTLSGateway(t, tlsConfig("", catchAll), vars)

	other := f.ca.Server(t, "gw.example", "127.0.0.1")
	vars["CERT"], vars["KEY"] = other.Write(t, f.dir, "other")
	if err := tg.gw.Reload(mustConfig(t, tlsConfig("", catchAll), vars)); err != nil {
		t.Fatal(err)
	}
	if !serverCert(t, tg.addr, "gw.example").Equal(other.Cert) {
		t.Error("after the reload, a new handshake did not get the configured certificate")
	}
	cleartext := "version: 1\nserver: {listen: \"127.0.0.1:0\"}\nservices:\n  a: {targets: [\"${A}\"]}\nroutes:\n" + catchAll
	if err := tg.gw.Reload(mustConfig(t, cleartext, vars)); err != nil {
		t.Fatal(err)
	}
	if !serverCert(t, tg.addr, "gw.example").Equal(other.Cert) {
		t.Error("after server.tls was removed, the listener stopped serving its certificate")
	}
	if len(tg.logs.records(t, "server.tls removed; the listener keeps serving TLS with the certificates it had until a restart")) != 1 {
		t.Error("no warning that removing server.tls waits for a restart")
	}
}

// TestTLSOverride serves the certificate of Options.TLS, as portico all
// --tls-self-signed does, through a reload of a configuration without
// server.tls.
func TestTLSOverride(t *testing.T) {
	dir := t.TempDir()
	self, err := tlsconfig.EnsureSelfSigned(dir, []string{"localhost", "127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	up := mustUpstream(t, echoHandler("a"))
	cleartext := "version: 1\nserver: {listen: \"127.0.0.1:0\"}\nservices:\n  a: {targets: [\"${A}\"]}\nroutes:\n" + catchAll
	vars := map[string]string{"A": up.URL}
	o := Options{TLS: config.NewTLS(&config.Certificate{CertFile: self.Pair.CertFile, KeyFile: self.Pair.KeyFile})}
	tg := mustTLSGatewayWith(t, mustConfig(t, cleartext, vars), o)
	if err := tg.gw.Reload(mustConfig(t, cleartext, vars)); err != nil {
		t.Fatal(err)
	}
	if !serverCert(t, tg.addr, "localhost").Equal(self.Leaf) {
		t.Error("the listener does not serve the self-signed certificate")
	}
}

// TestTLSHandshakeErrorsAreCounted sends cleartext HTTP to the TLS
// listener: net/http answers it, and the failed handshake is counted.
func TestTLSHandshakeErrorsAreCounted(t *testing.T) {
	f := mustTLSFixture(t)
	up := mustUpstream(t, echoHandler("a"))
	tg := mustTLSGateway(t, tlsConfig("", catchAll), f.vars(up.URL))
	resp, _ := mustRaw(t, tg.addr, "GET / HTTP/1.1\r\nHost: gw.example\r\n\r\n")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("cleartext request to the TLS listener: got %d, want net/http's 400", resp.StatusCode)
	}
	eventually(t, "the failed handshake is counted", func() bool {
		return len(matching(series(t, tg.reg), "portico_gateway_tls_handshake_errors_total{} 1")) == 1
	})
}
