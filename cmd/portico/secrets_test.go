package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth/authhttp"
)

// Keys for tests that give them in the environment, as production does.
const (
	testKEK       = "S0VLLWZvci10ZXN0cy1vbmx5LTMyLWJ5dGVzLWxvbmc="
	testSecretKey = "VE9UUC1zZWNyZXQta2V5LWZvci10ZXN0cy0zMmJ5dGU="
)

// authEnvKeys are the variables that give portico auth its keys and log
// its mail, the smallest environment it starts with.
func authEnvKeys(dataDir string) []string {
	return []string{"PORTICO_DATA_DIR=" + dataDir, "PORTICO_AUTH_KEK=" + testKEK,
		"PORTICO_AUTH_SECRET_KEY=" + testSecretKey, "PORTICO_DEV_LOG_MAIL=true"}
}

// TestAuthRefusesInsecureSecrets checks that portico auth does not start
// with what is only fit for development unless told it is development:
// password reset links written to the log, or key files beside the
// database they protect. It refuses before creating anything.
func TestAuthRefusesInsecureSecrets(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	keys := map[string]string{"PORTICO_AUTH_KEK": testKEK, "PORTICO_AUTH_SECRET_KEY": testSecretKey}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	base := []string{"auth", "--listen", "127.0.0.1:0", "--admin-listen", "off", "--data-dir", data}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"no mailer", nil, keys, []string{"--smtp-addr", "--dev-log-mail"}},
		{"default key-encryption key location", []string{"--dev-log-mail"}, with(nil, "PORTICO_AUTH_SECRET_KEY", testSecretKey),
			[]string{"key-encryption key", filepath.Join(data, authKEKFile), "--dev-keys-in-data-dir"}},
		{"default TOTP secret key location", []string{"--dev-log-mail"}, with(nil, "PORTICO_AUTH_KEK", testKEK),
			[]string{"TOTP secret key", filepath.Join(data, authSecretKeyFile), "--dev-keys-in-data-dir"}},
		{"kek file given inside the data directory", []string{"--dev-log-mail", "--kek-file", filepath.Join(data, "keys", "k")},
			with(nil, "PORTICO_AUTH_SECRET_KEY", testSecretKey), []string{"key-encryption key", "--dev-keys-in-data-dir"}},
		{"smtp without a sender", []string{"--smtp-addr", "127.0.0.1:587"}, keys, []string{"--smtp-from"}},
		{"smtp user without a password", []string{"--smtp-addr", "127.0.0.1:587", "--smtp-from", "portico@example.com", "--smtp-username", "u"},
			keys, []string{"--smtp-username"}},
		{"smtp sender without a server", []string{"--smtp-from", "portico@example.com", "--dev-log-mail"}, keys, []string{"need --smtp-addr"}},
		{"bad trusted origin", []string{"--dev-log-mail", "--trusted-origins", "dash.example.com"}, keys, []string{"--trusted-origins"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(t.Context(), append(slices.Clone(base), tc.args...), mapEnv(tc.env), &out, &errOut)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr %s", code, errOut.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr %q, want it to mention %q", errOut.String(), w)
				}
			}
			if _, err := os.Stat(data); !os.IsNotExist(err) {
				t.Errorf("data directory: got %v, want nothing created", err)
			}
		})
	}
	var out, errOut strings.Builder
	if code := run(t.Context(), append(slices.Clone(base), "--dev-log-mail"), mapEnv(with(keys, "PORTICO_DEV_KEYS_IN_DATA_DIR", "maybe")), &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "PORTICO_DEV_KEYS_IN_DATA_DIR") {
		t.Errorf("PORTICO_DEV_KEYS_IN_DATA_DIR=maybe: exit %d, stderr %q; want 2 naming the variable", code, errOut.String())
	}
}

