package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/observability"
	"github.com/portico-gw/portico/internal/platform/sqldb"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// Files the auth service keeps in the data directory by default.
const (
	authDBFile        = "auth.db"
	authKEKFile       = "auth.kek"
	authSecretKeyFile = "auth-secret.key"
)

// Defaults of the first administrator.
const (
	defaultAdminEmail = "admin@localhost"
	defaultDataDir    = "./data"
)

// pruneEvery is how often aged-out sign-in failures are deleted.
const pruneEvery = 5 * time.Minute

const authUsage = `usage: portico auth [flags]

Runs the auth service: sign-in, sessions, TOTP, API keys, OAuth2 clients and
tokens, signing keys with their JWK Set and discovery document. The public
listener serves the API of api/auth.yaml plus /.well-known/jwks.json and
/.well-known/openid-configuration; the admin listener serves /healthz,
/readyz (the database answers) and /metrics.

On the first start against an empty database it creates the first
administrator and, unless PORTICO_ADMIN_PASSWORD is set, prints a generated
password once to standard output. Until the accounts service exists, the
identity with the administrator's address is staff (decided at every start)
and nobody belongs to any organization.

It refuses to start without a way to send password reset mail (SMTP, or
--dev-log-mail in development) and with a key file in its data directory
(unless --dev-keys-in-data-dir): docs/security.md, "Secrets", says why.

Sign-in is throttled per (account, client address), per client address and
per account, and a second factor per identity (docs/security.md, "Sign-in and
second factor"). Behind the gateway or a load balancer every request comes
from the proxy's address: list the proxies in --trusted-proxies, so that the
client's own address is read from X-Forwarded-For (the right-most address not
in the list). Left unset there, every client shares the proxy's address and
its limit; the service then warns "one address makes most sign-in failures".
Only list proxies that overwrite X-Forwarded-For: a client that can reach the
service directly from a listed address can claim any address.

Passwords are checked with argon2id, which holds 19 MiB per check: at most
--max-concurrent-hashes run at once; a sign-in that cannot start one within
2 seconds is answered 503 with Retry-After.

Environment only:
  PORTICO_AUTH_KEK          key-encryption key of the signing keys, 32 bytes in base64;
                            when unset, --kek-file is read (and created on first start)
  PORTICO_AUTH_SECRET_KEY   key that encrypts TOTP secrets at rest, 32 bytes in base64;
                            when unset, --secret-key-file is read (and created on first start)
  PORTICO_SMTP_PASSWORD     the SMTP password; when unset, --smtp-password-file is read
  PORTICO_ADMIN_EMAIL       the first administrator's address (default admin@localhost)
  PORTICO_ADMIN_PASSWORD    the first administrator's password (default: generated)

Flags (each may also be set by the environment variable named with it):
`

// authFlags are the flags of portico auth.
type authFlags struct {
	listen, adminListen, dsn, dataDir, issuer string
	kekFile, secretKeyFile, trustedProxies    string
	logLevel, logFormat                       string
	maxHashes, audiences                      string
	accountsURL, accountsTokenFile            string
	migrations                                string
	workload                                  workloadFlags
	secrets                                   secretFlags
}

// stringFlag defines a string flag whose default comes from the
// environment variable name when it is set.
func stringFlag(fs *flag.FlagSet, getenv env, p *string, flagName, name, def, usage string) {
	if v, ok := getenv(name); ok && v != "" {
		def = v
	}
	fs.StringVar(p, flagName, def, usage+" (env "+name+")")
}

