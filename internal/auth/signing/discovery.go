package signing

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/portico-gw/portico/internal/platform/identity"
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
// refresh_token), client authentication methods and signing algorithms.
// There is no authorization endpoint, so no response types are listed.
// Members of extra are added, replacing defaults of the same name. The
// issuer must be the Manager's Options.Issuer for verifiers to accept the
// tokens.
func DiscoveryHandler(issuer string, extra map[string]any) (http.Handler, error) {
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("discovery handler: issuer %q must be an absolute http or https URL without query or fragment", issuer)
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
		"token_endpoint_auth_methods_supported": authMethods,
		"introspection_endpoint_auth_methods_supported": authMethods,
		"revocation_endpoint_auth_methods_supported":    authMethods,
		"id_token_signing_alg_values_supported":         identity.SupportedAlgorithms(),
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
