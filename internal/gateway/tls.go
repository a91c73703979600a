package gateway

import (
	"context"
	"crypto/tls"
	"log/slog"
	"reflect"
	"strings"
	"sync"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/platform/tlsconfig"
)

// alpn are the protocols the public TLS listener offers, HTTP/2 first.
var alpn = []string{"h2", "http/1.1"}

// tlsState is a compiled server.tls: the store serving its files. A
// reload that leaves the block as it was keeps it, and so keeps polling
// the same files.
type tlsState struct {
	cfg   config.TLS // the block it was built from
	store *tlsconfig.Store

	once sync.Once
	stop context.CancelFunc // ends the polling; set by start
}

// compileTLS builds the TLS state of cfg (or of Options.TLS, which
// replaces it). Whether the listener speaks TLS is settled at start: a
// reload of a gateway started without TLS compiles none, and a reload
// that removes server.tls keeps the serving state (retireTLS warns of
// both).
func (g *Gateway) compileTLS(cfg *config.Config, prev *runtime) (*tlsState, error) {
	c := cfg.Server.TLS
	if g.tlsOverride != nil {
		c = g.tlsOverride
	}
	switch {
	case prev != nil && prev.tls == nil, prev == nil && c == nil:
		return nil, nil
	case prev != nil && c == nil:
		return prev.tls, nil
	case prev != nil && reflect.DeepEqual(prev.tls.cfg, *c):
		return prev.tls, nil
	}
	pairs := make([]tlsconfig.Pair, len(c.Certificates))
	for i, p := range c.Certificates {
		pairs[i] = tlsconfig.Pair{CertFile: p.CertFile, KeyFile: p.KeyFile}
	}
	o := tlsconfig.Options{
		Pairs:         pairs,
		ClientCAFiles: c.ClientCAFiles,
		NextProtos:    alpn,
		PollInterval:  c.ReloadInterval.D(),
		Logger:        g.log,
		OnReload:      g.tlsm.reloaded,
	}
	switch c.MinVersion {
	case config.TLSVersion13:
		o.MinVersion = tls.VersionTLS13
	default:
		o.MinVersion = tls.VersionTLS12
	}
	switch c.ClientAuth {
	case config.ClientAuthRequest:
		o.ClientAuth = tls.VerifyClientCertIfGiven
	case config.ClientAuthRequire:
		o.ClientAuth = tls.RequireAndVerifyClientCert
	}
	s, err := tlsconfig.New(o)
	if err != nil {
		return nil, err
	}
	for _, crt := range s.Snapshot().Certificates {
		g.log.Info("TLS certificate loaded", slog.String("file", crt.Pair.CertFile),
			slog.String("names", strings.Join(tlsconfig.Names(crt.Leaf), ",")),
			slog.Time("not_after", crt.Leaf.NotAfter), slog.String("sha256", tlsconfig.Fingerprint(crt.Leaf)))
	}
	return &tlsState{cfg: *c, store: s}, nil
}

// start begins polling the files, once, until ctx ends or stop is called.
func (t *tlsState) start(ctx context.Context) {
	if t == nil {
		return
	}
	t.once.Do(func() {
		ctx, t.stop = context.WithCancel(ctx)
		go t.store.Run(ctx)
	})
}

// retireTLS stops the polling of old's TLS state when cur replaced it,
// and warns of the changes to server.tls that wait for a restart.
func (g *Gateway) retireTLS(old, cur *runtime) {
	wants := cur.cfg.Server.TLS != nil || g.tlsOverride != nil
	switch {
	case old.tls == nil && wants:
		g.log.Warn("server.tls added; the listener serves TLS after a restart, and cleartext HTTP until then")
	case old.tls != nil && !wants:
		g.log.Warn("server.tls removed; the listener keeps serving TLS with the certificates it had until a restart")
	case old.tls != nil && cur.tls != nil && old.tls.redirectListen() != cur.tls.redirectListen():
		g.log.Warn("server.tls.redirect_http.listen changed; the new address takes effect on restart",
			slog.String("serving", old.tls.redirectListen()), slog.String("configured", cur.tls.redirectListen()))
	}
	if old.tls != nil && old.tls != cur.tls && old.tls.stop != nil {
		old.tls.stop()
	}
}

// TLSConfig returns the tls.Config of the public listener, or nil when the
// gateway serves cleartext HTTP (it started without server.tls). Each
// handshake takes the certificates, client CAs and minimum version the
// serving configuration has loaded, so rotated files and reloads reach
// new connections while open ones keep theirs. HTTP/2 and HTTP/1.1 are
// offered by ALPN.
func (g *Gateway) TLSConfig() *tls.Config {
	rt := g.rt.Load()
	if rt.tls == nil {
		return nil
	}
	c := rt.tls.store.Config()
	c.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		return g.rt.Load().tls.store.ConfigForClient(hello)
	}
	return c
}

// RedirectListen returns the address of server.tls.redirect_http's
// listener, or "" when there is none.
func (g *Gateway) RedirectListen() string {
	return g.rt.Load().tls.redirectListen()
}

func (t *tlsState) redirectListen() string {
	if t == nil || t.cfg.RedirectHTTP == nil {
		return ""
	}
	return t.cfg.RedirectHTTP.Listen
}
