package config

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/platform/tlsconfig"
)

// tls checks server.tls, reading every file it names, and the routes'
// hsts and client_cert, which depend on it.
func (v *validator) tls() {
	t := v.c.Server.TLS
	if t != nil {
		v.tlsBlock(t)
	}
	for i, r := range v.c.Routes {
		if r == nil {
			continue
		}
		path := joinIndex("routes", i)
		if r.HSTS != nil {
			v.hsts(path+".hsts", r.HSTS)
		}
		if r.ClientCert != nil {
			v.clientCert(path+".client_cert", r.ClientCert)
		}
	}
}

func (v *validator) tlsBlock(t *TLS) {
	if v.c.Server.H2C {
		v.errorf("server.h2c", "cleartext HTTP/2 cannot be served on a TLS listener, where HTTP/2 is negotiated by ALPN anyway; remove h2c")
	}
	if len(t.Certificates) == 0 {
		v.errorf("server.tls.certificates", "no certificate; give at least one {cert_file, key_file}")
	}
	now := time.Now()
	seen := map[string]int{}
	for i, c := range t.Certificates {
		path := joinIndex("server.tls.certificates", i)
		if c == nil {
			v.errorf(path, "missing certificate definition")
			continue
		}
		ok := v.fileName(path+".cert_file", c.CertFile)
		ok = v.fileName(path+".key_file", c.KeyFile) && ok
		if !ok {
			continue
		}
		if j, dup := seen[c.CertFile]; dup {
			v.errorf(path+".cert_file", "%s is also server.tls.certificates[%d]; list each certificate once", c.CertFile, j)
			continue
		}
		seen[c.CertFile] = i
		if _, err := tlsconfig.LoadPair(tlsconfig.Pair{CertFile: c.CertFile, KeyFile: c.KeyFile}, now); err != nil {
			key := ".cert_file"
			var fe *tlsconfig.FileError
			if errors.As(err, &fe) && fe.Key {
				key = ".key_file"
			}
			v.errorf(path+key, "%v", err)
		}
	}
	switch t.MinVersion {
	case TLSVersion12, TLSVersion13:
	default:
		v.errorf("server.tls.min_version", "unknown version %q; use %s or %s", t.MinVersion, TLSVersion12, TLSVersion13)
	}
	clientAuth := []string{ClientAuthNone, ClientAuthRequest, ClientAuthRequire}
	if !slices.Contains(clientAuth, t.ClientAuth) {
		v.errorf("server.tls.client_auth", "unknown value %q; use %s, %s or %s%s", t.ClientAuth,
			ClientAuthNone, ClientAuthRequest, ClientAuthRequire, didYouMean(t.ClientAuth, clientAuth))
	}
	switch {
	case t.ClientAuth == ClientAuthNone && len(t.ClientCAFiles) > 0:
		v.errorf("server.tls.client_ca_files", "client certificates are not asked for (client_auth: %s); set client_auth to %s or %s, or remove client_ca_files",
			ClientAuthNone, ClientAuthRequest, ClientAuthRequire)
	case t.ClientAuth != ClientAuthNone && len(t.ClientCAFiles) == 0 && slices.Contains(clientAuth, t.ClientAuth):
		v.errorf("server.tls.client_auth", "%s verifies client certificates, which needs client_ca_files: the CAs that issue them", t.ClientAuth)
	}
	cas := map[string]int{}
	for i, f := range t.ClientCAFiles {
		path := joinIndex("server.tls.client_ca_files", i)
		if !v.fileName(path, f) {
			continue
		}
		if j, dup := cas[f]; dup {
			v.errorf(path, "%s is also server.tls.client_ca_files[%d]", f, j)
			continue
		}
		cas[f] = i
		if _, err := tlsconfig.LoadCAs(f); err != nil {
			v.errorf(path, "%v", err)
		}
	}
	v.positive("server.tls.reload_interval", t.ReloadInterval)
	if r := t.RedirectHTTP; r != nil {
		v.redirectHTTP(r)
	}
}

