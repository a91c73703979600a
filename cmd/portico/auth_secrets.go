package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authhttp"
	"github.com/portico-gw/portico/internal/auth/signing"
)

// secretFlags are the flags of portico auth that say where its secrets
// come from and where its mail goes; docs/security.md ("Secrets") says why
// each default is what it is.
type secretFlags struct {
	mail             mailFlags
	trustedOrigins   string
	devKeysInDataDir bool
}

// define adds the flags to fs; an environment variable that is not a
// boolean where one is wanted is an error.
func (f *secretFlags) define(fs *flag.FlagSet, getenv env) error {
	stringFlag(fs, getenv, &f.trustedOrigins, "trusted-origins", "PORTICO_AUTH_TRUSTED_ORIGINS", "", "comma-separated `origins` (https://dash.example.com) browsers may send unsafe /v1 requests from; default the issuer's origin")
	return errors.Join(
		f.mail.define(fs, getenv, "password reset mail"),
		boolFlag(fs, getenv, &f.devKeysInDataDir, "dev-keys-in-data-dir", "PORTICO_DEV_KEYS_IN_DATA_DIR",
			"development only: allow the key-encryption key and the TOTP secret key files in the data directory, beside the database they protect"),
	)
}

// mailFlags say how a service sends mail: through an SMTP server, or, in
// development, to its log.
type mailFlags struct {
	smtpAddr, smtpFrom, smtpUsername, smtpPasswordFile, smtpCAFile string
	devLogMail                                                     bool
}

// define adds the flags to fs; what names the mail in their usage.
func (f *mailFlags) define(fs *flag.FlagSet, getenv env, what string) error {
	stringFlag(fs, getenv, &f.smtpAddr, "smtp-addr", "PORTICO_SMTP_ADDR", "", "`host:port` of the SMTP server "+what+" goes through, always with STARTTLS (usually port 587)")
	stringFlag(fs, getenv, &f.smtpFrom, "smtp-from", "PORTICO_SMTP_FROM", "", "sender `address` of the mail")
	stringFlag(fs, getenv, &f.smtpUsername, "smtp-username", "PORTICO_SMTP_USERNAME", "", "`user` to authenticate to the SMTP server as, after STARTTLS; the password is PORTICO_SMTP_PASSWORD or --smtp-password-file")
	stringFlag(fs, getenv, &f.smtpPasswordFile, "smtp-password-file", "PORTICO_SMTP_PASSWORD_FILE", "", "`file` holding the SMTP password, such as a mounted Secret; used when PORTICO_SMTP_PASSWORD is unset")
	stringFlag(fs, getenv, &f.smtpCAFile, "smtp-ca-file", "PORTICO_SMTP_CA_FILE", "", "PEM `file` of the CAs the SMTP server's certificate is checked against; default the system's")
	return boolFlag(fs, getenv, &f.devLogMail, "dev-log-mail", "PORTICO_DEV_LOG_MAIL",
		"development only: write "+what+", link included, to the log instead of sending it")
}

// smtp returns the SMTP mailer the flags describe, nil when there is no
// --smtp-addr.
func (f *mailFlags) smtp(getenv env) (*auth.SMTPMailer, error) {
	password, _ := getenv("PORTICO_SMTP_PASSWORD")
	return smtpMailer(f.smtpAddr, f.smtpFrom, f.smtpUsername, password, f.smtpPasswordFile, f.smtpCAFile)
}

// boolFlag defines a boolean flag whose default comes from the environment
// variable name when it is set (1, true, 0, false...).
func boolFlag(fs *flag.FlagSet, getenv env, p *bool, flagName, name, usage string) error {
	var def bool
	if v, ok := getenv(name); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s=%q: want true or false", name, v)
		}
		def = b
	}
	fs.BoolVar(p, flagName, def, usage+" (env "+name+")")
	return nil
}

// apply resolves the flags into s: the mailer, the origins, and the check
// that no key file lies in the data directory outside development. It runs
// before anything is created.
func (f *secretFlags) apply(s *authSettings, getenv env) error {
	var err error
	if s.trustedOrigins, err = parseOrigins(f.trustedOrigins); err != nil {
		return fmt.Errorf("--trusted-origins: %w", err)
	}
	m, err := f.mail.smtp(getenv)
	if err != nil {
		return err
	}
	if m != nil {
		s.mailer = m
	}
	s.devLogMail = f.mail.devLogMail
	if s.mailer == nil && !s.devLogMail {
		return errors.New("no way to send password reset mail: set --smtp-addr and --smtp-from (PORTICO_SMTP_ADDR, PORTICO_SMTP_FROM), " +
			"or, for development only, --dev-log-mail to write the links to the log")
	}
	s.devKeysInDataDir = f.devKeysInDataDir
	return checkKeyFiles(*s)
}

