package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authhttp"
	"github.com/portico-gw/portico/internal/auth/authstore"
	"github.com/portico-gw/portico/internal/auth/signing"
	"github.com/portico-gw/portico/internal/platform/observability"
	"github.com/portico-gw/portico/internal/platform/requestid"
	"github.com/portico-gw/portico/internal/platform/server"
	"github.com/portico-gw/portico/internal/platform/sqldb"
)

// authComponent is a started auth service: listening, not yet serving.
type authComponent struct {
	logger    *slog.Logger
	db        *sqldb.DB
	mgr       *signing.Manager
	svc       *auth.Service
	health    *server.Health
	servers   []*server.Server
	issuer    string
	bootstrap bootstrapResult
}

// startAuth opens the database, applies migrations, starts the signing
// keys, creates the first administrator if there is no identity yet, and
// binds the listeners (taking over s.ln). The caller runs serve, or close
// on a later failure.
func startAuth(ctx context.Context, s authSettings, logger *slog.Logger) (_ *authComponent, err error) {
	ln := s.ln
	if ln == nil {
		if ln, err = net.Listen("tcp", s.listen); err != nil {
			return nil, fmt.Errorf("server %s: listen: %w", s.publicName, err)
		}
	}
	a := &authComponent{logger: logger, health: server.NewHealth(), issuer: orString(s.issuer, baseURL(ln.Addr().String()))}
	defer func() {
		if err != nil {
			ln.Close()
			a.close()
		}
	}()

	mailer := s.mailer
	if mailer == nil {
		if !s.devLogMail {
			return nil, errors.New("no mailer for password reset mail, and no --dev-log-mail")
		}
		mailer = auth.NewLogMailer(logger)
	}
	warnDevSecrets(s, logger)
	if err = makeDataDir(s); err != nil {
		return nil, err
	}
	kek, err := keySource(s.kekEnv, s.kekFile).KEK(ctx)
	if err != nil {
		return nil, fmt.Errorf("key-encryption key: %w", err)
	}
	secretKey, err := keySource(s.secretKeyEnv, s.secretKeyFile).KEK(ctx)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	if a.db, err = sqldb.Open(ctx, s.dsn, sqldb.Options{Migrations: s.migrations}); err != nil {
		return nil, err
	}
	a.health.AddCheck("database", a.db.PingContext)
	store, err := authstore.Open(ctx, a.db)
	if err != nil {
		return nil, err
	}
	if a.mgr, err = signing.New(ctx, store, kek, signing.Options{Issuer: a.issuer, Logger: logger}); err != nil {
		return nil, err
	}
	issuer, err := signing.NewAuthIssuer(a.mgr, "")
	if err != nil {
		return nil, err
	}
	// Without the accounts service nobody belongs to any organization and
	// the first administrator is staff, decided here at every start.
	var dir auth.Directory
	static := auth.NewStaticDirectory()
	if s.accountsURL != "" {
		if dir, err = auth.NewHTTPDirectory(auth.HTTPDirectoryOptions{URL: s.accountsURL, Client: s.accountsClient}); err != nil {
			return nil, err
		}
		static = nil
	} else {
		logger.Warn("no accounts service (--accounts-url): nobody belongs to any organization, and the first administrator is staff")
		dir = static
	}
	a.svc = auth.NewService(store, issuer, dir, auth.Options{
		SecretKey: secretKey,
		ResetURL:  strings.TrimSuffix(a.issuer, "/") + "/reset-password",
		Logger:    logger,
		Mailer:    mailer,

		MaxConcurrentHashes: s.maxConcurrentHashes,
		Audiences:           s.audiences,
	})
	if a.bootstrap, err = bootstrapAdmin(ctx, a.svc, store, static, s.adminEmail, s.adminPassword, logger); err != nil {
		return nil, err
	}

	reg := observability.NewRegistry()
	registerMailMetrics(reg, a.svc)
	public, err := a.publicHandler(s, reg)
	if err != nil {
		return nil, err
	}
	pub, err := server.New(server.Options{
		Name: s.publicName, Listener: ln, Handler: server.Liveness(public),
		ReadTimeout: 30 * time.Second, WriteTimeout: time.Minute, MaxHeaderBytes: 64 << 10,
		FrontDoor: true, // plain HTTP/1.1, as the gateway sends, on the front door
		Logger:    logger,
	})
	if err != nil {
		return nil, err
	}
	a.servers = append(a.servers, pub)
	if s.adminListen != "off" && s.adminListen != "" {
		adm, err := server.New(server.Options{
			Name: s.adminName, Addr: s.adminListen,
			Handler: server.AdminHandler(server.AdminOptions{Health: a.health, Gatherer: reg, Logger: logger}),
			Logger:  logger,
		})
		if err != nil {
			return nil, err
		}
		a.servers = append(a.servers, adm)
	}
	return a, nil
}

// publicHandler serves the auth API, the signing keys' documents among
// its routes. The /v1 routes verify the gateway's internal tokens against
// the signing manager's own keys, in process; s.workload admits the
// callers of /internal/ (nil refuses them all).
func (a *authComponent) publicHandler(s authSettings, reg *prometheus.Registry) (http.Handler, error) {
	discovery, err := a.mgr.DiscoveryHandler(nil)
	if err != nil {
		return nil, err
	}
	api := authhttp.NewHandler(a.svc, authhttp.Options{
		Issuer:    a.issuer,
		Keys:      a.mgr,
		Workload:  s.workload,
		JWKS:      a.mgr.JWKSHandler(),
		Discovery: discovery,
		ClientIP:  clientIP(s.trusted),
		// Empty: the issuer's origin, the one the dashboard is served from.
		TrustedOrigins: s.trustedOrigins,
		Logger:         a.logger,
	})
	metrics := observability.NewHTTPMetrics(reg, "portico_auth")
	return requestid.Middleware(metrics.Middleware(nil, server.Recover(a.logger, api))), nil
}

