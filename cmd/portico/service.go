package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/observability"
	"github.com/portico-gw/portico/internal/platform/requestid"
	"github.com/portico-gw/portico/internal/platform/server"
	"github.com/portico-gw/portico/internal/platform/sqldb"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// migrationsFlag defines --migrations, what a service does with its
// schema's pending migrations when it starts.
func migrationsFlag(fs *flag.FlagSet, getenv env, p *string) {
	stringFlag(fs, getenv, p, "migrations", "PORTICO_MIGRATIONS", string(sqldb.MigrationsApply),
		"at start, `apply` the schema's pending migrations, or only check that none is pending (check: for a database role that may not change the schema; portico migrate applies them)")
}

// jwksPath is where the auth service serves its key set.
const jwksPath = "/.well-known/jwks.json"

// serviceFlags are the flags every service behind the gateway takes
// (accounts, configs): its listeners, its database, the auth service whose
// internal tokens it verifies, and the workload issuer of its internal
// callers.
type serviceFlags struct {
	name                                string
	listen, adminListen, dsn, dataDir   string
	authIssuer, authJWKSURL             string
	logLevel, logFormat, migrations     string
	workload                            workloadFlags
	defaultListen, defaultAdmin, dbFile string
}

// define adds the flags to fs; variables are PORTICO_<NAME>_... for the
// service's own settings and shared names for the shared ones.
func (f *serviceFlags) define(fs *flag.FlagSet, getenv env) {
	up := "PORTICO_" + strings.ToUpper(f.name) + "_"
	stringFlag(fs, getenv, &f.listen, "listen", up+"LISTEN", f.defaultListen, "public `address`")
	stringFlag(fs, getenv, &f.adminListen, "admin-listen", up+"ADMIN_LISTEN", f.defaultAdmin, "admin `address`, or off")
	stringFlag(fs, getenv, &f.dsn, "db", up+"DB", "", "database `dsn`: sqlite:PATH or postgres://...; default sqlite:DATA-DIR/"+f.dbFile)
	stringFlag(fs, getenv, &f.dataDir, "data-dir", "PORTICO_DATA_DIR", defaultDataDir, "`directory` of the default database, created 0700")
	migrationsFlag(fs, getenv, &f.migrations)
	stringFlag(fs, getenv, &f.authIssuer, "auth-issuer", "PORTICO_AUTH_ISSUER", "", "the auth service's issuer `URL`, the iss of the internal tokens the gateway forwards (required)")
	stringFlag(fs, getenv, &f.authJWKSURL, "auth-jwks-url", "PORTICO_AUTH_JWKS_URL", "", "`URL` of the auth service's key set; default the issuer plus "+jwksPath)
	stringFlag(fs, getenv, &f.logLevel, "log-level", "PORTICO_LOG_LEVEL", "info", "log `level`: debug, info, warn or error")
	stringFlag(fs, getenv, &f.logFormat, "log-format", "PORTICO_LOG_FORMAT", "json", "log `format`: json or text")
	f.workload.define(fs, getenv)
}

// settings resolves the flags into serviceSettings; the workload guard is
// made by the caller, with the component's logger.
func (f *serviceFlags) settings() (serviceSettings, error) {
	if f.authIssuer == "" {
		return serviceSettings{}, fmt.Errorf("--auth-issuer (PORTICO_AUTH_ISSUER) is required: the %s service verifies every request's internal token", f.name)
	}
	s := serviceSettings{
		name: f.name, listen: f.listen, adminListen: f.adminListen, publicName: "public", adminName: "admin",
		dsn: f.dsn, dataDir: f.dataDir, authIssuer: f.authIssuer,
		authJWKSURL: orString(f.authJWKSURL, strings.TrimSuffix(f.authIssuer, "/")+jwksPath),
	}
	if s.dsn == "" {
		s.dsn = "sqlite:" + filepath.Join(f.dataDir, f.dbFile)
	}
	var err error
	if s.migrations, err = sqldb.ParseMigrationMode(f.migrations); err != nil {
		return serviceSettings{}, fmt.Errorf("--migrations: %w", err)
	}
	return s, nil
}

// serviceSettings are what startService needs.
type serviceSettings struct {
	// name names the service in metrics ("portico_<name>_...") and logs.
	name string
	// listen and adminListen are the listeners' addresses; adminListen
	// "off" or "" disables the admin listener. ln, when set, is the public
	// listener. publicName and adminName name them in logs.
	listen, adminListen   string
	ln                    net.Listener
	publicName, adminName string
	// dsn is the database; dataDir is created (0700) when a SQLite
	// database lies in it.
	dsn, dataDir string
	// migrations is what the store does with pending migrations at
	// start; "" applies them.
	migrations sqldb.MigrationMode
	// authIssuer and authJWKSURL verify the internal tokens the gateway
	// forwards.
	authIssuer, authJWKSURL string
	// workload admits the callers of /internal/ endpoints.
	workload *workload.Guard
}

// serviceDeps are what a service's build function gets: its database, the
// verifier of internal tokens, its workload guard, the registry of its
// metrics and its health (to add checks to).
type serviceDeps struct {
	db       *sqldb.DB
	verifier *identity.Verifier
	workload *workload.Guard
	registry *prometheus.Registry
	health   *server.Health
	logger   *slog.Logger
}

