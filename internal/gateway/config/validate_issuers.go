package config

import (
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Limits of auth.issuers[].
const (
	// MaxIssuerLeeway bounds leeway: each second of it lengthens the life
	// of every token of the issuer.
	MaxIssuerLeeway = Duration(5 * time.Minute)
	// MaxIssuerTokenLifetime bounds max_token_lifetime.
	MaxIssuerTokenLifetime = Duration(7 * 24 * time.Hour)
	// MaxIssuerKeys bounds keys.max_keys.
	MaxIssuerKeys = 1000
	// internalAudience is the audience of Portico's internal tokens, which
	// no outside token may be accepted for.
	internalAudience = "portico-internal"
	// orgIDPrefix starts every organization ID.
	orgIDPrefix = "org_"
)

// issuers checks auth.issuers; a is the auth block.
func (v *validator) issuers(a *Auth) {
	names := map[string]int{}
	urls := map[string]int{}
	for i, e := range a.Issuers {
		path := joinIndex("auth.issuers", i)
		if e == nil {
			v.errorf(path, "empty entry; give the issuer's name, issuer URL, audiences and organization")
			continue
		}
		switch {
		case e.Name == "":
			v.errorf(path+".name", "missing; name the issuer for logs, as in okta or entra-prod")
		case !validRole(e.Name) || len(e.Name) > 64:
			v.errorf(path+".name", "%q is not a name; use up to 64 lower-case letters, digits, '_' and '-', starting with a letter", e.Name)
		default:
			if j, dup := names[e.Name]; dup {
				v.errorf(path+".name", "%q is used twice (also auth.issuers[%d])", e.Name, j)
			} else {
				names[e.Name] = i
			}
		}
		switch {
		case e.Issuer == "":
			v.errorf(path+".issuer", "missing; give the issuer URL exactly as its tokens' iss, such as https://example.okta.com/oauth2/default")
		case !v.issuerURL(path+".issuer", e.Issuer):
		case e.Issuer == a.Issuer:
			v.errorf(path+".issuer", "%q is the auth service's own issuer (auth.issuer); its tokens are exchanged already", e.Issuer)
		default:
			if j, dup := urls[e.Issuer]; dup {
				v.errorf(path+".issuer", "%q is listed twice (also auth.issuers[%d]); give each issuer once", e.Issuer, j)
			} else {
				urls[e.Issuer] = i
			}
		}
		if e.JWKSURL != "" {
			v.issuerURL(path+".jwks_url", e.JWKSURL)
		}
		v.audiences(path+".audiences", e.Audiences)
		v.algorithms(path+".algorithms", e.Algorithms)
		v.issuerOrgs(path, e)
		if e.Claims.Subject == "" {
			v.errorf(path+".claims.subject", "must not be empty; leave it out for %q", DefaultIssuerSubjectClaim)
		}
		if e.Claims.Scopes == "" {
			v.errorf(path+".claims.scopes", "must not be empty; leave it out for %q", DefaultIssuerScopesClaim)
		}
		if e.AllowedScopes != nil {
			if len(e.AllowedScopes) == 0 {
				v.errorf(path+".allowed_scopes", "empty list, which would leave every caller of the issuer without scopes; list the scopes allowed, or leave allowed_scopes out")
			} else {
				v.nameList(path+".allowed_scopes", e.AllowedScopes, validScope, "is not a scope; use letters, digits, ':', '.', '_' and '-'")
			}
		}
		if v.positive(path+".leeway", e.Leeway) && e.Leeway > MaxIssuerLeeway {
			v.errorf(path+".leeway", "%s exceeds %s; each second of leeway lengthens every token's life", e.Leeway, MaxIssuerLeeway)
		}
		if v.positive(path+".max_token_lifetime", e.MaxTokenLifetime) && e.MaxTokenLifetime > MaxIssuerTokenLifetime {
			v.errorf(path+".max_token_lifetime", "%s exceeds %s", e.MaxTokenLifetime, MaxIssuerTokenLifetime)
		}
		k := &e.Keys
		kp := path + ".keys"
		v.positive(kp+".refetch_interval", k.RefetchInterval)
		v.positive(kp+".stale_if_error", k.StaleIfError)
		v.positive(kp+".fetch_timeout", k.FetchTimeout)
		minOK, maxOK := v.positive(kp+".min_ttl", k.MinTTL), v.positive(kp+".max_ttl", k.MaxTTL)
		if minOK && maxOK && k.MinTTL > k.MaxTTL {
			v.errorf(kp+".min_ttl", "%s exceeds keys.max_ttl (%s)", v.value(kp+".min_ttl", k.MinTTL), k.MaxTTL)
		}
		if k.MaxKeys < 1 || k.MaxKeys > MaxIssuerKeys {
			v.errorf(kp+".max_keys", "must be from 1 to %d", MaxIssuerKeys)
		}
	}
}

// issuerURL checks an outside issuer's URL, or the URL of its keys: an
// absolute URL without query, fragment or user information, over https,
// or http on a loopback host (a provider on the same machine, in
// development). Keys fetched over plain HTTP across a network could be
// replaced on the way, and with them every token.
func (v *validator) issuerURL(path, raw string) bool {
	if msg := checkHTTPURL(raw, true); msg != "" {
		v.errorf(path, "%s", msg)
		return false
	}
	u, _ := url.Parse(raw)
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		v.errorf(path, "%q must be an https URL; plain http is allowed only for a loopback host (localhost, 127.0.0.1, ::1)", raw)
		return false
	}
	return true
}

