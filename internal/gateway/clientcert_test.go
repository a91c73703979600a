package gateway

import (
	"net/http"
	"testing"

	"github.com/portico-gw/portico/internal/platform/tlsconfig/tlstest"
)

// BenchmarkClientCertHeaders measures what a request on a connection with
// a verified client certificate costs beyond one without: the subject and
// SHA-256 fingerprint headers set toward the upstream.
func BenchmarkClientCertHeaders(b *testing.B) {
	leaf := tlstest.NewCA(b, "bench CA").Client(b, "exporter", "exporter.machines.example").Cert
	h := make(http.Header, 8)
	b.ReportAllocs()
	for b.Loop() {
		setClientCertHeaders(h, leaf)
	}
}
