package tlsconfig

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/portico-gw/portico/internal/platform/tlsconfig/tlstest"
)

// BenchmarkHandshake measures a full TLS handshake (no resumption) with
// the Store's configuration, ECDSA P-256 certificates and Go's defaults,
// client and server in one process over a pipe: the CPU a new connection
// costs both sides together.
func BenchmarkHandshake(b *testing.B) {
	ca := tlstest.NewCA(b, "bench CA")
	certFile, keyFile := ca.Server(b, "a.example").Write(b, b.TempDir(), "a")
	for _, v := range []struct {
		name string
		max  uint16
	}{{"TLS1.2", tls.VersionTLS12}, {"TLS1.3", tls.VersionTLS13}} {
		b.Run(v.name, func(b *testing.B) {
			s, err := New(Options{Pairs: []Pair{{certFile, keyFile}}, NextProtos: []string{"h2", "http/1.1"}})
			if err != nil {
				b.Fatal(err)
			}
			srvCfg := s.Config()
			srvCfg.SessionTicketsDisabled = true
			cliCfg := &tls.Config{RootCAs: ca.Pool(), ServerName: "a.example", MaxVersion: v.max, NextProtos: []string{"h2"}}
			b.ReportAllocs()
			for b.Loop() {
				c1, c2 := net.Pipe()
				done := make(chan error, 1)
				go func() { done <- tls.Server(c2, srvCfg).Handshake() }()
				if err := tls.Client(c1, cliCfg).Handshake(); err != nil {
					b.Fatal(err)
				}
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				c1.Close()
				c2.Close()
			}
		})
	}
}
