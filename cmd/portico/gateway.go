package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"go.opentelemetry.io/otel/trace"

	"github.com/portico-gw/portico/internal/gateway"
	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/platform/observability"
	"github.com/portico-gw/portico/internal/platform/server"
	"github.com/portico-gw/portico/internal/platform/workload"
	"github.com/portico-gw/portico/web"
)

func runGateway(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) int {
	fs := newFlagSet("gateway", stderr)
	path := fs.String("config", "portico.yaml", "gateway configuration `file`")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	cfg, err := config.Load(*path, getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	logger, err := observability.NewLogger(stderr, cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		fmt.Fprintln(stderr, "portico gateway:", err)
		return 1
	}
	if err := serveGateway(ctx, cfg, *path, getenv, logger, stderr, gatewayOptions{}); err != nil {
		logger.Error("gateway stopped", slog.String("error", err.Error()))
		return 1
	}
	return 0
}

// gatewayOptions are what portico all gives the gateway besides its
// configuration; the zero value is portico gateway's.
type gatewayOptions struct {
	// ln, when set, is the public listener, already bound to
	// server.listen; else the gateway listens itself.
	ln net.Listener
	// authWorkloadToken, when set, is the gateway's workload token toward
	// auth, instead of the configuration's auth.workload_token_file.
	authWorkloadToken workload.TokenSource
	// tls, when set, replaces the configuration's server.tls (portico all
	// --tls-self-signed).
	tls *config.TLS
}

// serveGateway runs the gateway with cfg until ctx ends, writing access
// log lines to accessOut.
func serveGateway(ctx context.Context, cfg *config.Config, path string, getenv env, logger *slog.Logger, accessOut io.Writer, o gatewayOptions) error {
	reg := observability.NewRegistry()
	tp, shutdownTracing, err := observability.NewTracerProvider(ctx, observability.TracingOptions{
		OTLPEndpoint: cfg.Tracing.OTLPEndpoint,
		SampleRatio:  *cfg.Tracing.SampleRatio,
		ServiceName:  cfg.Tracing.ServiceName,
		Version:      version,
	})
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	defer shutdownTracing(context.Background())
	var gwTP trace.TracerProvider
	if cfg.Tracing.OTLPEndpoint != "" {
		gwTP = tp
	}
	gw, err := gateway.New(cfg, gateway.Options{
		Logger:         logger,
		AccessLog:      accessOut,
		Registerer:     reg,
		TracerProvider: gwTP,
		Propagator:     observability.Propagator(),

		AuthWorkloadToken: o.authWorkloadToken,
		TLS:               o.tls,
		// Static routes name it with embedded: dashboard.
		Files: map[string]fs.FS{"dashboard": web.Dist()},
	})
	if err != nil {
		return err
	}
	defer gw.Close()

	s := &cfg.Server
	health := server.NewHealth()
	pub, err := server.New(server.Options{
		Name:              "public",
		Addr:              s.Listen,
		Listener:          o.ln,
		Handler:           gw, // the gateway recovers its own panics (see Gateway.ServeHTTP)
		ReadHeaderTimeout: s.ReadHeaderTimeout.D(),
		ReadTimeout:       s.ReadTimeout.D(),
		WriteTimeout:      s.WriteTimeout.D(),
		IdleTimeout:       s.IdleTimeout.D(),
		// net/http refuses headers beyond this with a bare 431; the gateway
		// enforces the configured limit itself, below this, with a problem
		// document.
		MaxHeaderBytes: 2 * int(s.MaxHeaderBytes),
		MaxConnections: s.MaxConnections,
		ShutdownGrace:  s.ShutdownGrace.D(),
		H2C:            s.H2C,
		FrontDoor:      s.FrontDoorOn(),
		TLSConfig:      gw.TLSConfig(), // nil: cleartext
		Logger:         logger,

		OnTLSHandshakeError: gw.TLSHandshakeFailed,
	})
	if err != nil {
		return err
	}
	servers := []*server.Server{pub}
	if red, err := redirectServer(gw, pub, s, logger); err != nil {
		pub.Shutdown(context.Background())
		return err
	} else if red != nil {
		servers = append(servers, red)
	}
	if cfg.Admin.Listen != "off" && cfg.Admin.Listen != "" {
		adm, err := server.New(server.Options{
			Name: "admin",
			Addr: cfg.Admin.Listen,
			Handler: server.AdminHandler(server.AdminOptions{
				Health:   health,
				Gatherer: reg,
				Pprof:    cfg.Admin.Pprof,
			}),
			ReadHeaderTimeout: s.ReadHeaderTimeout.D(),
			IdleTimeout:       s.IdleTimeout.D(),
			ShutdownGrace:     s.ShutdownGrace.D(),
			Logger:            logger,
		})
		if err != nil {
			for _, sv := range servers {
				sv.Shutdown(context.Background())
			}
			return err
		}
		servers = append(servers, adm)
	}
	for _, sv := range servers {
		logger.Info("listening", slog.String("server", sv.Name()), slog.String("addr", sv.Addr().String()))
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	if path != "" {
		go gw.Watch(watchCtx, path, getenv, hup)
	}
	health.SetReady(true)
	return server.RunGroup(ctx, s.ShutdownDelay.D(), health, servers...)
}

// redirectServer is the cleartext listener of server.tls.redirect_http,
// which redirects to pub, or nil when the configuration has none.
func redirectServer(gw *gateway.Gateway, pub *server.Server, s *config.Server, logger *slog.Logger) (*server.Server, error) {
	addr := gw.RedirectListen()
	if addr == "" {
		return nil, nil
	}
	_, port, _ := net.SplitHostPort(pub.Addr().String())
	n, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("public listener port %q: %w", port, err)
	}
	return server.New(server.Options{
		Name:              "redirect",
		Addr:              addr,
		Handler:           gw.RedirectHandler(n),
		ReadHeaderTimeout: s.ReadHeaderTimeout.D(),
		ReadTimeout:       s.ReadHeaderTimeout.D(), // nothing is read past the headers
		WriteTimeout:      s.ReadHeaderTimeout.D(),
		IdleTimeout:       s.IdleTimeout.D(),
		MaxHeaderBytes:    2 * int(s.MaxHeaderBytes),
		MaxConnections:    s.MaxConnections,
		ShutdownGrace:     s.ShutdownGrace.D(),
		Logger:            logger,
	})
}
