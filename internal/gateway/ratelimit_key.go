package gateway

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/portico-gw/portico/internal/gateway/authn"
	"github.com/portico-gw/portico/internal/gateway/router"
	"github.com/portico-gw/portico/internal/platform/identity"
)

// appendKey appends the key of policy p for the request to buf: the
// policy's name, then each part as its tag, the length of its value, ':'
// and the value, parts separated by '/' (the lengths make the encoding
// unambiguous whatever the values hold). It reports false when a part is
// absent and the policy skips such requests.
func (rl *rateLimiter) appendKey(buf []byte, p *ratePolicy, rte *route, client netip.Addr, r *http.Request, params *router.Params, ident *authn.Result) ([]byte, bool) {
	buf = append(buf, p.name...)
	for _, part := range p.parts {
		buf = append(buf, '/')
		var v string
		var ok bool
		switch part.kind {
		case partClient:
			buf = rl.appendClient(buf, client)
			continue
		case partRoute:
			v, ok = rte.name, true
		case partSubject:
			if ident != nil {
				v, ok = ident.Subject, ident.Subject != ""
			}
		case partAPIKey:
			if ident != nil && ident.Kind == identity.KindAPIKey {
				v = ident.Subject
				if ident.Claims != nil && ident.Claims.CredentialID != "" {
					v = ident.Claims.CredentialID
				}
				ok = v != ""
			}
		case partOrganization:
			v, ok = organization(rte.rate.tenant, params, ident)
		case partHeader:
			if vs := r.Header[part.name]; len(vs) > 0 && vs[0] != "" {
				v, ok = vs[0], true
			}
		case partClaim:
			if ident != nil {
				buf, ok = appendClaim(buf, ident.ClaimValues[part.name])
				if ok {
					continue
				}
			}
		}
		if !ok {
			if p.skip {
				return buf, false
			}
			buf = rl.appendClient(buf, client)
			continue
		}
		buf = appendPart(buf, part.kind, v)
	}
	return buf, true
}

// appendPart appends one key part: tag, length, ':', value.
func appendPart(buf []byte, tag byte, v string) []byte {
	buf = append(buf, tag)
	buf = strconv.AppendInt(buf, int64(len(v)), 10)
	buf = append(buf, ':')
	return append(buf, v...)
}

// appendClient appends the client address as a key part, an IPv6 one
// reduced to its first ipv6Bits bits.
func (rl *rateLimiter) appendClient(buf []byte, a netip.Addr) []byte {
	if a.Is6() && !a.Is4In6() && rl.ipv6Bits < 128 {
		if p, err := a.Prefix(rl.ipv6Bits); err == nil {
			a = p.Addr()
		}
	}
	var arr [64]byte
	s := arr[:0]
	if a.IsValid() {
		s = a.AppendTo(s)
	}
	buf = append(buf, partClient)
	buf = strconv.AppendInt(buf, int64(len(s)), 10)
	buf = append(buf, ':')
	return append(buf, s...)
}

// appendClaim appends a scalar claim value as a key part; other values
// (lists, objects, null, absent) count as absent.
func appendClaim(buf []byte, v any) ([]byte, bool) {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case json.Number:
		s = v.String()
	case float64:
		s = strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		s = strconv.FormatBool(v)
	default:
		return buf, false
	}
	if s == "" {
		return buf, false
	}
	return appendPart(buf, partClaim, s), true
}

// organization returns the organization a request acts in: the route's
// tenant path parameter (its membership already checked by require), else
// the one organization of a machine credential (org_id), else the
// caller's only organization.
func organization(tenant string, params *router.Params, ident *authn.Result) (string, bool) {
	if ident == nil {
		return "", false
	}
	if tenant != "" {
		if v := params.Get(tenant); v != "" {
			return v, true
		}
	}
	c := ident.Claims
	switch {
	case c == nil:
		return "", false
	case c.OrgID != "":
		return c.OrgID, true
	case len(c.Orgs) == 1:
		return c.Orgs[0].ID, true
	}
	return "", false
}
