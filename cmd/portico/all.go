package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/analytics/analyticshttp"
	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/configs/configshttp"
	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/observability"
	"github.com/portico-gw/portico/internal/platform/server"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// allGatewayConfig is the gateway configuration of portico all; see the
// file for the variables it uses.
//
//go:embed all-gateway.yaml
var allGatewayConfig []byte

// allGatewayConfigName names the built-in configuration in error messages.
const allGatewayConfigName = "portico-all (built-in gateway config)"

const allUsage = `usage: portico all [flags]

Runs every component in one process, each on its own loopback listener and
talking to the others over HTTP as in production: the gateway in front of
auth, accounts, configs and analytics. Services listen on free loopback
ports, logged as "listening" records (auth and auth-admin for the auth
service, and so on). Everything is kept in one data directory (SQLite
databases and key files) unless --postgres says otherwise, and a ready
gateway configuration routes the whole public API; print it with
--print-gateway-config. The log level and format flags apply to every
component (a --gateway-config file's log section is ignored).

On the first start it creates the first administrator (PORTICO_ADMIN_EMAIL,
default admin@localhost), the owner of the staff organization, and prints a
generated password once to standard output, unless PORTICO_ADMIN_PASSWORD is
set. PORTICO_AUTH_KEK and
PORTICO_AUTH_SECRET_KEY are honoured as by 'portico auth'; without them the
keys are kept in the data directory, and password reset mail is written to
the log unless PORTICO_SMTP_ADDR (and the other PORTICO_SMTP_ variables of
'portico auth') is set, and so is invitation mail: both are development
conveniences, and each says so in a warning at start. Browsers may send unsafe requests from the public
URL's origin only (PORTICO_AUTH_TRUSTED_ORIGINS replaces it). Logs go to
standard error; Ctrl-C stops everything gracefully.

With --postgres URL every service keeps its data in PostgreSQL instead of
SQLite, each in a schema of its own (--postgres-schema-prefix plus its
name: portico_auth, portico_accounts, portico_configs, portico_analytics),
created when missing; PORTICO_<SERVICE>_DB (PORTICO_ANALYTICS_DB, ...)
gives one service a database of its own. With --redis-addr the gateway's
rate limits are kept in Redis, shared by every gateway replica.

With --tls-self-signed the gateway serves HTTPS (HTTP/2 and HTTP/1.1) on
--listen with a self-signed certificate for localhost, 127.0.0.1, ::1 and
the public URL's host, kept in the data directory and reused while it is
valid; its SHA-256 fingerprint is printed at start. The public URL is then
https://. Browsers warn about a certificate nobody vouches for: compare the
fingerprint, or give curl the certificate file (--cacert).

Flags (each may also be set by the environment variable named with it):
`

// allService is one service of portico all. Adding a service is one entry
// in allServices.
type allService struct {
	// name names the service in logs and in its gateway configuration
	// variable, PORTICO_<NAME>_URL.
	name string
	// start starts the service on ln, a free loopback port, and returns it
	// listening but not yet serving.
	start func(ctx context.Context, ln net.Listener, o allOptions) (*startedService, error)
}

// allOptions are what every service of portico all shares.
type allOptions struct {
	dataDir   string
	dbs       allDatabases
	publicURL string
	getenv    env
	logger    *slog.Logger
	// workload mints every component's workload tokens; services trust
	// it through its JWKS on loopback.
	workload *workload.Issuer
	// urls are the services' loopback base URLs, by name.
	urls map[string]string
	// shared carries what one service's start learns for those started
	// after it.
	shared *allShared
}

// allShared is what services of portico all learn from each other at
// start.
type allShared struct {
	// adminID is the first administrator's identity, which auth knows
	// and accounts makes an owner of the staff organization.
	adminID string
	// adminEmail is the first administrator's address, which the staff
	// organization's members list shows.
	adminEmail string
	// demo are the services, for --demo.
	demo demoServices
}

// startedService is a service that listens and waits to serve.
type startedService struct {
	// serve serves until ctx ends and releases everything when it returns.
	serve func(ctx context.Context) error
	// close releases everything when serve will never run.
	close func()
	// banner are lines for the banner on standard output.
	banner []string
}

