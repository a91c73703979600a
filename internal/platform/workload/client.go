package workload

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"
)

// JWKSClient returns an HTTP client for fetching a workload issuer's key
// set. With caFile it trusts the certificates in that PEM file besides the
// system's (a cluster's CA, at
// /var/run/secrets/kubernetes.io/serviceaccount/ca.crt in a pod); with
// tokenFile it sends that file's token as a bearer token, as the
// Kubernetes API server asks of a /openid/v1/jwks request unless the
// cluster lets anonymous callers read it. It follows no redirects.
func JWKSClient(caFile, tokenFile string) (*http.Client, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.Proxy = nil
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("workload issuer CA: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("workload issuer CA %s: no PEM certificate", caFile)
		}
		base.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	var rt http.RoundTripper = base
	if tokenFile != "" {
		// The kubelet rotates this token too.
		rt = Transport(base, NewFileSource(tokenFile, time.Minute))
	}
	return &http.Client{
		Transport: rt,
		Timeout:   10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}
