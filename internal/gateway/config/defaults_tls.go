package config

import (
	"path/filepath"
	"time"
)

// Values and defaults of server.tls and of routes' hsts.
const (
	// TLSVersion12 and TLSVersion13 are the values of server.tls.min_version.
	TLSVersion12         = "1.2"
	TLSVersion13         = "1.3"
	DefaultTLSMinVersion = TLSVersion12

	// ClientAuthNone, ClientAuthRequest and ClientAuthRequire are the
	// values of server.tls.client_auth.
	ClientAuthNone           = "none"
	ClientAuthRequest        = "request"
	ClientAuthRequire        = "require"
	DefaultTLSClientAuth     = ClientAuthNone
	DefaultTLSReloadInterval = Duration(10 * time.Second)

	// DefaultHSTSMaxAge is a year, the least the browsers' preload lists
	// accept.
	DefaultHSTSMaxAge = Duration(365 * 24 * time.Hour)
)

// NewTLS returns a server.tls block serving certs with every default, as
// Parse would fill it.
func NewTLS(certs ...*Certificate) *TLS {
	t := &TLS{Certificates: certs}
	tlsDefaults(t, "")
	return t
}

// tlsAndHSTSDefaults fills server.tls and the routes' hsts blocks.
// Relative file names in server.tls are resolved against the directory of
// the configuration file, so that a configuration and its certificates
// can move together.
func tlsAndHSTSDefaults(c *Config) {
	if t := c.Server.TLS; t != nil {
		tlsDefaults(t, sourceDir(c))
	}
	for _, r := range c.Routes {
		if r != nil && r.HSTS != nil {
			setPtr(&r.HSTS.MaxAge, DefaultHSTSMaxAge)
		}
	}
}

func tlsDefaults(t *TLS, base string) {
	setString(&t.MinVersion, DefaultTLSMinVersion)
	setString(&t.ClientAuth, DefaultTLSClientAuth)
	setDuration(&t.ReloadInterval, DefaultTLSReloadInterval)
	for _, c := range t.Certificates {
		if c != nil {
			c.CertFile = resolvePath(base, c.CertFile)
			c.KeyFile = resolvePath(base, c.KeyFile)
		}
	}
	for i, f := range t.ClientCAFiles {
		t.ClientCAFiles[i] = resolvePath(base, f)
	}
}

// sourceDir returns the directory of the configuration file, against
// which relative file names are resolved, or "" for a configuration not
// read from a file.
func sourceDir(c *Config) string {
	if c.Source == "" {
		return ""
	}
	return filepath.Dir(c.Source)
}

// resolvePath returns p relative to base when p is relative; empty stays
// empty, so that validation reports it.
func resolvePath(base, p string) string {
	if p == "" || base == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}
