package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/platform/tlsconfig"
)

// selfSignedHosts are the names a self-signed certificate of portico all
// is valid for: the loopback names, the gateway's listen host when it is
// one, and the public URL's host.
func selfSignedHosts(listen, publicURL string) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	add := func(h string) {
		h = strings.Trim(h, "[]")
		if a, err := netip.ParseAddr(h); h == "" || (err == nil && a.IsUnspecified()) {
			return
		}
		if !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	if h, _, err := net.SplitHostPort(listen); err == nil {
		add(h)
	}
	if u, err := url.Parse(publicURL); err == nil {
		add(u.Hostname())
	}
	return hosts
}

// ensureSelfSigned keeps the self-signed certificate of portico all
// --tls-self-signed in the data directory (created 0700), reusing the one
// there while it is valid for hosts, logs it and returns the server.tls
// block that serves it with the banner lines that describe it.
func ensureSelfSigned(dataDir string, hosts []string, logger *slog.Logger) (*config.TLS, []string, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("--tls-self-signed: %w", err)
	}
	s, err := tlsconfig.EnsureSelfSigned(dataDir, hosts, time.Now())
	if err != nil {
		return nil, nil, fmt.Errorf("--tls-self-signed: %w", err)
	}
	msg := "self-signed TLS certificate reused"
	if s.Created {
		msg = "self-signed TLS certificate created"
	}
	logger.Info(msg, slog.String("file", s.Pair.CertFile), slog.String("names", strings.Join(tlsconfig.Names(s.Leaf), ",")),
		slog.Time("not_after", s.Leaf.NotAfter), slog.String("sha256", tlsconfig.Fingerprint(s.Leaf)))
	lines := []string{
		"  TLS:      self-signed certificate " + s.Pair.CertFile,
		"            for " + strings.Join(tlsconfig.Names(s.Leaf), ", ") + ", until " + s.Leaf.NotAfter.UTC().Format(time.DateOnly),
		"  SHA-256:  " + tlsconfig.DisplayFingerprint(s.Leaf),
	}
	return config.NewTLS(&config.Certificate{CertFile: s.Pair.CertFile, KeyFile: s.Pair.KeyFile}), lines, nil
}

// httpsURL turns baseURL's http:// URL into the https:// one.
func httpsURL(u string) string {
	if rest, ok := strings.CutPrefix(u, "http://"); ok {
		return "https://" + rest
	}
	return u
}
