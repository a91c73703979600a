package gateway

import (
	"crypto/x509"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/platform/problem"
	"github.com/portico-gw/portico/internal/platform/tlsconfig"
)

// The identity headers of a verified TLS client certificate. Like every
// X-Portico-* header, a client's own copies are removed before these are
// set, so an upstream that sees them knows the gateway verified the
// certificate.
const (
	// headerCertSubject is the certificate's subject as an RFC 4514
	// distinguished name, as in "CN=exporter,O=Example".
	headerCertSubject = "X-Portico-Client-Cert-Subject"
	// headerCertFingerprint is the SHA-256 of the certificate's DER
	// encoding in lower case hexadecimal.
	headerCertFingerprint = "X-Portico-Client-Cert-Fingerprint"
)

// verifiedClientCert returns the client certificate of r's connection
// when the listener verified it against its client CAs, else nil. An
// HTTP/2 request whose :scheme is not https carries no TLS state in
// net/http and so has none.
func verifiedClientCert(r *http.Request) *x509.Certificate {
	cs := r.TLS
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.PeerCertificates) == 0 {
		return nil
	}
	return cs.PeerCertificates[0]
}

// setClientCertHeaders sets the identity headers of c on h and returns
// their values, for the access log.
func setClientCertHeaders(h http.Header, c *x509.Certificate) (subject, fingerprint string) {
	subject, fingerprint = headerSafe(c.Subject.String()), tlsconfig.Fingerprint(c)
	h[headerCertSubject] = []string{subject}
	h[headerCertFingerprint] = []string{fingerprint}
	return subject, fingerprint
}

// headerSafe escapes the control characters a distinguished name may hold
// (RFC 4514 writes any character as a backslash and two hex digits), so
// that the value is a valid header field.
func headerSafe(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			b.WriteByte('\\')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// certPolicy is a compiled routes[].client_cert.
type certPolicy struct {
	dns  map[string]bool // lower case
	uris map[string]bool
}

func compileCertPolicy(c *config.ClientCert) *certPolicy {
	if c == nil {
		return nil
	}
	p := &certPolicy{}
	for _, n := range c.Names {
		if strings.Contains(n, "://") {
			if p.uris == nil {
				p.uris = map[string]bool{}
			}
			p.uris[n] = true
			continue
		}
		if p.dns == nil {
			p.dns = map[string]bool{}
		}
		p.dns[strings.ToLower(n)] = true
	}
	return p
}

// check returns the problem of a request whose verified client
// certificate is c (nil: none), or nil when the route admits it.
func (p *certPolicy) check(c *x509.Certificate) (*problem.Problem, string) {
	if c == nil {
		return problem.New(http.StatusForbidden, "client-certificate-required", "Client certificate required",
			"The route admits only callers with a verified TLS client certificate."), "client_cert_required"
	}
	if p.dns == nil && p.uris == nil {
		return nil, ""
	}
	for _, d := range c.DNSNames {
		if p.dns[strings.ToLower(d)] {
			return nil, ""
		}
	}
	for _, u := range c.URIs {
		if p.uris[u.String()] {
			return nil, ""
		}
	}
	return problem.New(http.StatusForbidden, "forbidden", "Forbidden",
		"The client certificate may not use this route."), "client_cert_refused"
}

// hstsValue is the Strict-Transport-Security value of a routes[].hsts,
// or "" for none.
func hstsValue(h *config.HSTS) string {
	if h == nil {
		return ""
	}
	age := config.DefaultHSTSMaxAge
	if h.MaxAge != nil {
		age = *h.MaxAge
	}
	v := "max-age=" + strconv.FormatInt(int64(age.D()/time.Second), 10)
	if h.IncludeSubdomains {
		v += "; includeSubDomains"
	}
	if h.Preload {
		v += "; preload"
	}
	return v
}

// overTLS reports whether the client's request came over TLS: to this
// listener, or, by the word of a trusted proxy, to that proxy.
func overTLS(r *http.Request, trusted bool) bool {
	return r.TLS != nil || trusted && r.Header.Get("X-Forwarded-Proto") == "https"
}

// describeTLS says, for portico explain, what the route asks of the
// connection: a client certificate, and Strict-Transport-Security.
func describeTLS(cfg *config.Config, rc *config.Route) string {
	var parts []string
	if c := rc.ClientCert; c != nil {
		s := "a verified client certificate is required (else 403)"
		if len(c.Names) > 0 {
			s += ", naming " + strings.Join(c.Names, " or ")
		}
		parts = append(parts, s)
	}
	if cfg.Server.TLS != nil && cfg.Server.TLS.ClientAuth != config.ClientAuthNone {
		parts = append(parts, "a verified client certificate's subject and fingerprint go upstream in "+
			headerCertSubject+" and "+headerCertFingerprint)
	}
	if v := hstsValue(rc.HSTS); v != "" {
		parts = append(parts, "Strict-Transport-Security: "+v+" over TLS only")
	}
	return strings.Join(parts, "; ")
}
