package signing

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/portico-gw/portico/internal/platform/problem"
)

// Paths of the documents and endpoints the discovery document names,
// relative to the issuer.
const (
	JWKSPath          = "/.well-known/jwks.json"
	DiscoveryPath     = "/.well-known/openid-configuration"
	TokenPath         = "/oauth2/token"
	IntrospectionPath = "/oauth2/introspect"
	RevocationPath    = "/oauth2/revoke"
)

// discoveryCacheControl lets clients keep the discovery document for an
// hour; it changes only with a deployment.
const discoveryCacheControl = "public, max-age=3600"

// DiscoveryHandler serves the OpenID Connect discovery document (also an
// RFC 8414 authorization server metadata document) at
// /.well-known/openid-configuration: the issuer, jwks_uri and the OAuth 2.0
// endpoints below it, the grant types (client_credentials,
// refresh_token), client authentication methods, and algs, the signing
// algorithms of the tokens actually issued (none other).
//
// Of the members OpenID Connect Discovery 1.0 §3 requires, the document
// has issuer, jwks_uri, token_endpoint, response_types_supported,
// subject_types_supported and id_token_signing_alg_values_supported, but
// no authorization_endpoint: Portico has no authorization endpoint and no
// grant that uses one, so it is not an OpenID Provider, and inventing an
// endpoint would be worse than leaving it out. RFC 8414 §2 makes
// authorization_endpoint optional in exactly this case, and requires
// response_types_supported, which is therefore present and empty: no
// response type is supported. OIDC libraries that only discover the key
// set (go-oidc among them) read issuer, jwks_uri and the algorithms.
//
// Members of extra are added, replacing defaults of the same name. The
// issuer must be the Manager's Options.Issuer for verifiers to accept the
// tokens.
func DiscoveryHandler(issuer string, algs []string, extra map[string]any) (http.Handler, error) {
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("discovery handler: issuer %q must be an absolute http or https URL without query or fragment", issuer)
	}
	if len(algs) == 0 {
		return nil, errors.New("discovery handler: no signing algorithm")
	}
	for _, a := range algs {
		if !supported(a) {
			return nil, fmt.Errorf("discovery handler: algorithm %q is not supported", a)
		}
	}
	base := strings.TrimSuffix(issuer, "/")
	authMethods := []string{"client_secret_basic", "client_secret_post"}
	doc := map[string]any{
		"issuer":                                issuer,
		"jwks_uri":                              base + JWKSPath,
		"token_endpoint":                        base + TokenPath,
		"introspection_endpoint":                base + IntrospectionPath,
		"revocation_endpoint":                   base + RevocationPath,
		"grant_types_supported":                 []string{"client_credentials", "refresh_token"},
		"response_types_supported":              []string{},
		"token_endpoint_auth_methods_supported": authMethods,
		"introspection_endpoint_auth_methods_supported": authMethods,
		"revocation_endpoint_auth_methods_supported":    authMethods,
		"id_token_signing_alg_values_supported":         slices.Clone(algs),
		"subject_types_supported":                       []string{"public"},
		"claims_supported":                              []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope"},
	}
	for k, v := range extra {
		doc[k] = v
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("discovery handler: encode: %w", err)
	}
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			problem.Write(w, r, problem.MethodNotAllowed("Only GET and HEAD are allowed."))
			return
		}
		serveCached(w, r, body, etag, "application/json", discoveryCacheControl)
	}), nil
}

// DiscoveryHandler serves the discovery document of the Manager's issuer
// (see the package function DiscoveryHandler), advertising the algorithms
// its tokens are signed with: Options.Algorithm, which signs every key
// made from now on, and the algorithms of the keys it holds at this call,
// which still sign or verify until they expire.
func (m *Manager) DiscoveryHandler(extra map[string]any) (http.Handler, error) {
	algs := []string{m.o.Algorithm}
	for _, k := range m.Keys() {
		if !slices.Contains(algs, k.Algorithm) {
			algs = append(algs, k.Algorithm)
		}
	}
	return DiscoveryHandler(m.o.Issuer, algs, extra)
}