// allServices lists the services behind the gateway, in start order.
func allServices() []allService {
	return []allService{
		{name: "auth", start: startAllAuth},
		{name: "accounts", start: startAllAccounts},
		{name: "configs", start: startAllConfigs},
		{name: "analytics", start: startAllAnalytics},
	}
}

func runAll(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) int {
	fs := newFlagSet("all", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), allUsage)
		fs.PrintDefaults()
	}
	var listen, adminListen, dataDir, publicURL, gatewayConfig, logLevel, logFormat string
	stringFlag(fs, getenv, &listen, "listen", "PORTICO_LISTEN", ":8080", "the gateway's public `address`")
	stringFlag(fs, getenv, &adminListen, "admin-listen", "PORTICO_ADMIN_LISTEN", "127.0.0.1:9090", "the gateway's admin `address`, or off")
	stringFlag(fs, getenv, &dataDir, "data-dir", "PORTICO_DATA_DIR", defaultDataDir, "`directory` of every component's database and key files, created 0700")
	stringFlag(fs, getenv, &publicURL, "public-url", "PORTICO_PUBLIC_URL", "", "the `URL` clients reach the gateway at, the tokens' issuer; default http:// (https:// with TLS) plus the gateway's address")
	stringFlag(fs, getenv, &gatewayConfig, "gateway-config", "PORTICO_GATEWAY_CONFIG", "", "gateway configuration `file` to run instead of the built-in one; it may use the built-in one's variables")
	printConfig := fs.Bool("print-gateway-config", false, "print the built-in gateway configuration and exit")
	var demo bool
	if err := boolFlag(fs, getenv, &demo, "demo", "PORTICO_DEMO", "on the first start, create a demo customer organization (Acme Streaming) with two members, two integrations and a day of viewing traffic"); err != nil {
		fmt.Fprintln(stderr, "portico all:", err)
		return 2
	}
	var tlsSelfSigned bool
	if err := boolFlag(fs, getenv, &tlsSelfSigned, "tls-self-signed", "PORTICO_TLS_SELF_SIGNED", "serve HTTPS on --listen with a self-signed certificate for localhost, kept in the data directory"); err != nil {
		fmt.Fprintln(stderr, "portico all:", err)
		return 2
	}
	dbs := allDatabases{getenv: getenv}
	var redisAddr string
	stringFlag(fs, getenv, &dbs.postgres, "postgres", "PORTICO_POSTGRES_URL", "", "PostgreSQL `URL`: every service keeps its data there, in a schema of its own (created when missing) instead of a SQLite file; PORTICO_<SERVICE>_DB gives one service another database")
	stringFlag(fs, getenv, &dbs.schemaPrefix, "postgres-schema-prefix", "PORTICO_POSTGRES_SCHEMA_PREFIX", "portico_", "with --postgres, the `prefix` of the services' schema names (portico_auth, portico_accounts, ...)")
	stringFlag(fs, getenv, &redisAddr, "redis-addr", "PORTICO_REDIS_ADDR", "", "Redis `host:port` keeping the gateway's rate limits, shared by gateway replicas; unset, they are kept in memory")
	var redisKeyPrefix string
	stringFlag(fs, getenv, &redisKeyPrefix, "redis-key-prefix", "PORTICO_REDIS_KEY_PREFIX", "portico:rl:", "with --redis-addr, the `prefix` of the rate limits' keys; deployments sharing one Redis need different ones")
	stringFlag(fs, getenv, &logLevel, "log-level", "PORTICO_LOG_LEVEL", "info", "log `level`: debug, info, warn or error")
	stringFlag(fs, getenv, &logFormat, "log-format", "PORTICO_LOG_FORMAT", "json", "log `format`: json or text")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if *printConfig {
		stdout.Write(allGatewayConfig)
		return 0
	}
	logger, err := observability.NewLogger(stderr, logLevel, logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "portico all:", err)
		return 1
	}
	if err := dbs.check(); err != nil {
		fmt.Fprintln(stderr, "portico all:", err)
		return 2
	}
	builtin := allGatewayConfig
	if redisAddr != "" {
		if gatewayConfig != "" {
			fmt.Fprintln(stderr, "portico all: --redis-addr applies to the built-in gateway configuration; with --gateway-config, set rate_limits.store in it")
			return 2
		}
		if builtin, err = withRedisStore(allGatewayConfig); err != nil {
			fmt.Fprintln(stderr, "portico all:", err)
			return 1
		}
	}
	if err := dbs.prepare(ctx, allServiceNames()); err != nil {
		fmt.Fprintln(stderr, "portico all:", err)
		return 1
	}

	// Each service's listener is bound first: the gateway configuration
	// needs their URLs. So is the workload issuer's, whose URL is its
	// identity.
	issuer, issuerSrv, err := startWorkloadIssuer(logger)
	if err != nil {
		fmt.Fprintln(stderr, "portico all:", err)
		return 1
	}
	services := allServices()
	listeners := make([]net.Listener, 0, len(services))
	closeListeners := func() {
		for _, ln := range listeners {
			ln.Close()
		}
		issuerSrv.Shutdown(context.Background())
	}
	vars := map[string]string{"PORTICO_LISTEN": listen, "PORTICO_ADMIN_LISTEN": adminListen, "PORTICO_REDIS_ADDR": redisAddr,
		"PORTICO_REDIS_KEY_PREFIX": redisKeyPrefix,
		"PORTICO_AUTH_ISSUER":      orString(publicURL, "http://issuer.invalid")}
	for _, s := range services {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			closeListeners()
			fmt.Fprintf(stderr, "portico all: %s listener: %v\n", s.name, err)
			return 1
		}
		listeners = append(listeners, ln)
		vars["PORTICO_"+strings.ToUpper(s.name)+"_URL"] = "http://" + ln.Addr().String()
	}
	cfgEnv := func(name string) (string, bool) {
		if v, ok := vars[name]; ok {
			return v, true
		}
		return getenv(name)
	}
	parse := func() (*config.Config, error) {
		if gatewayConfig != "" {
			return config.Load(gatewayConfig, cfgEnv)
		}
		return config.Parse(allGatewayConfigName, builtin, cfgEnv)
	}
	cfg, err := parse()
	if err != nil {
		closeListeners()
		fmt.Fprintln(stderr, err)
		return 1
	}
	if tlsSelfSigned && cfg.Server.TLS != nil {
		closeListeners()
		fmt.Fprintln(stderr, "portico all: --tls-self-signed: the gateway configuration has its own server.tls; use one or the other")
		return 1
	}
	// The gateway's port is fixed now, so that the issuer and the banner
	// can name it; the gateway then serves on this very listener.
	gwHold, err := holdPort(cfg)
	if err != nil {
		closeListeners()
		fmt.Fprintln(stderr, "portico all:", err)
		return 1
	}
	if publicURL == "" {
		// The auth service's issuer is the gateway's URL, known only now:
		// the configuration is read again with it.
		publicURL = baseURL(cfg.Server.Listen)
		if tlsSelfSigned || cfg.Server.TLS != nil {
			publicURL = httpsURL(publicURL)
		}
		vars["PORTICO_AUTH_ISSUER"] = publicURL
		held := cfg.Server.Listen
		if cfg, err = parse(); err != nil {
			closeListeners()
			gwHold.Close()
			fmt.Fprintln(stderr, err)
			return 1
		}
		cfg.Server.Listen = held
	}

	var gwTLS *config.TLS
	var tlsLines []string
	if tlsSelfSigned {
		if gwTLS, tlsLines, err = ensureSelfSigned(dataDir, selfSignedHosts(cfg.Server.Listen, publicURL), logger); err != nil {
			closeListeners()
			gwHold.Close()
			fmt.Fprintln(stderr, "portico all:", err)
			return 1
		}
	}

	urls := make(map[string]string, len(services))
	for _, s := range services {
		urls[s.name] = vars["PORTICO_"+strings.ToUpper(s.name)+"_URL"]
	}
	o := allOptions{dataDir: dataDir, publicURL: publicURL, getenv: getenv, logger: logger, workload: issuer,
		urls: urls, shared: &allShared{}, dbs: dbs}
	started := make([]*startedService, 0, len(services))
	for i, s := range services {
		st, err := s.start(ctx, listeners[i], o)
		if err != nil {
			for _, st := range started {
				st.close()
			}
			for _, ln := range listeners[i+1:] {
				ln.Close()
			}
			issuerSrv.Shutdown(context.Background())
			gwHold.Close()
			logger.Error(s.name+" did not start", slog.String("error", err.Error()))
			return 1
		}
		started = append(started, st)
	}

	lines := append([]string{"Portico is running", "", "  gateway:  " + publicURL}, tlsLines...)
	for _, st := range started {
		lines = append(lines, st.banner...)
	}
	printBox(stdout, append(lines, "", "Data directory: "+dataDir))

	if demo {
		// Beside the serving: the traffic goes through analytics' key
		// resolution at configs, over loopback.
		d := o.shared.demo
		d.adminID = o.shared.adminID
		go func() {
			r, err := seedDemo(ctx, d, logger.With("component", "demo"))
			if err != nil && ctx.Err() == nil {
				logger.Error("demo not created", slog.String("error", err.Error()))
			}
			printDemo(stdout, r)
		}()
	}

	gwLogger := logger.With("component", "gateway")
	gwOpts := gatewayOptions{ln: gwHold, authWorkloadToken: issuer.Source(workload.Gateway, workload.Auth), tls: gwTLS}
	services = append([]allService{{name: "workload-issuer"}}, services...)
	started = append([]*startedService{{serve: func(ctx context.Context) error {
		return server.RunGroup(ctx, 0, nil, issuerSrv)
	}}}, started...)
	if err := serveAll(ctx, services, started, func(ctx context.Context) error {
		return serveGateway(ctx, cfg, gatewayConfig, cfgEnv, gwLogger, stderr, gwOpts)
	}); err != nil {
		logger.Error("portico stopped", slog.String("error", err.Error()))
		return 1
	}
	return 0
}

