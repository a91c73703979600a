package authn

import (
	"fmt"
	"net/http"
	"strings"
)

// DefaultCookieName is the session cookie's name unless
// ExtractOptions.CookieName says otherwise; auth sets it.
const DefaultCookieName = "__Host-portico_session"

// ExtractOptions say where Extract looks. The zero value reads the
// default session cookie and the Authorization header.
type ExtractOptions struct {
	// CookieName is the session cookie's name; "" means
	// DefaultCookieName.
	CookieName string
	// APIKeyHeader, when set (say "X-API-Key"), is a header that may carry
	// an API key besides Authorization. "" means no such header.
	APIKeyHeader string
}

// Extract returns the outside credential of r: the session cookie, an
// Authorization: Bearer value (an API key when it starts with
// APIKeyPrefix, an access token otherwise) or the API key header. ok is
// false, with a nil error, when r carries none; an empty session cookie
// counts as none (it is what a browser may keep after logout).
//
// The same credential sent twice (the same API key in Authorization and
// in the API key header, say) is one credential; two different ones are
// ErrAmbiguous. ErrMalformed is an Authorization scheme other than
// Bearer, or a value that is empty, too long or not token68 (RFC 7235).
func Extract(r *http.Request, o ExtractOptions) (c Credential, ok bool, err error) {
	var x extraction
	for _, v := range r.Header.Values("Authorization") {
		x.add(parseAuthorization(v))
	}
	if o.APIKeyHeader != "" {
		for _, v := range r.Header.Values(o.APIKeyHeader) {
			x.add(parseAPIKeyHeader(v))
		}
	}
	name := o.CookieName
	if name == "" {
		name = DefaultCookieName
	}
	for _, line := range r.Header.Values("Cookie") {
		for rest := line; rest != ""; {
			var pair string
			pair, rest, _ = strings.Cut(rest, ";")
			k, v, found := strings.Cut(trimOWS(pair), "=")
			if !found || k != name {
				continue
			}
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if v == "" {
				continue
			}
			x.add(checked(Credential{Kind: KindSession, Value: v}, "session cookie"))
		}
	}
	if x.err != nil {
		return Credential{}, false, x.err
	}
	return x.c, x.c.Kind != "", nil
}

// extraction collects the credentials of one request.
type extraction struct {
	c   Credential
	err error
}

// add records one credential found, or the first error.
func (x *extraction) add(c Credential, err error) {
	switch {
	case x.err != nil:
	case err != nil:
		x.err = err
	case x.c.Kind == "":
		x.c = c
	case x.c.Kind != c.Kind || x.c.Value != c.Value:
		x.err = fmt.Errorf("%s and %s: %w", x.c.Kind, c.Kind, ErrAmbiguous)
	}
}

// parseAuthorization reads a "Bearer <token68>" header value.
func parseAuthorization(v string) (Credential, error) {
	scheme, token, _ := strings.Cut(trimOWS(v), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return Credential{}, fmt.Errorf("authorization scheme is not bearer: %w", ErrMalformed)
	}
	token = strings.TrimLeft(token, " ")
	kind := KindBearer
	if strings.HasPrefix(token, APIKeyPrefix) {
		kind = KindAPIKey
	}
	return checked(Credential{Kind: kind, Value: token}, "bearer token")
}

// parseAPIKeyHeader reads the value of the API key header.
func parseAPIKeyHeader(v string) (Credential, error) {
	v = trimOWS(v)
	if !strings.HasPrefix(v, APIKeyPrefix) {
		return Credential{}, fmt.Errorf("api key header without the api key prefix: %w", ErrMalformed)
	}
	return checked(Credential{Kind: KindAPIKey, Value: v}, "api key header")
}

// checked returns c, or ErrMalformed when its value is empty, too long or
// not token68.
func checked(c Credential, where string) (Credential, error) {
	if len(c.Value) > MaxCredentialLen || !isToken68(c.Value) {
		return Credential{}, fmt.Errorf("%s: %w", where, ErrMalformed)
	}
	return c, nil
}

// isToken68 reports whether s is RFC 7235's token68:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isToken68(s string) bool {
	end := len(strings.TrimRight(s, "="))
	if end == 0 {
		return false
	}
	for i := range end {
		b := s[i]
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case b == '-', b == '.', b == '_', b == '~', b == '+', b == '/':
		default:
			return false
		}
	}
	return true
}

// trimOWS removes optional whitespace (spaces and tabs) around s.
func trimOWS(s string) string { return strings.Trim(s, " \t") }