// fileName checks that a file name is given and could name a file.
func (v *validator) fileName(path, f string) bool {
	switch {
	case f == "":
		v.errorf(path, "missing; give the path of a PEM file")
		return false
	case strings.ContainsRune(f, 0):
		v.errorf(path, "must not contain a NUL byte")
		return false
	}
	return true
}

func (v *validator) redirectHTTP(r *RedirectHTTP) {
	const path = "server.tls.redirect_http"
	if r.Listen == "" {
		v.errorf(path+".listen", "missing; give the cleartext address to redirect from, such as \":80\"")
	} else if v.listen(path+".listen", r.Listen) {
		if sameListener(r.Listen, v.c.Server.Listen) {
			v.errorf(path+".listen", "%q is also server.listen; the redirecting listener needs its own port", r.Listen)
		}
		if a := v.c.Admin.Listen; a != AdminOff && sameListener(r.Listen, a) {
			v.errorf(path+".listen", "%q is also admin.listen; the redirecting listener needs its own port", r.Listen)
		}
	}
	if r.Port < 0 || r.Port > 65535 {
		v.errorf(path+".port", "%d is not a port; use 1 to 65535, or leave it out for server.listen's", r.Port)
	}
}

func (v *validator) hsts(path string, h *HSTS) {
	if v.c.Server.TLS == nil && len(v.c.Server.TrustedProxies) == 0 {
		v.errorf(path, "Strict-Transport-Security is sent only over TLS, and this gateway has neither server.tls "+
			"nor server.trusted_proxies (a TLS-terminating proxy that sends X-Forwarded-Proto: https); add one, or remove hsts")
	}
	if h.MaxAge == nil {
		return // only a configuration built in code; Parse fills it
	}
	age := *h.MaxAge
	if age%Duration(time.Second) != 0 {
		v.errorf(path+".max_age", "%s is not a whole number of seconds, which Strict-Transport-Security counts in", age)
	}
	if h.Preload {
		if !h.IncludeSubdomains {
			v.errorf(path+".preload", "the preload lists admit only policies with include_subdomains: true")
		}
		if age < DefaultHSTSMaxAge {
			v.errorf(path+".preload", "the preload lists admit only a max_age of at least %s (a year); max_age is %s", DefaultHSTSMaxAge, age)
		}
	}
}

func (v *validator) clientCert(path string, c *ClientCert) {
	t := v.c.Server.TLS
	switch {
	case t == nil:
		v.errorf(path, "client certificates need server.tls with client_auth: %s or %s", ClientAuthRequest, ClientAuthRequire)
	case t.ClientAuth == ClientAuthNone:
		v.errorf(path, "server.tls.client_auth is %s, so no client certificate is ever asked for; set it to %s (or %s)",
			ClientAuthNone, ClientAuthRequest, ClientAuthRequire)
	}
	if !c.Required {
		v.errorf(path+".required", "must be true; leave client_cert out to admit callers without a certificate")
	}
	seen := map[string]int{}
	for i, n := range c.Names {
		npath := joinIndex(path+".names", i)
		key := n
		if !strings.Contains(n, "://") {
			key = strings.ToLower(n)
		}
		if j, dup := seen[key]; dup {
			v.errorf(npath, "%q is also names[%d]", n, j)
			continue
		}
		seen[key] = i
		if msg := checkCertName(n); msg != "" {
			v.errorf(npath, "%q %s", n, msg)
		}
	}
}

// checkCertName checks a name a client certificate may hold: a DNS name
// or an absolute URI.
func checkCertName(n string) string {
	if strings.Contains(n, "://") {
		u, err := url.Parse(n)
		if err != nil || u.Scheme == "" || u.Host == "" || strings.ContainsAny(n, " \t") {
			return "is neither a DNS name nor an absolute URI such as spiffe://example.org/billing"
		}
		return ""
	}
	if !validHostname(n) {
		return "is neither a DNS name nor an absolute URI such as spiffe://example.org/billing"
	}
	return ""
}