// startAllAuth starts the auth service of portico all: its database and
// keys in the data directory, the public URL as its issuer, and the
// gateway, on loopback, as its trusted proxy.
func startAllAuth(ctx context.Context, ln net.Listener, o allOptions) (*startedService, error) {
	logger := o.logger.With("component", "auth")
	guard, err := o.workloadGuard(workload.Auth, logger)
	if err != nil {
		ln.Close()
		return nil, err
	}
	origins, err := parseOrigins(envValue(o.getenv, "PORTICO_AUTH_TRUSTED_ORIGINS"))
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("PORTICO_AUTH_TRUSTED_ORIGINS: %w", err)
	}
	smtp, err := allSMTP(o.getenv)
	if err != nil {
		ln.Close()
		return nil, err
	}
	var mailer auth.Mailer
	if smtp != nil {
		mailer = smtp
	}
	a, err := startAuth(ctx, authSettings{
		ln: ln, adminListen: "127.0.0.1:0", publicName: "auth", adminName: "auth-admin",
		dsn: o.dbs.dsn(workload.Auth, authDBFile, o.dataDir), dataDir: o.dataDir,
		issuer:         o.publicURL,
		kekEnv:         envValue(o.getenv, "PORTICO_AUTH_KEK"),
		kekFile:        filepath.Join(o.dataDir, authKEKFile),
		secretKeyEnv:   envValue(o.getenv, "PORTICO_AUTH_SECRET_KEY"),
		secretKeyFile:  filepath.Join(o.dataDir, authSecretKeyFile),
		trusted:        []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		adminEmail:     orString(envValue(o.getenv, "PORTICO_ADMIN_EMAIL"), defaultAdminEmail),
		adminPassword:  envValue(o.getenv, "PORTICO_ADMIN_PASSWORD"),
		workload:       guard,
		accountsURL:    o.urls["accounts"],
		accountsClient: workloadClient(o.workload.Source(workload.Auth, workload.Accounts)),
		// portico all is the local, first-run command: the conveniences
		// portico auth refuses without a flag are on, with warnings.
		devKeysInDataDir: true,
		mailer:           mailer,
		devLogMail:       true,
		// Empty: the public URL's origin, the gateway's.
		trustedOrigins: origins,
	}, logger)
	if err != nil {
		return nil, err
	}
	a.announce()
	o.shared.adminID = a.bootstrap.identityID
	o.shared.adminEmail = a.bootstrap.email
	o.shared.demo.auth = a.svc
	lines := a.bootstrap.lines("")
	return &startedService{serve: a.serve, close: a.close, banner: lines[2:]}, nil
}

