package auth_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

// smtpServer is a minimal SMTP server for one test: it offers STARTTLS
// when tlsConfig is set and records the message it receives.
type smtpServer struct {
	ln        net.Listener
	tlsConfig *tls.Config
	mu        sync.Mutex
	commands  []string
	data      string
	tlsUsed   bool
}

func startSMTP(tb testing.TB, tlsConfig *tls.Config) *smtpServer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	s := &smtpServer{ln: ln, tlsConfig: tlsConfig}
	tb.Cleanup(func() { ln.Close() })
	go s.serve()
	return s
}

func (s *smtpServer) serve() {
	conn, err := s.ln.Accept()
	if err != nil {
		return
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	rw := bufio.NewReadWriter(bufio.NewReader(conn), bufio.NewWriter(conn))
	say := func(line string) { rw.WriteString(line + "\r\n"); rw.Flush() }
	say("220 test ESMTP")
	for {
		line, err := rw.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimSpace(line)
		s.mu.Lock()
		s.commands = append(s.commands, cmd)
		s.mu.Unlock()
		switch verb := strings.ToUpper(strings.Fields(cmd + " x")[0]); verb {
		case "EHLO":
			if s.tlsConfig != nil && !s.tlsUsed {
				say("250-test\r\n250 STARTTLS")
			} else {
				say("250-test\r\n250 AUTH PLAIN")
			}
		case "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(conn, s.tlsConfig)
			if err := tc.Handshake(); err != nil {
				return
			}
			s.mu.Lock()
			s.tlsUsed = true
			s.mu.Unlock()
			rw = bufio.NewReadWriter(bufio.NewReader(tc), bufio.NewWriter(tc))
		case "AUTH", "MAIL", "RCPT":
			if verb == "AUTH" {
				say("235 ok")
			} else {
				say("250 ok")
			}
		case "DATA":
			say("354 go on")
			var sb strings.Builder
			for {
				l, err := rw.ReadString('\n')
				if err != nil || l == ".\r\n" {
					break
				}
				sb.WriteString(l)
			}
			s.mu.Lock()
			s.data = sb.String()
			s.mu.Unlock()
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 no")
		}
	}
}

func selfSigned(tb testing.TB) (*tls.Config, *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

func TestSMTPMailer(t *testing.T) {
	serverTLS, pool := selfSigned(t)
	t.Run("sends over STARTTLS", func(t *testing.T) {
		srv := startSMTP(t, serverTLS)
		m, err := auth.NewSMTPMailer(auth.SMTPOptions{Addr: srv.ln.Addr().String(), From: "portico@example.com",
			Username: "u", Password: "p", TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}})
		mustNoErr(t, "new mailer", err)
		err = m.Send(t.Context(), auth.Mail{To: "ada@example.com", Subject: "Hello", Body: "line one\nline two"})
		mustNoErr(t, "send", err)
		srv.mu.Lock()
		defer srv.mu.Unlock()
		if !srv.tlsUsed {
			t.Error("got no STARTTLS, want the session upgraded")
		}
		if !strings.Contains(srv.data, "Subject: Hello\r\n") || !strings.Contains(srv.data, "line one\r\nline two\r\n") {
			t.Errorf("got message %q, want the subject and CRLF body", srv.data)
		}
		cmds := strings.Join(srv.commands, "|")
		if !strings.Contains(cmds, "MAIL FROM:<portico@example.com>") || !strings.Contains(cmds, "RCPT TO:<ada@example.com>") {
			t.Errorf("got commands %s, want MAIL FROM and RCPT TO", cmds)
		}
	})
	t.Run("refuses a server without STARTTLS", func(t *testing.T) {
		srv := startSMTP(t, nil)
		m, err := auth.NewSMTPMailer(auth.SMTPOptions{Addr: srv.ln.Addr().String(), From: "portico@example.com"})
		mustNoErr(t, "new mailer", err)
		err = m.Send(t.Context(), auth.Mail{To: "ada@example.com", Subject: "Hello", Body: "secret link"})
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Fatalf("got error %v, want a refusal for lack of STARTTLS", err)
		}
		srv.mu.Lock()
		defer srv.mu.Unlock()
		if strings.Contains(srv.data, "secret link") {
			t.Error("the message went out in clear")
		}
	})
	t.Run("rejects header injection", func(t *testing.T) {
		m, err := auth.NewSMTPMailer(auth.SMTPOptions{Addr: "127.0.0.1:1", From: "portico@example.com"})
		mustNoErr(t, "new mailer", err)
		err = m.Send(t.Context(), auth.Mail{To: "ada@example.com", Subject: "Hi\r\nBcc: x@example.com"})
		wantErr(t, "subject with CRLF", err, auth.ErrInvalid)
	})
	_, err := auth.NewSMTPMailer(auth.SMTPOptions{Addr: "no-port", From: "portico@example.com"})
	if err == nil {
		t.Error("address without port: got no error, want one")
	}
}
