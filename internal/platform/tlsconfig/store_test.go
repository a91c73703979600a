package tlsconfig

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/platform/tlsconfig/tlstest"
)

// echoServer accepts TLS connections with cfg and echoes each line back,
// prefixed with the common name of the client's verified certificate, if
// any. It returns the address.
func echoServer(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				tc := c.(*tls.Conn)
				if tc.Handshake() != nil {
					return
				}
				who := "-"
				if cs := tc.ConnectionState(); len(cs.VerifiedChains) > 0 {
					who = cs.PeerCertificates[0].Subject.CommonName
				}
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					io.WriteString(c, who+" "+line)
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// dial completes a handshake with addr, trusting roots, and returns the
// connection. The deadline only keeps a broken server from hanging the
// test.
func dial(t *testing.T, addr, serverName string, roots *x509.CertPool, client *tls.Certificate) (*tls.Conn, error) {
	t.Helper()
	cfg := &tls.Config{RootCAs: roots, ServerName: serverName}
	if serverName == "" {
		// crypto/tls sends no SNI for an IP address; the certificate is
		// checked by the caller.
		cfg = &tls.Config{ServerName: "127.0.0.1", InsecureSkipVerify: true}
	}
	if client != nil {
		// Sent whatever CAs the server names, as a misbehaving client would.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return client, nil }
	}
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	c := tls.Client(raw, cfg)
	if err := c.Handshake(); err != nil {
		raw.Close()
		return nil, err
	}
	// TLS 1.3 reports a refused client certificate only on the first read.
	c.Write([]byte("hello\n"))
	if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
		raw.Close()
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return c, nil
}

func mustDial(t *testing.T, addr, serverName string, roots *x509.CertPool) *tls.Conn {
	t.Helper()
	c, err := dial(t, addr, serverName, roots, nil)
	if err != nil {
		t.Fatalf("handshake for %q: %v", serverName, err)
	}
	return c
}

func leafNames(c *tls.Conn) string {
	return strings.Join(c.ConnectionState().PeerCertificates[0].DNSNames, ",")
}

func mustStore(t *testing.T, o Options) *Store {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestSNIChoosesTheCertificate(t *testing.T) {
	ca := tlstest.NewCA(t, "test CA")
	dir := t.TempDir()
	a1, a2 := ca.Server(t, "a.example").Write(t, dir, "a")
	b1, b2 := ca.Server(t, "b.example", "*.b.example").Write(t, dir, "b")
	s := mustStore(t, Options{Pairs: []Pair{{a1, a2}, {b1, b2}}})
	addr := echoServer(t, s.Config())

	for sni, want := range map[string]string{
		"a.example":   "a.example",
		"b.example":   "b.example,*.b.example",
		"x.b.example": "b.example,*.b.example",
		"":            "a.example", // no SNI: the first
	} {
		t.Run("sni "+sni, func(t *testing.T) {
			if got := leafNames(mustDial(t, addr, sni, ca.Pool())); got != want {
				t.Errorf("got certificate for %s, want %s", got, want)
			}
		})
	}
	t.Run("unknown name gets the first, which does not verify", func(t *testing.T) {
		if _, err := dial(t, addr, "c.example", ca.Pool(), nil); err == nil {
			t.Error("handshake for c.example verified, want a name mismatch")
		}
	})
}

func TestHTTP2IsOffered(t *testing.T) {
	ca := tlstest.NewCA(t, "test CA")
	c1, c2 := ca.Server(t, "a.example").Write(t, t.TempDir(), "a")
	s := mustStore(t, Options{Pairs: []Pair{{c1, c2}}, NextProtos: []string{"h2", "http/1.1"}})
	addr := echoServer(t, s.Config())
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	c := tls.Client(raw, &tls.Config{RootCAs: ca.Pool(), ServerName: "a.example", NextProtos: []string{"h2", "http/1.1"}})
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Errorf("negotiated %q, want h2", p)
	}
}

// reloads runs s with a small interval and returns the outcomes of its
// reload attempts.
func reloads(t *testing.T, o Options) (*Store, <-chan error) {
	t.Helper()
	ch := make(chan error, 16)
	o.PollInterval = 5 * time.Millisecond
	o.OnReload = func(err error) { ch <- err }
	s := mustStore(t, o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, ch
}

// next waits for the next reload outcome. The bound only keeps a broken
// store from hanging the test.
func next(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no reload attempt")
		return nil
	}
}

// nextOK waits for a reload that succeeds. A pair is written one file
// after the other, so a reload may run between the two writes and see the
// new certificate with the old key twice in a row: that attempt fails, as
// it must, and the next one takes the pair.
func nextOK(t *testing.T, ch <-chan error) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case err := <-ch:
			if err == nil {
				return
			}
			t.Logf("reload attempt during the write: %v", err)
		case <-deadline:
			t.Fatal("no successful reload")
		}
	}
}