// loopbackHost reports whether h names the local machine.
func loopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsLoopback()
}

// audiences checks an issuer's accepted audiences.
func (v *validator) audiences(path string, auds []string) {
	if len(auds) == 0 {
		v.errorf(path, "missing; list the audiences the issuer mints tokens for this API with, such as api://portico")
		return
	}
	v.nameList(path, auds, func(a string) bool { return validAudience(a) && a != internalAudience },
		"is not an audience for outside tokens; use printable ASCII without spaces, and never portico-internal")
}

// algorithms checks an issuer's accepted algorithms.
func (v *validator) algorithms(path string, algs []string) {
	if len(algs) == 0 {
		v.errorf(path, "empty list; list the algorithms the issuer signs with, or leave algorithms out for %s", DefaultIssuerAlgorithm)
		return
	}
	allowed := ExternalAlgorithms()
	seen := map[string]int{}
	for i, a := range algs {
		p := joinIndex(path, i)
		switch {
		case strings.HasPrefix(strings.ToUpper(a), "HS"):
			v.errorf(p, "%q is symmetric (HMAC): anyone holding the key the gateway verifies with could sign; use one of %s", a, strings.Join(allowed, ", "))
		case strings.EqualFold(a, "none"):
			v.errorf(p, `"none" means unsigned tokens, which anyone can make; use one of %s`, strings.Join(allowed, ", "))
		case !slices.Contains(allowed, a):
			v.errorf(p, "%q is not supported; use one of %s%s", a, strings.Join(allowed, ", "), didYouMean(a, allowed))
		default:
			if j, dup := seen[a]; dup {
				v.errorf(p, "%q is listed twice (also %s)", a, joinIndex(path, j))
			} else {
				seen[a] = i
			}
		}
	}
}

// issuerOrgs checks the organizations an issuer is bound to: exactly one
// of organization and organizations, the latter with claims.organization.
func (v *validator) issuerOrgs(path string, e *ExternalIssuer) {
	switch {
	case e.Organization == "" && e.Organizations == nil:
		v.errorf(path, "binds the issuer to no organization; set organization: org_... (every caller in that one), "+
			"or organizations: [org_...] with claims.organization naming the claim that holds one of them")
		return
	case e.Organization != "" && e.Organizations != nil:
		v.errorf(path+".organizations", "cannot be combined with organization; keep organization for one fixed organization, or organizations with claims.organization")
		return
	}
	if e.Organization != "" {
		if !validOrgID(e.Organization) {
			v.errorf(path+".organization", "%q is not an organization ID (org_ followed by letters, digits, '_' or '-')", e.Organization)
		}
		if e.Claims.Organization != "" {
			v.errorf(path+".claims.organization", "has no use with a fixed organization; leave it out, or list the allowed organizations instead of organization")
		}
		return
	}
	if len(e.Organizations) == 0 {
		v.errorf(path+".organizations", "empty list; list the organizations the issuer's tokens may name")
	} else {
		v.nameList(path+".organizations", e.Organizations, validOrgID, "is not an organization ID (org_ followed by letters, digits, '_' or '-')")
	}
	if e.Claims.Organization == "" {
		v.errorf(path+".claims.organization", "missing; organizations need the name of the claim that holds the caller's organization ID")
	}
}

// validOrgID reports whether s can be an organization ID: org_ and 1 to
// 60 letters, digits, '_' or '-'.
func validOrgID(s string) bool {
	body, ok := strings.CutPrefix(s, orgIDPrefix)
	if !ok || body == "" || len(body) > 60 {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
