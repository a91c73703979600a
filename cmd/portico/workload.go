package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/platform/identity"
	"github.com/portico-gw/portico/internal/platform/workload"
)

// kubernetesJWKSPath is where a Kubernetes API server serves its
// ServiceAccount issuer's key set.
const kubernetesJWKSPath = "/openid/v1/jwks"

// workloadFlags say which workload issuer a component trusts for calls to
// its /internal/ endpoints. Every component that has such endpoints takes
// them; see docs/operations.md for the pod spec that goes with them.
type workloadFlags struct {
	issuer, jwksURL, caFile, tokenFile, subjectPrefix string
}

// define adds the flags to fs.
func (f *workloadFlags) define(fs *flag.FlagSet, getenv env) {
	stringFlag(fs, getenv, &f.issuer, "workload-issuer", "PORTICO_WORKLOAD_ISSUER", "",
		"the trusted workload issuer `URL` (the iss of callers' tokens), such as the cluster's https://kubernetes.default.svc.cluster.local; unset, every internal call is refused")
	stringFlag(fs, getenv, &f.jwksURL, "workload-jwks-url", "PORTICO_WORKLOAD_JWKS_URL", "",
		"`URL` of the workload issuer's key set; default the issuer plus "+kubernetesJWKSPath+" (the Kubernetes API server's)")
	stringFlag(fs, getenv, &f.caFile, "workload-ca-file", "PORTICO_WORKLOAD_CA_FILE", "",
		"PEM `file` of the CA that signs the key set's server certificate, such as /var/run/secrets/kubernetes.io/serviceaccount/ca.crt")
	stringFlag(fs, getenv, &f.tokenFile, "workload-jwks-token-file", "PORTICO_WORKLOAD_JWKS_TOKEN_FILE", "",
		"`file` of a bearer token to fetch the key set with, such as /var/run/secrets/kubernetes.io/serviceaccount/token")
	stringFlag(fs, getenv, &f.subjectPrefix, "workload-subject-prefix", "PORTICO_WORKLOAD_SUBJECT_PREFIX", "",
		"`prefix` removed from a token's sub to name the calling component, such as system:serviceaccount:portico:")
}

// guard returns the guard of component name's internal endpoints, and
// logs at start whether it trusts an issuer: a component without one
// refuses every internal call, and says so.
func (f *workloadFlags) guard(name string, logger *slog.Logger) (*workload.Guard, error) {
	o := workload.GuardOptions{Name: name, SubjectPrefix: f.subjectPrefix, Logger: logger}
	if f.issuer == "" {
		logger.Warn("no trusted workload issuer (--workload-issuer): every call to an internal endpoint is refused")
		return workload.NewGuard(o)
	}
	jwksURL := f.jwksURL
	if jwksURL == "" {
		jwksURL = strings.TrimSuffix(f.issuer, "/") + kubernetesJWKSPath
	}
	client, err := workload.JWKSClient(f.caFile, f.tokenFile)
	if err != nil {
		return nil, err
	}
	keys, err := identity.NewJWKS(identity.JWKSOptions{URL: jwksURL, Client: client})
	if err != nil {
		return nil, fmt.Errorf("--workload-jwks-url: %w", err)
	}
	o.Issuer, o.Keys = f.issuer, keys
	logger.Info("internal endpoints admit workload tokens", slog.String("issuer", f.issuer),
		slog.String("jwks_url", jwksURL), slog.String("audience", workload.Audience(name)),
		slog.String("subject_prefix", f.subjectPrefix))
	return workload.NewGuard(o)
}

// workloadClient returns an HTTP client for calls from one component to
// another's /internal/ endpoints: each request carries a workload token
// from src and takes at most 30 seconds.
func workloadClient(src workload.TokenSource) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	return &http.Client{
		Transport: workload.Transport(t, src), Timeout: 30 * time.Second,
		// An internal endpoint never redirects; a redirect is answered as
		// it came, and the token goes nowhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