// announce logs the listeners' addresses, as the gateway does, so that
// scripts and tests can find them.
func (a *authComponent) announce() {
	for _, sv := range a.servers {
		a.logger.Info("listening", slog.String("server", sv.Name()), slog.String("addr", sv.Addr().String()))
	}
}

// serve runs the listeners, the signing keys' upkeep, the mail queue and
// the pruning of sign-in failures until ctx ends, then closes the database.
func (a *authComponent) serve(ctx context.Context) error {
	defer a.close()
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{}, 3)
	go func() { a.mgr.Run(bg); done <- struct{}{} }()
	go func() { a.prune(bg); done <- struct{}{} }()
	go func() { a.svc.Run(bg); done <- struct{}{} }()
	a.health.SetReady(true)
	err := server.RunGroup(ctx, 0, a.health, a.servers...)
	stop()
	<-done
	<-done
	<-done
	return err
}

// prune deletes aged-out sign-in failures, idempotency records and
// password reset requests now and every pruneEvery.
func (a *authComponent) prune(ctx context.Context) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		n, err := a.svc.PruneLoginFailures(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			a.logger.Error("prune sign-in failures", slog.String("error", err.Error()))
		case n > 0:
			a.logger.Debug("sign-in failures pruned", slog.Int64("count", n))
		}
		if n, err := a.svc.PruneIdempotencyRecords(ctx); err != nil && ctx.Err() == nil {
			a.logger.Error("prune idempotency records", slog.String("error", err.Error()))
		} else if n > 0 {
			a.logger.Debug("idempotency records pruned", slog.Int64("count", n))
		}
		if n, err := a.svc.PrunePasswordResets(ctx); err != nil && ctx.Err() == nil {
			a.logger.Error("prune password resets", slog.String("error", err.Error()))
		} else if n > 0 {
			a.logger.Debug("password resets pruned", slog.Int64("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// close releases what startAuth opened; servers that never served are
// shut down.
func (a *authComponent) close() {
	for _, sv := range a.servers {
		sv.Shutdown(context.Background())
	}
	if a.db != nil {
		a.db.Close()
	}
}

// bootstrapResult says how the first administrator came to be.
type bootstrapResult struct {
	email string
	// identityID is the administrator's identity, "" when no identity has
	// the administrator's address.
	identityID string
	// created is true on the start that created the administrator;
	// password is then the generated password, or "" when it came from
	// PORTICO_ADMIN_PASSWORD.
	created  bool
	password string
}

// lines describes the administrator for a box on standard output.
func (b bootstrapResult) lines(title string) []string {
	if title == "" {
		title = "Portico auth: first administrator created"
	}
	out := []string{title, "", "  admin:    " + b.email}
	switch {
	case b.created && b.password != "":
		out = append(out, "  password: "+b.password, "",
			"This password is shown only once. Change it after signing in",
			"(POST /v1/password/change).")
	case b.created:
		out = append(out, "  password: the value of PORTICO_ADMIN_PASSWORD")
	default:
		out = append(out, "  password: set on the first start; not shown again")
	}
	return out
}

// bootstrapAdmin creates the first administrator when there is no identity
// yet, and makes the identity with the administrator's address staff in dir
// (which lives in memory, so this runs at every start) unless dir is nil:
// with the accounts service, staff are the members of its staff
// organization.
func bootstrapAdmin(ctx context.Context, svc *auth.Service, store *authstore.Store, dir *auth.StaticDirectory,
	email, password string, logger *slog.Logger) (bootstrapResult, error) {
	res := bootstrapResult{email: email}
	id, generated, err := svc.Bootstrap(ctx, email, password)
	switch {
	case err == nil:
		res.created = true
		if password == "" {
			res.password = generated
		}
	case errors.Is(err, auth.ErrConflict):
		id, err = store.GetIdentityByEmail(ctx, email)
		if errors.Is(err, auth.ErrNotFound) {
			logger.Warn("no identity has the administrator's address; nobody is staff", slog.String("email", email))
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("find administrator: %w", err)
		}
	default:
		return res, fmt.Errorf("create administrator: %w", err)
	}
	res.identityID = id.ID
	logger.Info("first administrator", slog.String("email", email), slog.String("identity", id.ID), slog.Bool("created", res.created))
	if dir != nil {
		dir.SetStaff(id.ID, true)
	}
	return res, nil
}

// registerMailMetrics exposes the mail queue's counters (password reset
// mail) as portico_auth_mail_total{outcome}: queued, sent, retried, failed
// (given up after the attempts) and dropped (the queue was full). A mail
// failed or dropped is a person who asked for a reset and got nothing.
func registerMailMetrics(reg prometheus.Registerer, svc *auth.Service) {
	for outcome, read := range map[string]func(auth.MailStats) int64{
		"queued":  func(m auth.MailStats) int64 { return m.Queued },
		"sent":    func(m auth.MailStats) int64 { return m.Sent },
		"retried": func(m auth.MailStats) int64 { return m.Retried },
		"failed":  func(m auth.MailStats) int64 { return m.Failed },
		"dropped": func(m auth.MailStats) int64 { return m.Dropped },
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "portico_auth_mail_total",
			Help:        "Password reset mails by outcome: queued, sent, retried (attempts tried again), failed (given up), dropped (the queue was full).",
			ConstLabels: prometheus.Labels{"outcome": outcome},
		}, func() float64 { return float64(read(svc.MailStats())) }))
	}
}