// allServiceSettings are the settings of a service of portico all: its
// database in the data directory, internal tokens verified against auth's
// key set over loopback, workload tokens against the process's issuer.
func (o allOptions) serviceSettings(name, dbFile string, ln net.Listener, logger *slog.Logger) (serviceSettings, error) {
	guard, err := o.workloadGuard(name, logger)
	if err != nil {
		return serviceSettings{}, err
	}
	return serviceSettings{
		name: name, ln: ln, adminListen: "127.0.0.1:0", publicName: name, adminName: name + "-admin",
		dsn: o.dbs.dsn(name, dbFile, o.dataDir), dataDir: o.dataDir,
		authIssuer: o.publicURL, authJWKSURL: o.urls["auth"] + jwksPath,
		workload: guard,
	}, nil
}

// startAllAccounts starts the accounts service of portico all: the staff
// organization owned by the first administrator, invitations accepted at
// the public URL, their mail in the log unless PORTICO_SMTP_ADDR is set.
func startAllAccounts(ctx context.Context, ln net.Listener, o allOptions) (*startedService, error) {
	logger := o.logger.With("component", "accounts")
	s, err := o.serviceSettings(workload.Accounts, accountsDBFile, ln, logger)
	if err != nil {
		ln.Close()
		return nil, err
	}
	ao := accountsOptions{
		authURL: o.urls["auth"], authClient: workloadClient(o.workload.Source(workload.Accounts, workload.Auth)),
		invitationTTL: accounts.DefaultInvitationTTL, staffOwner: o.shared.adminID, staffOwnerEmail: o.shared.adminEmail, logger: logger,
		onService: func(svc *accounts.Service) { o.shared.demo.accounts = svc },
	}
	if ao.acceptURL, err = parseAcceptURL(strings.TrimSuffix(o.publicURL, "/") + "/accept-invitation"); err != nil {
		ln.Close()
		return nil, err
	}
	if ao.mailer, err = allInvitationMailer(o.getenv, logger); err != nil {
		ln.Close()
		return nil, err
	}
	c, err := startService(ctx, s, logger, accountsBuild(ao))
	if err != nil {
		return nil, err
	}
	c.announce()
	return &startedService{serve: c.serve, close: c.close}, nil
}

