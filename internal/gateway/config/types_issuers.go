package config

import "time"

// ExternalIssuer is an identity provider outside Portico whose bearer JWTs
// the gateway admits (auth.issuers[]). The gateway verifies such a token
// itself and exchanges what it maps to at the auth service, so services
// still see only internal tokens. Every caller it admits is a machine
// caller governed by scopes, in one of the organizations the issuer is
// bound to: Organization, or OrganizationClaim's value among
// Organizations.
type ExternalIssuer struct {
	// Name names the issuer in logs and errors: lower-case letters,
	// digits, '_' and '-'. Required, unique.
	Name string `yaml:"name"`
	// Issuer is the issuer's URL, exactly as its tokens' "iss". Without
	// JWKSURL, its keys are found through OpenID discovery at Issuer +
	// /.well-known/openid-configuration, whose "issuer" must equal it.
	// https, or http on a loopback host. Required, unique, not auth's own.
	Issuer string `yaml:"issuer"`
	// JWKSURL, when set, is where the issuer publishes its keys, and
	// discovery is not used. Default empty (discovery).
	JWKSURL string `yaml:"jwks_url"`
	// Audiences are the "aud" values accepted; a token must carry one.
	// Required.
	Audiences []string `yaml:"audiences"`
	// Algorithms are the signature algorithms accepted, asymmetric only
	// (ExternalAlgorithms). Default [RS256].
	Algorithms []string `yaml:"algorithms"`
	// Organization, when set, is the one organization ("org_...") every
	// caller of this issuer is admitted into.
	Organization string `yaml:"organization"`
	// Organizations, with Claims.Organization, are the organizations a
	// token may name; a token naming any other is refused.
	Organizations []string `yaml:"organizations"`
	// Claims say which claims hold the caller's subject, organization and
	// scopes.
	Claims ClaimMapping `yaml:"claims"`
	// AllowedScopes, when set, caps the scopes: only the token's scopes
	// listed here are kept. nil keeps every scope the token carries.
	AllowedScopes []string `yaml:"allowed_scopes"`
	// Leeway is the tolerance on exp, nbf and iat. Default 30s.
	Leeway Duration `yaml:"leeway"`
	// MaxTokenLifetime is the longest exp − iat accepted. Default 24h.
	MaxTokenLifetime Duration `yaml:"max_token_lifetime"`
	// Keys bound how the issuer's key set is fetched and cached.
	Keys IssuerKeys `yaml:"keys"`
}

// ClaimMapping names the claims an outside token is mapped by.
type ClaimMapping struct {
	// Subject is the string claim identifying the caller. Default "sub".
	Subject string `yaml:"subject"`
	// Organization is the string claim holding the caller's organization
	// ID; needs the issuer's organizations. Default empty.
	Organization string `yaml:"organization"`
	// Scopes is the claim holding the caller's scopes, a space-separated
	// string or an array of strings (such as "scope" or "scp"). Default
	// "scope".
	Scopes string `yaml:"scopes"`
}

// IssuerKeys bound the fetching and caching of an outside issuer's key
// set (and of its discovery document).
type IssuerKeys struct {
	// RefetchInterval is the least time between two fetches, however many
	// tokens name an unknown key. Default 10s.
	RefetchInterval Duration `yaml:"refetch_interval"`
	// MinTTL and MaxTTL bound how long a fetched set is used, whatever its
	// Cache-Control max-age says. Default 30s and 1h.
	MinTTL Duration `yaml:"min_ttl"`
	MaxTTL Duration `yaml:"max_ttl"`
	// StaleIfError is how long past its TTL a set is still used while the
	// issuer cannot be reached. Default 10m.
	StaleIfError Duration `yaml:"stale_if_error"`
	// FetchTimeout bounds one fetch. Default 5s.
	FetchTimeout Duration `yaml:"fetch_timeout"`
	// MaxKeys caps the keys in the set. Default 64.
	MaxKeys int `yaml:"max_keys"`
}

// Defaults of auth.issuers[].
const (
	DefaultIssuerAlgorithm       = "RS256"
	DefaultIssuerSubjectClaim    = "sub"
	DefaultIssuerScopesClaim     = "scope"
	DefaultIssuerLeeway          = Duration(30 * time.Second)
	DefaultIssuerMaxLifetime     = Duration(24 * time.Hour)
	DefaultIssuerRefetchInterval = Duration(10 * time.Second)
	DefaultIssuerMinKeyTTL       = Duration(30 * time.Second)
	DefaultIssuerMaxKeyTTL       = Duration(time.Hour)
	DefaultIssuerStaleIfError    = Duration(10 * time.Minute)
	DefaultIssuerFetchTimeout    = Duration(5 * time.Second)
	DefaultIssuerMaxKeys         = 64
)

// ExternalAlgorithms are the signature algorithms auth.issuers[].algorithms
// may name: RSA PKCS #1 v1.5 and PSS, ECDSA, and Ed25519. HMAC ("HS256"...)
// and "none" never: with them anyone who knows the key the gateway
// verifies with, or anyone at all, could sign.
func ExternalAlgorithms() []string {
	return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
}

// issuerDefaults fills the unset keys of each issuer.
func issuerDefaults(a *Auth) {
	for _, e := range a.Issuers {
		if e == nil {
			continue
		}
		if e.Algorithms == nil {
			e.Algorithms = []string{DefaultIssuerAlgorithm}
		}
		setString(&e.Claims.Subject, DefaultIssuerSubjectClaim)
		setString(&e.Claims.Scopes, DefaultIssuerScopesClaim)
		setDuration(&e.Leeway, DefaultIssuerLeeway)
		setDuration(&e.MaxTokenLifetime, DefaultIssuerMaxLifetime)
		k := &e.Keys
		setDuration(&k.RefetchInterval, DefaultIssuerRefetchInterval)
		setDuration(&k.MinTTL, DefaultIssuerMinKeyTTL)
		setDuration(&k.MaxTTL, DefaultIssuerMaxKeyTTL)
		setDuration(&k.StaleIfError, DefaultIssuerStaleIfError)
		setDuration(&k.FetchTimeout, DefaultIssuerFetchTimeout)
		setInt(&k.MaxKeys, DefaultIssuerMaxKeys)
	}
}
