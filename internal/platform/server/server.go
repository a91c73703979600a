// Package server runs the HTTP listeners of a Portico component: the
// lifecycle of one listener (limits, cleartext HTTP/2, graceful shutdown),
// a group of listeners that stop together, the admin endpoints (health,
// readiness, metrics, pprof) and the middleware every listener wants.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/netutil"

	"github.com/portico-gw/portico/internal/platform/frontdoor"
)

// Defaults used for zero fields of Options.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultShutdownGrace     = 15 * time.Second
)

// Options configures one HTTP listener.
type Options struct {
	// Name identifies the listener in logs, such as "public" or "admin";
	// empty means "http".
	Name string
	// Addr is the host:port to listen on, ":0" for any free port. It is
	// ignored when Listener is set.
	Addr string
	// Listener, when set, is served instead of listening on Addr; the
	// server owns it from then on.
	Listener net.Listener
	// Handler serves every request; it must be set.
	Handler http.Handler

	// ReadHeaderTimeout bounds reading a request's headers; zero means
	// DefaultReadHeaderTimeout, so slow clients cannot hold connections.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included; zero
	// means no limit, which streaming uploads need.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a response; zero means no limit, which
	// streaming responses need.
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection waits for its
	// next request; zero means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps the size of a request's headers; zero means
	// net/http's default of 1 MiB.
	MaxHeaderBytes int
	// MaxConnections caps the connections open at once; further clients
	// wait to be accepted. Zero means no cap.
	MaxConnections int
	// ShutdownGrace is how long in-flight requests get to finish once
	// shutdown starts; connections still open after it are closed. Zero
	// means DefaultShutdownGrace.
	ShutdownGrace time.Duration
	// H2C serves cleartext HTTP/2 (prior knowledge) beside HTTP/1.1.
	// Not with TLSConfig.
	H2C bool
	// TLSConfig, when set, serves TLS with it, offering HTTP/2 and
	// HTTP/1.1 by ALPN; its GetConfigForClient may supply the
	// certificates. The handshake counts against ReadHeaderTimeout (and
	// ReadTimeout and WriteTimeout when set), as net/http bounds it.
	TLSConfig *tls.Config
	// OnTLSHandshakeError, when set, is called for each failed TLS
	// handshake. Those are logged at debug level, not warn: any client
	// can cause them at will (a scanner, a plain HTTP request, a refused
	// client certificate), so they are counted rather than logged.
	OnTLSHandshakeError func()
	// FrontDoor serves plain HTTP/1.1 requests on the front door's own
	// connection loop (internal/platform/frontdoor), at a fraction of
	// net/http's CPU per request; every other connection (HTTP/1.0,
	// upgrades, chunked uploads, h2c, a malformed head) is net/http's as
	// before. Ignored with TLSConfig.
	FrontDoor bool
	// HTTP2 tunes HTTP/2 (stream and frame limits); nil means net/http's
	// defaults.
	HTTP2 *http.HTTP2Config
	// Logger receives the server's lifecycle messages and net/http's
	// internal errors; nil discards them.
	Logger *slog.Logger
}

// Server is one HTTP listener. Create it with New.
type Server struct {
	name   string
	ln     net.Listener
	srv    *http.Server
	fd     *frontdoor.Server // nil unless Options.FrontDoor on cleartext
	grace  time.Duration
	logger *slog.Logger

	serving      atomic.Bool
	shutdownOnce sync.Once
	shutdownErr  error
}