// allInvitationMailer is the invitation mailer of portico all: SMTP when
// PORTICO_SMTP_ADDR is set, the log otherwise (with a warning).
func allInvitationMailer(getenv env, logger *slog.Logger) (accounts.Mailer, error) {
	smtp, err := allSMTP(getenv)
	if err != nil {
		return nil, err
	}
	if smtp != nil {
		return invitationMailer{smtp}, nil
	}
	logger.Warn("invitation mail is written to the log, accept links included: anyone who reads the log can accept an invitation; set PORTICO_SMTP_ADDR to send it")
	return accounts.NewLogMailer(logger), nil
}

// allSMTP is the SMTP mailer of portico all's services, from the
// PORTICO_SMTP_ variables of 'portico auth'; nil without PORTICO_SMTP_ADDR.
func allSMTP(getenv env) (*auth.SMTPMailer, error) {
	return smtpMailer(envValue(getenv, "PORTICO_SMTP_ADDR"), envValue(getenv, "PORTICO_SMTP_FROM"),
		envValue(getenv, "PORTICO_SMTP_USERNAME"), envValue(getenv, "PORTICO_SMTP_PASSWORD"),
		envValue(getenv, "PORTICO_SMTP_PASSWORD_FILE"), envValue(getenv, "PORTICO_SMTP_CA_FILE"))
}

// startAllConfigs starts the configs service of portico all.
func startAllConfigs(ctx context.Context, ln net.Listener, o allOptions) (*startedService, error) {
	logger := o.logger.With("component", "configs")
	s, err := o.serviceSettings(workload.Configs, configsDBFile, ln, logger)
	if err != nil {
		ln.Close()
		return nil, err
	}
	c, err := startService(ctx, s, logger, configsBuild(configsOptions{pollInterval: configshttp.DefaultPollInterval,
		onService: func(svc *configs.Service) { o.shared.demo.configs = svc }}))
	if err != nil {
		return nil, err
	}
	c.announce()
	return &startedService{serve: c.serve, close: c.close}, nil
}

