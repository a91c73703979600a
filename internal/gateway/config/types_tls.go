package config

// TLS serves the public listener over TLS (HTTP/2 and HTTP/1.1 by ALPN).
// Relative file names are resolved against the configuration file's
// directory. The files are read at check time, at start and on every
// reload, and polled for changes while serving; a change that does not
// load keeps the certificates that serve.
type TLS struct {
	// Certificates are the server's certificates with their keys; at
	// least one. A client's SNI picks the first whose names cover it; the
	// first is served to clients without SNI, or naming none of them.
	Certificates []*Certificate `yaml:"certificates"`
	// MinVersion is the lowest TLS version accepted: "1.2" (the default)
	// or "1.3".
	MinVersion string `yaml:"min_version"`
	// ClientAuth says whether clients are asked for a certificate: none
	// (the default); request, verified against ClientCAFiles when one is
	// presented (a certificate that does not verify fails the
	// handshake); require, where a client without a verified certificate
	// cannot connect.
	ClientAuth string `yaml:"client_auth"`
	// ClientCAFiles are PEM bundles of the CAs client certificates are
	// verified against; required unless ClientAuth is none.
	ClientCAFiles []string `yaml:"client_ca_files"`
	// ReloadInterval is how often the files are read for changes. A
	// change is loaded once two reads in a row have seen it. Default 10s.
	ReloadInterval Duration `yaml:"reload_interval"`
	// RedirectHTTP, when set, runs a cleartext listener that redirects
	// every request to HTTPS. Nil (the default) runs none.
	RedirectHTTP *RedirectHTTP `yaml:"redirect_http"`
}

// Certificate is one certificate chain and its private key, as PEM files.
type Certificate struct {
	// CertFile holds the certificate, then its intermediates.
	CertFile string `yaml:"cert_file"`
	// KeyFile holds the certificate's private key; it may be CertFile.
	KeyFile string `yaml:"key_file"`
}

// RedirectHTTP is the cleartext listener that answers every request with
// 308 Permanent Redirect to the same host, path and query over HTTPS.
type RedirectHTTP struct {
	// Listen is its address, host:port, such as ":80". Required.
	Listen string `yaml:"listen"`
	// Port is the HTTPS port the redirects name. Default: the port
	// server.listen binds (which may differ from the port clients reach
	// behind a port mapping: set it then). 443 is left out of the URL.
	Port int `yaml:"port"`
}

// HSTS is a route's Strict-Transport-Security policy (RFC 6797). It is
// sent only on responses to requests that came over TLS: to the gateway
// itself, or to a trusted proxy that says so with X-Forwarded-Proto.
type HSTS struct {
	// MaxAge is how long browsers remember to use only HTTPS, in whole
	// seconds. Default 8760h (a year); an explicit 0 tells browsers to
	// forget the policy.
	MaxAge *Duration `yaml:"max_age"`
	// IncludeSubdomains extends the policy to every subdomain.
	IncludeSubdomains bool `yaml:"include_subdomains"`
	// Preload asks to be listed in browsers' preload lists; it needs
	// IncludeSubdomains and a MaxAge of at least a year.
	Preload bool `yaml:"preload"`
}

// ClientCert restricts a route to callers that presented a TLS client
// certificate the listener verified (server.tls.client_auth request or
// require).
type ClientCert struct {
	// Required must be true: a request without a verified client
	// certificate gets 403 client-certificate-required.
	Required bool `yaml:"required"`
	// Names, when set, admit only a certificate holding one of them as a
	// DNS name (compared without case) or URI (exactly, such as a SPIFFE
	// ID) in its subject alternative names; another verified certificate
	// gets 403 forbidden. Empty admits every verified certificate.
	Names []string `yaml:"names"`
}