func TestReloadKeepsOpenConnectionsAndServesTheNewCertificate(t *testing.T) {
	ca := tlstest.NewCA(t, "test CA")
	dir := t.TempDir()
	old := ca.Server(t, "a.example")
	certFile, keyFile := old.Write(t, dir, "a")
	s, outcomes := reloads(t, Options{Pairs: []Pair{{certFile, keyFile}}})
	addr := echoServer(t, s.Config())
	open := mustDial(t, addr, "a.example", ca.Pool())

	fresh := ca.Server(t, "a.example", "www.a.example")
	fresh.Write(t, dir, "a")
	nextOK(t, outcomes)
	if got := leafNames(mustDial(t, addr, "a.example", ca.Pool())); got != "a.example,www.a.example" {
		t.Errorf("new handshake got %s, want the new certificate", got)
	}
	// The connection opened before the reload still works, with the
	// certificate it was established with.
	if _, err := io.WriteString(open, "still here\n"); err != nil {
		t.Fatalf("write on the open connection: %v", err)
	}
	line, err := bufio.NewReader(open).ReadString('\n')
	if err != nil || line != "- still here\n" {
		t.Errorf("open connection answered %q, %v", line, err)
	}
	if !open.ConnectionState().PeerCertificates[0].Equal(old.Cert) {
		t.Error("the open connection's certificate changed")
	}
}

func TestBadReplacementKeepsTheOldCertificate(t *testing.T) {
	ca := tlstest.NewCA(t, "test CA")
	dir := t.TempDir()
	certFile, keyFile := ca.Server(t, "a.example").Write(t, dir, "a")
	s, outcomes := reloads(t, Options{Pairs: []Pair{{certFile, keyFile}}})
	addr := echoServer(t, s.Config())
	before := s.Snapshot()

	cases := []struct {
		name string
		cert []byte
		key  []byte
		file string // the file the error names
	}{
		{"key of another certificate", ca.Server(t, "a.example").CertPEM, ca.Server(t, "a.example").KeyPEM, keyFile},
		{"not PEM", []byte("garbage"), nil, certFile},
		{"expired", nil, nil, certFile},
	}
	expired := ca.Issue(t, tlstest.Spec{CommonName: "a.example", Names: []string{"a.example"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	cases[2].cert, cases[2].key = expired.CertPEM, expired.KeyPEM
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tlstest.WriteFile(t, certFile, c.cert)
			if c.key != nil {
				tlstest.WriteFile(t, keyFile, c.key)
			}
			// A pair is written one file after the other, so the
			// previous case may have left an attempt that saw its half;
			// it names the other file.
			for {
				err := next(t, outcomes)
				var fe *FileError
				if !errors.As(err, &fe) {
					t.Fatalf("reload error = %v, want a problem with %s", err, c.file)
				}
				if fe.File == c.file {
					break
				}
				t.Logf("an attempt that saw a half-written pair: %v", err)
			}
			if s.Snapshot() != before {
				t.Error("the serving set changed")
			}
			if got := leafNames(mustDial(t, addr, "a.example", ca.Pool())); got != "a.example" {
				t.Errorf("handshake got %s", got)
			}
		})
	}

	t.Run("a good pair after bad ones loads", func(t *testing.T) {
		ca.Server(t, "a.example", "new.a.example").Write(t, dir, "a")
		nextOK(t, outcomes)
		if got := leafNames(mustDial(t, addr, "a.example", ca.Pool())); got != "a.example,new.a.example" {
			t.Errorf("handshake got %s, want the new certificate", got)
		}
	})
}

