package gateway

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/platform/server"
	"github.com/portico-gw/portico/internal/platform/tlsconfig/tlstest"
)

// tlsGateway is a gateway behind a real TLS listener, served as
// cmd/portico serves it (platform/server with the gateway's TLSConfig),
// and its cleartext redirecting listener when the configuration has one.
type tlsGateway struct {
	gw       *Gateway
	addr     string // the TLS listener
	redirect string // the redirecting listener, or ""
	logs     *syncBuffer
	reg      *prometheus.Registry
}

// tlsFixture is a CA, and a server certificate it issued for gw.example
// and 127.0.0.1 written as dir/gw.crt and dir/gw.key.
type tlsFixture struct {
	ca       *tlstest.CA
	dir      string
	certFile string
	keyFile  string
}

func mustTLSFixture(tb testing.TB) *tlsFixture {
	tb.Helper()
	f := &tlsFixture{ca: tlstest.NewCA(tb, "server CA"), dir: tb.TempDir()}
	f.certFile, f.keyFile = f.ca.Server(tb, "gw.example", "127.0.0.1").Write(tb, f.dir, "gw")
	return f
}

// vars are the variables of a configuration using the fixture: CERT and
// KEY, DIR, and A, the upstream's URL.
func (f *tlsFixture) vars(upstream string) map[string]string {
	return map[string]string{"CERT": f.certFile, "KEY": f.keyFile, "DIR": f.dir, "A": upstream}
}

// tlsConfig is one catch-all route to the service a at ${A}, served over
// TLS with ${CERT} and ${KEY}; tls holds more lines of server.tls and
// more the rest of the file after the routes (each indented as it
// belongs, ending in a newline).
func tlsConfig(tls, routes string) string {
	return "version: 1\nserver:\n  listen: 127.0.0.1:0\n  tls:\n    reload_interval: 5ms\n    certificates:\n" +
		"      - {cert_file: \"${CERT}\", key_file: \"${KEY}\"}\n" + tls +
		"services:\n  a: {targets: [\"${A}\"]}\nroutes:\n" + routes
}

const catchAll = "  - {name: all, path: \"/{rest...}\", service: a}\n"

func mustTLSGateway(tb testing.TB, yaml string, vars map[string]string) *tlsGateway {
	tb.Helper()
	return mustTLSGatewayWith(tb, mustConfig(tb, yaml, vars), Options{})
}

func mustTLSGatewayWith(tb testing.TB, cfg *config.Config, o Options) *tlsGateway {
	tb.Helper()
	logs := &syncBuffer{}
	reg := prometheus.NewRegistry()
	cfg.Server.AccessLogFlush = 0
	o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o.AccessLog = logs
	o.Registerer = reg
	gw, err := New(cfg, o)
	if err != nil {
		tb.Fatalf("gateway: %v", err)
	}
	tc := gw.TLSConfig()
	if tc == nil {
		tb.Fatal("TLSConfig is nil for a configuration with server.tls")
	}
	s := &cfg.Server
	pub, err := server.New(server.Options{
		Name: "public", Addr: s.Listen, Handler: gw, TLSConfig: tc,
		ReadHeaderTimeout: s.ReadHeaderTimeout.D(), IdleTimeout: s.IdleTimeout.D(),
		MaxHeaderBytes: 2 * int(s.MaxHeaderBytes), ShutdownGrace: time.Second,
		OnTLSHandshakeError: gw.TLSHandshakeFailed,
	})
	if err != nil {
		tb.Fatal(err)
	}
	servers := []*server.Server{pub}
	tg := &tlsGateway{gw: gw, addr: pub.Addr().String(), logs: logs, reg: reg}
	if l := gw.RedirectListen(); l != "" {
		_, port, _ := net.SplitHostPort(tg.addr)
		n, _ := strconv.Atoi(port)
		red, err := server.New(server.Options{Name: "redirect", Addr: l, Handler: gw.RedirectHandler(n),
			ReadHeaderTimeout: s.ReadHeaderTimeout.D(), ShutdownGrace: time.Second})
		if err != nil {
			tb.Fatal(err)
		}
		servers = append(servers, red)
		tg.redirect = red.Addr().String()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.RunGroup(ctx, 0, nil, servers...) }()
	tb.Cleanup(func() {
		cancel()
		<-done
		gw.Close()
	})
	return tg
}

// url is the TLS listener's URL for path.
func (tg *tlsGateway) url(path string) string { return "https://" + tg.addr + path }

// client returns a client trusting roots, presenting cert when it is not
// nil, offering HTTP/2 when h2 is set.
func tlsClient(tb testing.TB, roots *x509.CertPool, cert *tls.Certificate, h2 bool) *http.Client {
	tb.Helper()
	cfg := &tls.Config{RootCAs: roots}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	tr := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: h2}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// mustSend sends req with c and returns the response and its body.
func mustSend(tb testing.TB, c *http.Client, req *http.Request) (*http.Response, []byte) {
	tb.Helper()
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read body: %v", err)
	}
	return resp, body
}

// serverCert completes a handshake with addr sending sni (none when
// empty) and returns the certificate the server presented.
func serverCert(tb testing.TB, addr, sni string) *x509.Certificate {
	tb.Helper()
	cfg := &tls.Config{InsecureSkipVerify: true, ServerName: sni}
	if sni == "" {
		cfg.ServerName = "127.0.0.1" // an address: crypto/tls sends no SNI
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		tb.Fatalf("handshake with %s: %v", addr, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0]
}

// eventually polls cond until it holds; the deadline only keeps a broken
// gateway from hanging the test.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// mustRawTLS writes raw request bytes on a new TLS connection to addr
// that negotiated HTTP/1.1, and reads one response.
func mustRawTLS(tb testing.TB, addr string, roots *x509.CertPool, raw string) (*http.Response, []byte) {
	tb.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr,
		&tls.Config{RootCAs: roots, ServerName: "gw.example", NextProtos: []string{"http/1.1"}})
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		tb.Fatalf("write: %v", err)
	}
	return mustReadResponse(tb, bufio.NewReader(c))
}

// writePair writes a certificate and its key over the fixture's files.
func (f *tlsFixture) writePair(tb testing.TB, l *tlstest.Leaf) {
	tb.Helper()
	tlstest.WriteFile(tb, f.certFile, l.CertPEM)
	tlstest.WriteFile(tb, f.keyFile, l.KeyPEM)
}

// file names a file in the fixture's directory.
func (f *tlsFixture) file(name string) string { return filepath.Join(f.dir, name) }