func runAuth(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) int {
	fs := newFlagSet("auth", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), authUsage)
		fs.PrintDefaults()
	}
	var f authFlags
	stringFlag(fs, getenv, &f.listen, "listen", "PORTICO_AUTH_LISTEN", "127.0.0.1:8081", "public `address`")
	stringFlag(fs, getenv, &f.adminListen, "admin-listen", "PORTICO_AUTH_ADMIN_LISTEN", "127.0.0.1:9091", "admin `address`, or off")
	stringFlag(fs, getenv, &f.dsn, "db", "PORTICO_AUTH_DB", "", "database `dsn`: sqlite:PATH or postgres://...; default sqlite:DATA-DIR/"+authDBFile)
	stringFlag(fs, getenv, &f.dataDir, "data-dir", "PORTICO_DATA_DIR", defaultDataDir, "`directory` of the default database and key files, created 0700")
	migrationsFlag(fs, getenv, &f.migrations)
	stringFlag(fs, getenv, &f.issuer, "issuer", "PORTICO_AUTH_ISSUER", "", "public base `URL` of the service, the tokens' iss; default http:// plus the listen address")
	stringFlag(fs, getenv, &f.kekFile, "kek-file", "PORTICO_AUTH_KEK_FILE", "", "`file` of the key-encryption key, used when PORTICO_AUTH_KEK is unset, outside the data directory (a mounted Secret); default DATA-DIR/"+authKEKFile+", with --dev-keys-in-data-dir only")
	stringFlag(fs, getenv, &f.secretKeyFile, "secret-key-file", "PORTICO_AUTH_SECRET_KEY_FILE", "", "`file` of the TOTP secret key, used when PORTICO_AUTH_SECRET_KEY is unset, outside the data directory; default DATA-DIR/"+authSecretKeyFile+", with --dev-keys-in-data-dir only")
	stringFlag(fs, getenv, &f.trustedProxies, "trusted-proxies", "PORTICO_AUTH_TRUSTED_PROXIES", "", "comma-separated `CIDRs` of proxies (the gateway) whose X-Forwarded-For is believed for the client address")
	stringFlag(fs, getenv, &f.maxHashes, "max-concurrent-hashes", "PORTICO_AUTH_MAX_CONCURRENT_HASHES", "0", "most password hashes computed at once (`n`); 0 sizes it from memory: a quarter of GOMEMLIMIT (else of the cgroup's or the machine's memory) over 19 MiB each, between 2 and twice the CPUs")
	stringFlag(fs, getenv, &f.audiences, "audiences", "PORTICO_AUTH_AUDIENCES", "", "comma-separated `audiences` (API identifiers, RFC 8707 resources) access tokens may be minted for; the first is the default; default "+auth.DefaultAudience)
	stringFlag(fs, getenv, &f.logLevel, "log-level", "PORTICO_LOG_LEVEL", "info", "log `level`: debug, info, warn or error")
	stringFlag(fs, getenv, &f.logFormat, "log-format", "PORTICO_LOG_FORMAT", "json", "log `format`: json or text")
	stringFlag(fs, getenv, &f.accountsURL, "accounts-url", "PORTICO_ACCOUNTS_URL", "", "base `URL` of the accounts service, asked for an identity's organizations and roles when a token is issued; unset, nobody belongs to any organization and the first administrator is staff")
	stringFlag(fs, getenv, &f.accountsTokenFile, "accounts-token-file", "PORTICO_AUTH_ACCOUNTS_TOKEN_FILE", "", "`file` of auth's workload token for the accounts service (audience portico-accounts), re-read when it changes")
	f.workload.define(fs, getenv)
	if err := f.secrets.define(fs, getenv); err != nil {
		fmt.Fprintln(stderr, "portico auth:", err)
		return 2
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	logger, err := observability.NewLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "portico auth:", err)
		return 1
	}
	s, err := f.settings(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "portico auth:", err)
		return 1
	}
	if s.workload, err = f.workload.guard(workload.Auth, logger.With("component", "auth")); err != nil {
		fmt.Fprintln(stderr, "portico auth:", err)
		return 1
	}
	a, err := startAuth(ctx, s, logger)
	if err != nil {
		logger.Error("auth did not start", slog.String("error", err.Error()))
		return 1
	}
	if a.bootstrap.created {
		printBox(stdout, a.bootstrap.lines(""))
	}
	a.announce()
	if err := a.serve(ctx); err != nil {
		logger.Error("auth stopped", slog.String("error", err.Error()))
		return 1
	}
	return 0
}

// settings resolves the flags and the environment into authSettings.
func (f *authFlags) settings(getenv env) (authSettings, error) {
	s := authSettings{
		listen: f.listen, adminListen: f.adminListen, publicName: "public", adminName: "admin",
		dsn: f.dsn, issuer: f.issuer, dataDir: f.dataDir,
	}
	if s.dsn == "" {
		s.dsn = "sqlite:" + filepath.Join(f.dataDir, authDBFile)
	}
	var err error
	if s.migrations, err = sqldb.ParseMigrationMode(f.migrations); err != nil {
		return authSettings{}, fmt.Errorf("--migrations: %w", err)
	}
	if s.trusted, err = parsePrefixes(f.trustedProxies); err != nil {
		return authSettings{}, fmt.Errorf("--trusted-proxies: %w", err)
	}
	if s.maxConcurrentHashes, err = strconv.Atoi(f.maxHashes); err != nil || s.maxConcurrentHashes < 0 {
		return authSettings{}, fmt.Errorf("--max-concurrent-hashes: %q is not a number of 0 or more", f.maxHashes)
	}
	if s.audiences, err = parseAudiences(f.audiences); err != nil {
		return authSettings{}, fmt.Errorf("--audiences: %w", err)
	}
	s.kekEnv, _ = getenv("PORTICO_AUTH_KEK")
	s.kekFile = orString(f.kekFile, filepath.Join(f.dataDir, authKEKFile))
	s.secretKeyEnv, _ = getenv("PORTICO_AUTH_SECRET_KEY")
	s.secretKeyFile = orString(f.secretKeyFile, filepath.Join(f.dataDir, authSecretKeyFile))
	s.adminEmail, _ = getenv("PORTICO_ADMIN_EMAIL")
	s.adminEmail = orString(s.adminEmail, defaultAdminEmail)
	s.adminPassword, _ = getenv("PORTICO_ADMIN_PASSWORD")
	if err := f.secrets.apply(&s, getenv); err != nil {
		return authSettings{}, err
	}
	if s.accountsURL = f.accountsURL; s.accountsURL != "" {
		if f.accountsTokenFile == "" {
			return authSettings{}, errors.New("--accounts-url needs --accounts-token-file: the accounts service admits auth by its workload token")
		}
		s.accountsClient = workloadClient(workload.NewFileSource(f.accountsTokenFile, 0))
	}
	return s, nil
}