// New validates o and starts listening, so Addr is known before Serve.
func New(o Options) (*Server, error) {
	if o.Handler == nil {
		return nil, errors.New("server: handler is nil")
	}
	if o.Name == "" {
		o.Name = "http"
	}
	if o.MaxConnections < 0 || o.MaxHeaderBytes < 0 || o.ShutdownGrace < 0 {
		return nil, fmt.Errorf("server %s: negative limit", o.Name)
	}
	if o.H2C && o.TLSConfig != nil {
		return nil, fmt.Errorf("server %s: cleartext HTTP/2 on a TLS listener", o.Name)
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("server", o.Name)

	ln := o.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", o.Addr); err != nil {
			return nil, fmt.Errorf("server %s: listen: %w", o.Name, err)
		}
	}
	if o.MaxConnections > 0 {
		ln = netutil.LimitListener(ln, o.MaxConnections)
	}

	srv := &http.Server{
		Handler:           o.Handler,
		ReadHeaderTimeout: orDuration(o.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       o.ReadTimeout,
		WriteTimeout:      o.WriteTimeout,
		IdleTimeout:       orDuration(o.IdleTimeout, DefaultIdleTimeout),
		MaxHeaderBytes:    o.MaxHeaderBytes,
		HTTP2:             o.HTTP2,
		TLSConfig:         o.TLSConfig,
		ErrorLog:          log.New(errorLog{logger: logger, onHandshake: o.OnTLSHandshakeError}, "", 0),
	}
	if o.H2C {
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
	}
	s := &Server{
		name:   o.Name,
		ln:     ln,
		srv:    srv,
		grace:  orDuration(o.ShutdownGrace, DefaultShutdownGrace),
		logger: logger,
	}
	if o.FrontDoor && o.TLSConfig == nil {
		s.fd = frontdoor.New(srv)
	}
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Name returns the server's name.
func (s *Server) Name() string { return s.name }

// RegisterOnShutdown registers f to run when shutdown starts, to tell
// connections that net/http no longer tracks (hijacked ones, such as
// WebSockets) to close.
func (s *Server) RegisterOnShutdown(f func()) { s.srv.RegisterOnShutdown(f) }

// Serve serves until ctx is done, then shuts down: the listener closes at
// once, in-flight requests get the shutdown grace to finish, and whatever
// is still open after it is closed. It returns nil on a clean shutdown, an
// error wrapping context.DeadlineExceeded when the grace ran out, and the
// serving error if serving failed. Serve may be called once.
func (s *Server) Serve(ctx context.Context) error {
	if !s.serving.CompareAndSwap(false, true) {
		return fmt.Errorf("server %s: Serve called twice", s.name)
	}
	s.logger.Info("serving", "addr", s.Addr().String(), "tls", s.srv.TLSConfig != nil, "front_door", s.fd != nil)
	errc := make(chan error, 1)
	go func() {
		if s.fd != nil {
			errc <- s.fd.Serve(s.ln)
			return
		}
		if s.srv.TLSConfig != nil {
			errc <- s.srv.ServeTLS(s.ln, "", "") // the certificates are in TLSConfig
			return
		}
		errc <- s.srv.Serve(s.ln)
	}()

	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			// Shutdown was called directly; report how it went.
			return s.Shutdown(context.WithoutCancel(ctx))
		}
		s.logger.Error("serving failed", "err", err)
		return fmt.Errorf("server %s: serve: %w", s.name, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.grace)
	defer cancel()
	err := s.Shutdown(sctx)
	<-errc
	return err
}

// Shutdown stops the server: it closes the listener, waits for in-flight
// requests until ctx is done, then closes the remaining connections.
// Shutdown runs once; later calls wait for it and return its result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() {
		s.logger.Info("shutting down")
		if !s.serving.Load() {
			// net/http closes only the listeners it serves.
			s.ln.Close()
		}
		shutdown, closeAll := s.srv.Shutdown, s.srv.Close
		if s.fd != nil { // it shuts net/http's half down too
			shutdown, closeAll = s.fd.Shutdown, s.fd.Close
		}
		err := shutdown(ctx)
		if err == nil {
			s.logger.Info("stopped")
			return
		}
		closeErr := closeAll()
		s.logger.Warn("shutdown grace over; closed remaining connections", "err", err)
		s.shutdownErr = fmt.Errorf("server %s: shutdown: %w", s.name, errors.Join(err, closeErr))
	})
	return s.shutdownErr
}

// errorLog receives net/http's error log lines: failed TLS handshakes at
// debug level, the rest at warn.
type errorLog struct {
	logger      *slog.Logger
	onHandshake func()
}

func (e errorLog) Write(p []byte) (int, error) {
	msg := strings.TrimSuffix(string(p), "\n")
	if strings.HasPrefix(msg, "http: TLS handshake error") {
		e.logger.Debug(msg)
		if e.onHandshake != nil {
			e.onHandshake()
		}
		return len(p), nil
	}
	e.logger.Warn(msg)
	return len(p), nil
}

func orDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