// smtpMailer returns the SMTP mailer the values describe, nil when addr
// is empty, or an error when they are incomplete. password, when empty,
// is read from passwordFile.
func smtpMailer(addr, from, username, password, passwordFile, caFile string) (*auth.SMTPMailer, error) {
	if addr == "" {
		if from != "" || username != "" || passwordFile != "" || caFile != "" {
			return nil, errors.New("--smtp-from, --smtp-username, --smtp-password-file and --smtp-ca-file need --smtp-addr")
		}
		return nil, nil
	}
	if password == "" && passwordFile != "" {
		b, err := os.ReadFile(passwordFile)
		if err != nil {
			return nil, fmt.Errorf("--smtp-password-file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	if (username == "") != (password == "") {
		return nil, errors.New("--smtp-username and the SMTP password (PORTICO_SMTP_PASSWORD or --smtp-password-file) go together")
	}
	o := auth.SMTPOptions{Addr: addr, From: from, Username: username, Password: password}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--smtp-ca-file: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--smtp-ca-file %s: no PEM certificate", caFile)
		}
		host, _, _ := net.SplitHostPort(addr)
		o.TLSConfig = &tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	m, err := auth.NewSMTPMailer(o)
	if err != nil {
		return nil, fmt.Errorf("--smtp-addr, --smtp-from: %w", err)
	}
	return m, nil
}

// parseOrigins parses comma-separated origins.
func parseOrigins(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		o, err := authhttp.ParseOrigin(f)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// keyFiles are the key files s reads, by what they hold: those whose key
// does not come from the environment.
func (s authSettings) keyFiles() map[string]string {
	files := map[string]string{}
	if s.kekEnv == "" {
		files["key-encryption key (--kek-file; or PORTICO_AUTH_KEK)"] = s.kekFile
	}
	if s.secretKeyEnv == "" {
		files["TOTP secret key (--secret-key-file; or PORTICO_AUTH_SECRET_KEY)"] = s.secretKeyFile
	}
	return files
}

// keyFilesInDataDir lists the key files s reads from its data directory.
func (s authSettings) keyFilesInDataDir() []string {
	var out []string
	for what, file := range s.keyFiles() {
		if inDir(file, s.dataDir) {
			out = append(out, what+" "+file)
		}
	}
	return out
}

// checkKeyFiles refuses key files in the data directory unless s is a
// development setup: a copy of that directory (a backup, a snapshot of
// the volume) would then hold the database and the keys that unseal it.
func checkKeyFiles(s authSettings) error {
	if s.devKeysInDataDir {
		return nil
	}
	if in := s.keyFilesInDataDir(); len(in) > 0 {
		return fmt.Errorf("%s: in the data directory %s, beside the database it protects; "+
			"give the key in the environment or in a file elsewhere (a mounted Secret), "+
			"or, for development only, pass --dev-keys-in-data-dir", strings.Join(in, "; "), s.dataDir)
	}
	return nil
}

// warnDevSecrets logs, at start, each development convenience s uses.
func warnDevSecrets(s authSettings, logger *slog.Logger) {
	if s.devKeysInDataDir {
		if in := s.keyFilesInDataDir(); len(in) > 0 {
			logger.Warn("development setup: key files are kept in the data directory, so a copy of it can unseal the signing keys and mint tokens; "+
				"in production give PORTICO_AUTH_KEK and PORTICO_AUTH_SECRET_KEY, or files outside it",
				slog.String("data_dir", s.dataDir), slog.Any("files", in))
		}
	}
	if s.mailer == nil && s.devLogMail {
		logger.Warn("development setup: password reset mail is written to the log, links included, so whoever reads the log can reset any password; " +
			"in production configure SMTP (--smtp-addr)")
	}
}

// inDir reports whether path lies in dir or below it.
func inDir(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return true // cannot tell: assume the worst
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// keySource is where a 32-byte key comes from: value, the base64 key from
// the environment, or else file, created with a new key when missing.
func keySource(value, file string) signing.KEKSource {
	if value != "" {
		return signing.KEKValue(value)
	}
	return signing.KEKFile{Path: file, Create: true}
}