// authSettings is everything startAuth needs.
type authSettings struct {
	// listen and adminListen are the listeners' addresses; adminListen
	// "off" or "" disables the admin listener. ln, when set, is the public
	// listener, listen then unused. publicName and adminName name them in
	// logs.
	listen, adminListen   string
	ln                    net.Listener
	publicName, adminName string
	// dsn is the database; dataDir is created (0700) when the database
	// or a key file lies in it.
	dsn, dataDir string
	// migrations is what the store does with pending migrations at
	// start; "" applies them.
	migrations sqldb.MigrationMode
	// issuer is the public base URL; "" means http:// plus the public
	// listener's address. Password reset mails link to its
	// /reset-password page.
	issuer string
	// kekEnv and secretKeyEnv, when set, are the keys in base64; otherwise
	// they are read from (or created in) kekFile and secretKeyFile.
	kekEnv, kekFile             string
	secretKeyEnv, secretKeyFile string
	// devKeysInDataDir admits key files in dataDir, which portico auth
	// otherwise refuses (checkKeyFiles); startAuth warns of it.
	devKeysInDataDir bool
	// mailer sends password reset mail; nil with devLogMail writes it to
	// the log (with a warning at start), nil without it refuses to start.
	mailer     auth.Mailer
	devLogMail bool
	// trustedOrigins are the origins of authhttp.Options.TrustedOrigins;
	// empty means the issuer's.
	trustedOrigins []string
	// trusted are the proxies whose X-Forwarded-For is believed.
	trusted []netip.Prefix
	// audiences is auth.Options.Audiences; nil means its default.
	audiences []string
	// maxConcurrentHashes is auth.Options.MaxConcurrentHashes; 0 sizes
	// it from memory.
	maxConcurrentHashes int
	// adminEmail and adminPassword are the first administrator's; an
	// empty password is generated.
	adminEmail, adminPassword string
	// accountsURL is the accounts service, auth's Directory; "" keeps
	// memberships in memory (nobody belongs to any organization, the
	// first administrator is staff). accountsClient presents auth's
	// workload token to it.
	accountsURL    string
	accountsClient *http.Client
	// workload admits callers of the /internal/ endpoints: the gateway to
	// the credential exchange, accounts to identity creation. A guard
	// that trusts no issuer refuses them all.
	workload *workload.Guard
}

// makeDataDir creates the data directory (0700) when the database or a
// key file lies in it.
func makeDataDir(s authSettings) error {
	uses := (s.kekEnv == "" && filepath.Dir(s.kekFile) == filepath.Clean(s.dataDir)) ||
		(s.secretKeyEnv == "" && filepath.Dir(s.secretKeyFile) == filepath.Clean(s.dataDir)) ||
		strings.HasPrefix(s.dsn, "sqlite:"+filepath.Clean(s.dataDir)+string(filepath.Separator))
	if !uses {
		return nil
	}
	if err := os.MkdirAll(s.dataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	return nil
}

// clientIP returns the authhttp.Options.ClientIP of a service behind the
// proxies in trusted: the right-most X-Forwarded-For address that is not a
// trusted proxy, when the peer is one; otherwise the peer.
func clientIP(trusted []netip.Prefix) func(*http.Request) string {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	return func(r *http.Request) string {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		peer, err := netip.ParseAddr(host)
		if err != nil || !isTrusted(peer) {
			return host
		}
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			if !isTrusted(a) {
				return a.Unmap().String()
			}
		}
		return host
	}
}

// parsePrefixes parses comma-separated CIDRs and addresses; an address is
// a prefix of its full length.
func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// baseURL returns the http URL of a listen address; an unspecified host
// (":8080", "0.0.0.0:8080") becomes localhost.
func baseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if a, err := netip.ParseAddr(host); host == "" || (err == nil && a.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// printBox writes lines to w inside an ASCII frame.
func printBox(w io.Writer, lines []string) {
	width := 0
	for _, l := range lines {
		width = max(width, len(l))
	}
	rule := "+" + strings.Repeat("-", width+2) + "+"
	fmt.Fprintln(w, rule)
	for _, l := range lines {
		fmt.Fprintf(w, "| %-*s |\n", width, l)
	}
	fmt.Fprintln(w, rule)
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// parseAudiences splits a comma-separated list of audiences: printable
// ASCII without spaces, no empty entry, no repeat. An empty list is nil,
// the service's default.
func parseAudiences(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	var out []string
	for _, a := range strings.Split(list, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			return nil, fmt.Errorf("empty audience in %q", list)
		}
		for _, c := range []byte(a) {
			if c <= ' ' || c > '~' {
				return nil, fmt.Errorf("audience %q: only printable ASCII without spaces", a)
			}
		}
		if slices.Contains(out, a) {
			return nil, fmt.Errorf("audience %q appears twice", a)
		}
		out = append(out, a)
	}
	return out, nil
}
