package gateway

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/platform/identity"
)

// pools are the connection pools of an authenticator: toward auth, and
// toward the outside issuers' key sets. A replaced authenticator closes
// their idle connections.
type pools []*http.Transport

// CloseIdleConnections closes the idle connections of every pool.
func (p pools) CloseIdleConnections() {
	for _, t := range p {
		t.CloseIdleConnections()
	}
}

// newIssuerTransport is the pool toward outside issuers: on the internet
// rather than in the cluster, so it honours the environment's proxy
// settings, with waits bounded by the longest fetch timeout.
func newIssuerTransport(timeout time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            d.DialContext,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		ResponseHeaderTimeout:  timeout,
		TLSHandshakeTimeout:    timeout,
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
	}
}

// externalIssuers builds the verifiers of the auth block's outside
// issuers, their key sets fetched through one pool, which it returns
// (nil without issuers). Nothing is fetched before a token needs it.
func externalIssuers(c *config.Auth) ([]authn.ExternalIssuer, *http.Transport, error) {
	if len(c.Issuers) == 0 {
		return nil, nil, nil
	}
	var longest time.Duration
	for _, e := range c.Issuers {
		longest = max(longest, e.Keys.FetchTimeout.D())
	}
	tr := newIssuerTransport(longest)
	out := make([]authn.ExternalIssuer, 0, len(c.Issuers))
	for i, e := range c.Issuers {
		jo := identity.JWKSOptions{
			Client: &http.Client{
				Transport: tr,
				// A key set or discovery document is read where it is
				// configured or announced, never where a redirect points.
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			},
			FetchTimeout:    e.Keys.FetchTimeout.D(),
			MinTTL:          e.Keys.MinTTL.D(),
			MaxTTL:          e.Keys.MaxTTL.D(),
			RefetchInterval: e.Keys.RefetchInterval.D(),
			StaleIfError:    e.Keys.StaleIfError.D(),
			MaxKeys:         e.Keys.MaxKeys,
			Algorithms:      e.Algorithms,
			KeysWithoutAlg:  true,
		}
		var keys identity.KeySource
		if e.JWKSURL != "" {
			jo.URL = e.JWKSURL
			j, err := identity.NewJWKS(jo)
			if err != nil {
				return nil, nil, fmt.Errorf("auth.issuers[%d].jwks_url: %w", i, err)
			}
			keys = j
		} else {
			d, err := identity.NewDiscoveredJWKS(identity.DiscoveryOptions{Issuer: e.Issuer, JWKS: jo})
			if err != nil {
				return nil, nil, fmt.Errorf("auth.issuers[%d].issuer: %w", i, err)
			}
			keys = d
		}
		v, err := identity.NewExternalVerifier(identity.ExternalVerifierOptions{
			Keys: keys, Issuer: e.Issuer, Audiences: e.Audiences, Algorithms: e.Algorithms,
			ClockSkew: e.Leeway.D(), MaxLifetime: e.MaxTokenLifetime.D(),
		})
		if err != nil {
			return nil, nil, fmt.Errorf("auth.issuers[%d]: %w", i, err)
		}
		out = append(out, authn.ExternalIssuer{
			Name: e.Name, Verifier: v,
			SubjectClaim: e.Claims.Subject, ScopesClaim: e.Claims.Scopes,
			Organization: e.Organization, OrganizationClaim: e.Claims.Organization, Organizations: e.Organizations,
			AllowedScopes: e.AllowedScopes,
		})
	}
	return out, tr, nil
}