// serviceParts are what a build function returns: the public handler and
// the work that runs beside the listeners until the service stops.
type serviceParts struct {
	handler    http.Handler
	background []func(ctx context.Context)
}

// serviceComponent is a started service: listening, not yet serving.
type serviceComponent struct {
	logger  *slog.Logger
	db      *sqldb.DB
	health  *server.Health
	servers []*server.Server
	bg      []func(ctx context.Context)
}

// startService opens the database, builds the service with build, and
// binds its listeners (taking over s.ln). The caller runs serve, or close
// on a later failure.
func startService(ctx context.Context, s serviceSettings, logger *slog.Logger,
	build func(ctx context.Context, d serviceDeps) (serviceParts, error)) (_ *serviceComponent, err error) {
	ln := s.ln
	if ln == nil {
		if ln, err = net.Listen("tcp", s.listen); err != nil {
			return nil, fmt.Errorf("server %s: listen: %w", s.publicName, err)
		}
	}
	c := &serviceComponent{logger: logger, health: server.NewHealth()}
	defer func() {
		if err != nil {
			ln.Close()
			c.close()
		}
	}()
	if strings.HasPrefix(s.dsn, "sqlite:"+filepath.Clean(s.dataDir)+string(filepath.Separator)) {
		if err := makeDir(s.dataDir); err != nil {
			return nil, err
		}
	}
	if c.db, err = sqldb.Open(ctx, s.dsn, sqldb.Options{Migrations: s.migrations}); err != nil {
		return nil, err
	}
	c.health.AddCheck("database", c.db.PingContext)
	keys, err := identity.NewJWKS(identity.JWKSOptions{URL: s.authJWKSURL})
	if err != nil {
		return nil, fmt.Errorf("auth key set: %w", err)
	}
	verifier, err := identity.NewVerifier(identity.VerifierOptions{Keys: keys, Issuer: s.authIssuer, Audience: identity.InternalAudience})
	if err != nil {
		return nil, err
	}
	guard := s.workload
	if guard == nil {
		if guard, err = workload.NewGuard(workload.GuardOptions{Name: s.name, Logger: logger}); err != nil {
			return nil, err
		}
	}
	reg := observability.NewRegistry()
	parts, err := build(ctx, serviceDeps{db: c.db, verifier: verifier, workload: guard, registry: reg, health: c.health, logger: logger})
	if err != nil {
		return nil, err
	}
	c.bg = parts.background
	metrics := observability.NewHTTPMetrics(reg, "portico_"+s.name)
	pub, err := server.New(server.Options{
		Name: s.publicName, Listener: ln,
		Handler:     server.Liveness(requestid.Middleware(metrics.Middleware(nil, server.Recover(logger, parts.handler)))),
		ReadTimeout: 30 * time.Second, WriteTimeout: time.Minute, MaxHeaderBytes: 64 << 10,
		FrontDoor: true, // plain HTTP/1.1, as the gateway sends, on the front door
		Logger:    logger,
	})
	if err != nil {
		return nil, err
	}
	c.servers = append(c.servers, pub)
	if s.adminListen != "off" && s.adminListen != "" {
		adm, err := server.New(server.Options{
			Name: s.adminName, Addr: s.adminListen,
			Handler: server.AdminHandler(server.AdminOptions{Health: c.health, Gatherer: reg, Logger: logger}),
			Logger:  logger,
		})
		if err != nil {
			return nil, err
		}
		c.servers = append(c.servers, adm)
	}
	return c, nil
}

// runService starts a service alone (portico accounts, configs,
// analytics), serves it until ctx ends and returns the exit code.
func runService(ctx context.Context, s serviceSettings, logger *slog.Logger,
	build func(ctx context.Context, d serviceDeps) (serviceParts, error)) int {
	c, err := startService(ctx, s, logger, build)
	if err != nil {
		logger.Error(s.name+" did not start", slog.String("error", err.Error()))
		return 1
	}
	c.announce()
	if err := c.serve(ctx); err != nil {
		logger.Error(s.name+" stopped", slog.String("error", err.Error()))
		return 1
	}
	return 0
}

// announce logs the listeners' addresses.
func (c *serviceComponent) announce() {
	for _, sv := range c.servers {
		c.logger.Info("listening", slog.String("server", sv.Name()), slog.String("addr", sv.Addr().String()))
	}
}

// serve runs the listeners and the background work until ctx ends, then
// closes the database.
func (c *serviceComponent) serve(ctx context.Context) error {
	defer c.close()
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{}, len(c.bg))
	for _, f := range c.bg {
		go func() { f(bg); done <- struct{}{} }()
	}
	c.health.SetReady(true)
	err := server.RunGroup(ctx, 0, c.health, c.servers...)
	stop()
	for range c.bg {
		<-done
	}
	return err
}

// close releases what startService opened; servers that never served are
// shut down.
func (c *serviceComponent) close() {
	for _, sv := range c.servers {
		sv.Shutdown(context.Background())
	}
	if c.db != nil {
		c.db.Close()
	}
}

// makeDir creates a data directory, 0700.
func makeDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	return nil
}
