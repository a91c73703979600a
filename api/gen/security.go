package main

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/portico-gw/portico/internal/gateway/config"
)

// internalSchemes are the security schemes the services' documents name
// for the tokens only components hold: the internal token the gateway
// exchanges a caller's credential for, and the workload tokens of
// /internal/ endpoints. No client of the public API holds either.
var internalSchemes = []string{"internalToken", "workloadToken"}

// security returns the security requirements of the route's operations.
// A public route keeps what the service's operation asks of clients that
// authenticate to it themselves (an OAuth 2.0 client's secret), without
// the tokens only components hold. An authenticated route takes the
// session cookie, and, when its requirement admits machine callers, an
// OAuth 2.0 access token or an API key with the route's scopes.
func (b *builder) security(r *config.Route, src *source, sop *yaml.Node) (*yaml.Node, error) {
	out := sequence()
	if !b.authenticated(r) {
		if src == nil {
			return out, nil
		}
		sec := src.effectiveSecurity(sop)
		if sec == nil {
			return out, nil
		}
		for _, req := range sec.Content {
			if slices.ContainsFunc(keys(req), func(k string) bool { return slices.Contains(internalSchemes, k) }) {
				continue
			}
			c := mapping()
			for _, name := range keys(req) {
				scheme := get(get(get(src.root, "components"), "securitySchemes"), name)
				if scheme == nil {
					return nil, fmt.Errorf("%s: no security scheme %s", src.file, name)
				}
				pub := src.service + "." + name
				copied, err := b.copyNode(src, scheme)
				if err != nil {
					return nil, err
				}
				b.schemes[pub] = copied
				set(c, pub, clone(get(req, name)))
			}
			out.Content = append(out.Content, flow(c))
		}
		if len(sec.Content) > 0 && len(out.Content) == 0 {
			return nil, fmt.Errorf("the route is public, but %s admits only a component's token", src.file)
		}
		return flow(out), nil
	}
	b.schemes["session"] = sessionScheme(b.cfg.Auth)
	out.Content = append(out.Content, flow(mapping("session", flow(sequence()))))
	if scopes, ok := machineScopes(r.Require); ok {
		b.schemes["oauth2"] = nil // filled in with every scope, once all are known
		b.schemes["apiKey"] = apiKeyScheme(b.cfg.Auth)
		out.Content = append(out.Content,
			flow(mapping("oauth2", stringSeq(scopes))),
			flow(mapping("apiKey", stringSeq(scopes))))
		if b.cfg.Auth.APIKeyHeader != "" {
			b.schemes["apiKeyHeader"] = apiKeyHeaderScheme(b.cfg.Auth)
			out.Content = append(out.Content, flow(mapping("apiKeyHeader", stringSeq(scopes))))
		}
		if len(b.cfg.Auth.Issuers) > 0 {
			// An outside provider's token acts as a machine caller too.
			b.schemes["externalToken"] = externalTokenScheme(b.cfg.Auth)
			out.Content = append(out.Content, flow(mapping("externalToken", stringSeq(scopes))))
		}
	}
	return out, nil
}

// machineScopes returns the scopes a machine caller (an OAuth 2.0 client
// or an API key, which act with the role "scoped" in their one
// organization) needs on a route, and whether the route admits one at
// all: only with scopes named, as a route's scopes are what it grants
// machine callers, and not when it wants staff or roles without
// "scoped".
func machineScopes(req *config.Requirement) ([]string, bool) {
	if req == nil || len(req.Scopes) == 0 || req.Staff {
		return nil, false
	}
	if len(req.Roles) > 0 && !slices.Contains(req.Roles, "scoped") {
		return nil, false
	}
	return req.Scopes, true
}