// startAllAnalytics starts the analytics service of portico all: delivery
// keys resolved at configs over loopback.
func startAllAnalytics(ctx context.Context, ln net.Listener, o allOptions) (*startedService, error) {
	logger := o.logger.With("component", "analytics")
	s, err := o.serviceSettings(workload.Analytics, analyticsDBFile, ln, logger)
	if err != nil {
		ln.Close()
		return nil, err
	}
	c, err := startService(ctx, s, logger, analyticsBuild(analyticsOptions{
		configsURL: o.urls["configs"], configsClient: workloadClient(o.workload.Source(workload.Analytics, workload.Configs)),
		accountsURL: o.urls["accounts"], accountsClient: workloadClient(o.workload.Source(workload.Analytics, workload.Accounts)),
		capRefresh:   analytics.DefaultCapRefresh,
		rawRetention: analytics.DefaultRawRetention, lateWindow: analytics.DefaultLateWindow,
		minuteRetention: analytics.DefaultMinuteRetention, groupBeacons: analytics.DefaultGroupBeacons, groupWriters: analytics.DefaultGroupWriters,
		groupQueue:    analytics.DefaultGroupQueue * analytics.DefaultGroupBeacons,
		countryHeader: analyticshttp.DefaultCountryHeader, ispHeader: analyticshttp.DefaultISPHeader,
		onService: func(svc *analytics.Service) { o.shared.demo.analytics = svc },
	}))
	if err != nil {
		return nil, err
	}
	c.announce()
	return &startedService{serve: c.serve, close: c.close}, nil
}

// serveAll runs the services and the gateway until ctx ends or one of them
// fails. The gateway stops first, so no request reaches a service that has
// stopped; the services stop after it.
func serveAll(ctx context.Context, services []allService, started []*startedService, gateway func(context.Context) error) error {
	gwCtx, stopGateway := context.WithCancel(ctx)
	defer stopGateway()
	svcCtx, stopServices := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServices()
	errc := make(chan error, len(services))
	for i, st := range started {
		go func() {
			err := st.serve(svcCtx)
			if err == nil && svcCtx.Err() == nil {
				err = errors.New("stopped on its own")
			}
			if err != nil {
				err = fmt.Errorf("%s: %w", services[i].name, err)
			}
			errc <- err
			stopGateway() // one service down takes everything down
		}()
	}
	err := gateway(gwCtx)
	if err != nil {
		err = fmt.Errorf("gateway: %w", err)
	}
	stopServices()
	var errs []error
	for range started {
		errs = append(errs, <-errc)
	}
	return errors.Join(append([]error{err}, errs...)...)
}

// holdPort listens on the gateway's public address, so that a port 0 is
// replaced by the port the system picks and an address in use fails before
// anything starts. The caller closes the listener just before the gateway
// listens on the same address.
func holdPort(cfg *config.Config) (net.Listener, error) {
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return nil, fmt.Errorf("gateway listener: %w", err)
	}
	host, _, _ := net.SplitHostPort(cfg.Server.Listen)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	cfg.Server.Listen = net.JoinHostPort(host, port)
	return ln, nil
}

// envValue returns the value of an environment variable, "" when unset.
func envValue(getenv env, name string) string {
	v, _ := getenv(name)
	return v
}

// startWorkloadIssuer creates the workload issuer of portico all: a key in
// memory, its JWKS served on a loopback listener whose URL is the issuer's
// identity. The caller runs the server.
func startWorkloadIssuer(logger *slog.Logger) (*workload.Issuer, *server.Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("workload issuer listener: %w", err)
	}
	iss, err := workload.NewIssuer(workload.IssuerOptions{URL: "http://" + ln.Addr().String()})
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	srv, err := server.New(server.Options{Name: "workload-issuer", Listener: ln, Handler: iss.Handler(),
		ReadHeaderTimeout: 5 * time.Second, Logger: logger})
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	logger.Info("listening", slog.String("server", "workload-issuer"), slog.String("addr", ln.Addr().String()))
	return iss, srv, nil
}

// workloadGuard returns the guard of a service's internal endpoints,
// trusting the process's workload issuer through its JWKS, fetched over
// loopback as a service in its own process would.
func (o allOptions) workloadGuard(name string, logger *slog.Logger) (*workload.Guard, error) {
	keys, err := identity.NewJWKS(identity.JWKSOptions{URL: o.workload.JWKSURL()})
	if err != nil {
		return nil, err
	}
	return workload.NewGuard(workload.GuardOptions{Name: name, Issuer: o.workload.URL(), Keys: keys, Logger: logger})
}
