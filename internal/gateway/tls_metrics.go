package gateway

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// tlsMetrics are the series of the public listener's TLS. Like the other
// gateway series they live as long as the process.
type tlsMetrics struct {
	reloads    *prometheus.CounterVec
	redirects  *prometheus.CounterVec
	handshakes prometheus.Counter
}

func newTLSMetrics(reg prometheus.Registerer, g *Gateway) *tlsMetrics {
	const ns, sub = "portico", "gateway"
	m := &tlsMetrics{
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "tls_reloads_total",
			Help: "Loads of changed TLS certificate, key and client CA files, by result (success; failure: the previous certificates keep serving).",
		}, []string{"result"}),
		redirects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "https_redirects_total",
			Help: "Requests to the cleartext listener of server.tls.redirect_http, by result (redirected; refused: a bad or unserved host, or a limit).",
		}, []string{"result"}),
		handshakes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "tls_handshake_errors_total",
			Help: "Failed TLS handshakes on the public listener: clients that do not trust the certificate, offer nothing acceptable, send cleartext HTTP, or whose client certificate does not verify.",
		}),
	}
	reg.MustRegister(m.reloads, m.redirects, m.handshakes, certExpiry{g: g, desc: prometheus.NewDesc(
		prometheus.BuildFQName(ns, sub, "tls_certificate_expiry_seconds"),
		"Seconds until the notAfter of each certificate the TLS listener serves (kind server) and of each client CA it verifies against (kind client_ca); negative once expired.",
		[]string{"kind", "file", "subject", "serial"}, nil)})
	return m
}

// reloaded counts one attempt to load changed TLS files.
func (m *tlsMetrics) reloaded(err error) {
	if err != nil {
		m.reloads.WithLabelValues("failure").Inc()
		return
	}
	m.reloads.WithLabelValues("success").Inc()
}

// certExpiry reports the time left on the serving certificates when
// scraped, so the value is exact at every scrape and a replaced
// certificate's series disappears with it.
type certExpiry struct {
	g    *Gateway
	desc *prometheus.Desc
}

func (c certExpiry) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c certExpiry) Collect(ch chan<- prometheus.Metric) {
	rt := c.g.rt.Load()
	if rt == nil || rt.tls == nil {
		return
	}
	snap := rt.tls.store.Snapshot()
	now := time.Now()
	type key struct{ kind, file, subject, serial string }
	seen := map[key]bool{}
	emit := func(k key, notAfter time.Time) {
		if seen[k] { // the same certificate twice in one bundle
			return
		}
		seen[k] = true
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, notAfter.Sub(now).Seconds(), k.kind, k.file, k.subject, k.serial)
	}
	for _, s := range snap.Certificates {
		emit(key{"server", s.Pair.CertFile, s.Leaf.Subject.String(), s.Leaf.SerialNumber.Text(16)}, s.Leaf.NotAfter)
	}
	for _, ca := range snap.ClientCAs {
		emit(key{"client_ca", ca.File, ca.Cert.Subject.String(), ca.Cert.SerialNumber.Text(16)}, ca.Cert.NotAfter)
	}
}

// TLSHandshakeFailed counts a failed TLS handshake of the public listener;
// it is what server.Options.OnTLSHandshakeError is given.
func (g *Gateway) TLSHandshakeFailed() { g.tlsm.handshakes.Inc() }