func TestReloadReportsABadReplacementOnce(t *testing.T) {
	ca := tlstest.NewCA(t, "test CA")
	dir := t.TempDir()
	certFile, keyFile := ca.Server(t, "a.example").Write(t, dir, "a")
	s, outcomes := reloads(t, Options{Pairs: []Pair{{certFile, keyFile}}})
	tlstest.WriteFile(t, certFile, []byte("garbage"))
	if err := next(t, outcomes); err == nil {
		t.Fatal("garbage loaded")
	}
	// Many polls of the same bad content later, nothing more is
	// reported: the next outcome is the good pair's.
	for range 20 {
		s.poll()
	}
	ca.Server(t, "a.example").Write(t, dir, "a")
	for {
		err := next(t, outcomes)
		if err == nil {
			return
		}
		// Only a reload between the two writes may fail (the new
		// certificate with the old key); the garbage is not reported
		// again.
		if fe, ok := errors.AsType[*FileError](err); !ok || fe.File != keyFile {
			t.Fatalf("got %v, want the good pair's success", err)
		}
	}
}

func TestClientCertificates(t *testing.T) {
	ca := tlstest.NewCA(t, "server CA")
	clients := tlstest.NewCA(t, "client CA")
	other := tlstest.NewCA(t, "another CA")
	dir := t.TempDir()
	certFile, keyFile := ca.Server(t, "a.example").Write(t, dir, "a")
	caFile := filepath.Join(dir, "clients.pem")
	tlstest.WriteFile(t, caFile, append([]byte("# the client CA\n"), clients.PEM...))
	good := clients.Client(t, "exporter").TLS
	stranger := other.Client(t, "stranger").TLS

	for _, c := range []struct {
		auth              tls.ClientAuthType
		none, good, other bool // whether the handshake succeeds
	}{
		{tls.VerifyClientCertIfGiven, true, true, false},
		{tls.RequireAndVerifyClientCert, false, true, false},
	} {
		t.Run(c.auth.String(), func(t *testing.T) {
			s := mustStore(t, Options{Pairs: []Pair{{certFile, keyFile}}, ClientAuth: c.auth, ClientCAFiles: []string{caFile}})
			addr := echoServer(t, s.Config())
			for name, tc := range map[string]struct {
				cert *tls.Certificate
				want bool
			}{"no certificate": {nil, c.none}, "certificate of the client CA": {&good, c.good}, "certificate of another CA": {&stranger, c.other}} {
				_, err := dial(t, addr, "a.example", ca.Pool(), tc.cert)
				if (err == nil) != tc.want {
					t.Errorf("%s: handshake error %v, want success %v", name, err, tc.want)
				}
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	ca := tlstest.NewCA(t, "test CA")
	dir := t.TempDir()
	certFile, keyFile := ca.Server(t, "a.example").Write(t, dir, "a")
	noSAN := ca.Issue(t, tlstest.Spec{CommonName: "a.example"})
	noSANCert, noSANKey := noSAN.Write(t, dir, "nosan")
	clientOnly := ca.Issue(t, tlstest.Spec{CommonName: "a.example", Names: []string{"a.example"}, Client: true})
	clientCert, clientKey := clientOnly.Write(t, dir, "client")
	notCA := filepath.Join(dir, "not-ca.pem")
	tlstest.WriteFile(t, notCA, []byte("no certificates here\n"))
	missing := filepath.Join(dir, "missing.pem")

	cases := map[string]struct {
		o        Options
		file     string // the file a FileError must name, "" for another error
		contains string
	}{
		"no pair":                 {Options{}, "", "no certificate"},
		"missing certificate":     {Options{Pairs: []Pair{{missing, keyFile}}}, missing, "no such file"},
		"missing key":             {Options{Pairs: []Pair{{certFile, missing}}}, missing, "no such file"},
		"key of another pair":     {Options{Pairs: []Pair{{certFile, noSANKey}}}, noSANKey, "does not belong to the certificate"},
		"certificate without SAN": {Options{Pairs: []Pair{{noSANCert, noSANKey}}}, noSANCert, "subject alternative names"},
		"client certificate":      {Options{Pairs: []Pair{{clientCert, clientKey}}}, clientCert, "server authentication"},
		"CA file without certificates": {Options{Pairs: []Pair{{certFile, keyFile}},
			ClientAuth: tls.RequireAndVerifyClientCert, ClientCAFiles: []string{notCA}}, notCA, "no PEM CERTIFICATE"},
		"verification without CAs":   {Options{Pairs: []Pair{{certFile, keyFile}}, ClientAuth: tls.RequireAndVerifyClientCert}, "", "no client CA file"},
		"request without verifying":  {Options{Pairs: []Pair{{certFile, keyFile}}, ClientAuth: tls.RequestClientCert}, "", "does not verify"},
		"TLS 1.1":                    {Options{Pairs: []Pair{{certFile, keyFile}}, MinVersion: tls.VersionTLS11}, "", "below TLS 1.2"},
		"CAs without authentication": {Options{Pairs: []Pair{{certFile, keyFile}}, ClientCAFiles: []string{notCA}}, "", "without client authentication"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := New(c.o)
			if err == nil {
				t.Fatal("got no error")
			}
			var fe *FileError
			if errors.As(err, &fe) != (c.file != "") || (fe != nil && fe.File != c.file) {
				t.Errorf("got %v, want a problem with file %q", err, c.file)
			}
			if !strings.Contains(err.Error(), c.contains) {
				t.Errorf("got %q, want it to say %q", err, c.contains)
			}
		})
	}
}

func TestCoversHost(t *testing.T) {
	ca := tlstest.NewCA(t, "test CA")
	c1, c2 := ca.Server(t, "a.example", "*.b.example", "127.0.0.1", "::1").Write(t, t.TempDir(), "a")
	snap := mustStore(t, Options{Pairs: []Pair{{c1, c2}}}).Snapshot()
	for host, want := range map[string]bool{
		"a.example": true, "A.EXAMPLE": true, "x.b.example": true, "b.example": false,
		"127.0.0.1": true, "::1": true, "[::1]": true, "evil.example": false, "": false,
	} {
		if got := snap.CoversHost(host); got != want {
			t.Errorf("CoversHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestEnsureSelfSigned(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	first, err := EnsureSelfSigned(dir, hosts, now)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || !slices.Equal(Names(first.Leaf), []string{"localhost", "127.0.0.1", "::1"}) {
		t.Fatalf("got created %v for %v, want a new certificate for every host", first.Created, Names(first.Leaf))
	}
	if fi, err := os.Stat(first.Pair.KeyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	again, err := EnsureSelfSigned(dir, hosts[:1], now.Add(time.Hour))
	if err != nil || again.Created || !again.Leaf.Equal(first.Leaf) {
		t.Errorf("second start: created %v, same %v, err %v; want the kept certificate", again.Created, again.Leaf.Equal(first.Leaf), err)
	}
	more, err := EnsureSelfSigned(dir, append(hosts, "dev.example"), now)
	if err != nil || !more.Created || more.Leaf.VerifyHostname("dev.example") != nil {
		t.Errorf("a new host: created %v, err %v; want a new certificate naming it", more.Created, err)
	}
	late, err := EnsureSelfSigned(dir, hosts, now.Add(SelfSignedLifetime-SelfSignedRenewBefore+time.Hour))
	if err != nil || !late.Created {
		t.Errorf("near expiry: created %v, err %v; want a new certificate", late.Created, err)
	}
	tlstest.WriteFile(t, late.Pair.KeyFile, []byte("broken"))
	fixed, err := EnsureSelfSigned(dir, hosts, now)
	if err != nil || !fixed.Created {
		t.Errorf("broken key: created %v, err %v; want a new certificate", fixed.Created, err)
	}
	// What it wrote serves.
	s := mustStore(t, Options{Pairs: []Pair{fixed.Pair}})
	roots := x509.NewCertPool()
	roots.AddCert(fixed.Leaf)
	mustDial(t, echoServer(t, s.Config()), "localhost", roots)
}

func TestFingerprints(t *testing.T) {
	leaf := tlstest.NewCA(t, "test CA").Server(t, "a.example").Cert
	hex, display := Fingerprint(leaf), DisplayFingerprint(leaf)
	if len(hex) != 64 || strings.ToUpper(hex) != strings.ReplaceAll(display, ":", "") {
		t.Errorf("got %s and %s, want the same SHA-256 in both forms", hex, display)
	}
}