// TestAuthKeysFromTheEnvironment checks that portico auth starts with its
// keys in the environment and writes no key file, and that it warns of the
// development conveniences it was told to use.
func TestAuthKeysFromTheEnvironment(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	p, _ := mustStartEnv(t, authEnvKeys(data), "auth", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0")
	for _, name := range []string{authKEKFile, authSecretKeyFile} {
		if _, err := os.Stat(filepath.Join(data, name)); !os.IsNotExist(err) {
			t.Errorf("%s: got %v, want no file: the key came from the environment", name, err)
		}
	}
	if !strings.Contains(p.log(), "password reset mail is written to the log") {
		t.Errorf("no warning that mail is logged:\n%s", p.log())
	}
	if strings.Contains(p.log(), "key files are kept in the data directory") {
		t.Errorf("a warning about key files that are not there:\n%s", p.log())
	}
	mustStop(t, p)

	// The development setup starts, and says what it is.
	p, _ = mustStartEnv(t, []string{"PORTICO_DATA_DIR=" + filepath.Join(t.TempDir(), "dev")},
		"auth", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--dev-log-mail", "--dev-keys-in-data-dir")
	if !strings.Contains(p.log(), "key files are kept in the data directory") {
		t.Errorf("no warning about the key files:\n%s", p.log())
	}
	mustStop(t, p)
}

// TestAuthSendsResetMailBySMTP checks that with SMTP configured the reset
// link goes to the mail server, over STARTTLS, and never to the log.
func TestAuthSendsResetMailBySMTP(t *testing.T) {
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	srv := startTestSMTP(t, caFile)
	passwordFile := filepath.Join(dir, "smtp-password")
	mustWrite(t, passwordFile, "smtp secret\n")
	env := []string{"PORTICO_DATA_DIR=" + filepath.Join(dir, "data"), "PORTICO_AUTH_KEK=" + testKEK,
		"PORTICO_AUTH_SECRET_KEY=" + testSecretKey, "PORTICO_ADMIN_EMAIL=ada@example.com",
		"PORTICO_SMTP_ADDR=" + srv.addr, "PORTICO_SMTP_FROM=portico@example.com"}
	p, _ := mustStartEnv(t, env, "auth", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--smtp-username", "portico", "--smtp-password-file", passwordFile, "--smtp-ca-file", caFile)
	status, body := postJSON(t, p.url("public", "/v1/password/reset-request"), "", `{"email":"ada@example.com"}`, authhttp.CSRFHeader, "1")
	if status != http.StatusAccepted {
		t.Fatalf("POST /v1/password/reset-request = %d %s, want 202", status, body)
	}
	msg := srv.wait(t)
	if !msg.tls || !strings.Contains(msg.auth, "AUTH PLAIN") {
		t.Errorf("got TLS %v, AUTH %q; want the mail after STARTTLS, authenticated", msg.tls, msg.auth)
	}
	i := strings.Index(msg.data, "#reset_code=")
	if i < 0 {
		t.Fatalf("the mail has no reset link:\n%s", msg.data)
	}
	code := strings.Fields(msg.data[i+len("#reset_code="):])[0]
	if strings.Contains(p.log(), code) {
		t.Error("the reset code appears in the log")
	}
	if strings.Contains(p.log(), "password reset mail is written to the log") {
		t.Error("a warning about logged mail, with SMTP configured")
	}
	// The mail queue's counters are metrics.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if mustCounter(t, p.url("admin", "/metrics"), `portico_auth_mail_total{outcome="sent"}`) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(`portico_auth_mail_total{outcome="sent"} did not reach 1 after the mail was delivered`)
		}
	}
	if got := mustCounter(t, p.url("admin", "/metrics"), `portico_auth_mail_total{outcome="dropped"}`); got != 0 {
		t.Errorf(`portico_auth_mail_total{outcome="dropped"} = %v, want 0`, got)
	}
	mustStop(t, p)
}

// testSMTP is a one-message SMTP server offering STARTTLS.
type testSMTP struct {
	addr string
	got  chan smtpMessage
}

type smtpMessage struct {
	tls        bool
	auth, data string
}

// startTestSMTP starts the server with a certificate for 127.0.0.1 and
// writes that certificate, its own CA, to caFile.
func startTestSMTP(t *testing.T, caFile string) *testSMTP {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, caFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testSMTP{addr: ln.Addr().String(), got: make(chan smtpMessage, 4)}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); s.serve(c, cfg) }()
		}
	}()
	return s
}

func (s *testSMTP) serve(conn net.Conn, cfg *tls.Config) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	var m smtpMessage
	rw := bufio.NewReadWriter(bufio.NewReader(conn), bufio.NewWriter(conn))
	say := func(line string) { rw.WriteString(line + "\r\n"); rw.Flush() }
	say("220 test ESMTP")
	for {
		line, err := rw.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimSpace(line)
		switch verb := strings.ToUpper(strings.Fields(cmd + " x")[0]); verb {
		case "EHLO":
			if m.tls {
				say("250-test\r\n250 AUTH PLAIN")
			} else {
				say("250-test\r\n250 STARTTLS")
			}
		case "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(conn, cfg)
			if tc.Handshake() != nil {
				return
			}
			m.tls = true
			rw = bufio.NewReadWriter(bufio.NewReader(tc), bufio.NewWriter(tc))
		case "AUTH":
			m.auth = cmd
			say("235 ok")
		case "MAIL", "RCPT", "RSET", "NOOP":
			say("250 ok")
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
			m.data = sb.String()
			say("250 queued")
			s.got <- m
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 no")
		}
	}
}

func (s *testSMTP) wait(t *testing.T) smtpMessage {
	t.Helper()
	select {
	case m := <-s.got:
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("no mail reached the SMTP server")
		return smtpMessage{}
	}
}
