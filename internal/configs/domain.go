package configs

import (
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/portico-gw/portico/internal/platform/weborigin"
)

// MaxDomainLen is the longest domain name accepted (RFC 1035 §2.3.4,
// without the trailing dot); MaxLabelLen the longest label.
const (
	MaxDomainLen = 253
	MaxLabelLen  = 63
)

// Domain is one allowed domain of an integration, as ParseDomain
// returned it: a name in lower case without a leading "www.", possibly a
// "*." wildcard. Its zero value allows nothing.
type Domain struct {
	// name is the domain in lower case, without "*." or a leading "www.".
	name string
	// wildcard is true for "*.name", which allows the subdomains of name
	// at any depth and not name itself.
	wildcard bool
}

// Domains is the list of allowed domains of an integration. Its zero value
// allows only the loopback hosts.
type Domains []Domain

// String returns the domain as ParseDomain would accept it back:
// "example.com" or "*.example.com".
func (d Domain) String() string {
	if d.wildcard {
		return "*." + d.name
	}
	return d.name
}

// Wildcard reports whether d is a "*." domain.
func (d Domain) Wildcard() bool { return d.wildcard }

// ParseDomain parses an allowed domain as a customer types it in the
// dashboard. The rules:
//
//   - Surrounding white space is trimmed and the name lower-cased.
//   - A scheme, user information, port, path, query or fragment is
//     refused with a reason that says what to remove.
//   - Only ASCII letters, digits, '.' and '-' are allowed: an
//     internationalised name must be given in its punycode form
//     (xn--...), which is what browsers send in the Origin header anyway.
//   - At most MaxDomainLen characters, labels of 1 to MaxLabelLen
//     characters that neither start nor end with '-', no trailing dot.
//   - "*." as the first label makes a wildcard: "*.example.com" allows
//     a.example.com and a.b.example.com but not example.com itself (list
//     both for both). A '*' anywhere else is refused.
//   - A leading "www." is dropped when a name with a dot remains:
//     "www.example.com" is stored as "example.com", and allows both
//     hosts. In a wildcard it is kept: "*.www.example.com" means what it
//     says.
//   - A public suffix ("com", "co.uk", "github.io", a single label) is
//     refused, bare or under a wildcard: it would allow every customer of
//     that suffix. So is an IPv4 address.
//   - "localhost" is accepted but never needed: AllowsOrigin always allows
//     the loopback hosts.
//
// The error is an *Error of code ErrInvalid whose Message is the reason.
func ParseDomain(s string) (Domain, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return Domain{}, invalid("domain is empty")
	}
	if scheme, _, ok := strings.Cut(s, "://"); ok {
		switch scheme {
		case "http", "https":
			return Domain{}, invalid("remove the scheme " + scheme + "://")
		}
		return Domain{}, invalid("remove the scheme before ://")
	}
	if strings.ContainsRune(s, '@') {
		return Domain{}, invalid("remove the user name and @")
	}
	if strings.ContainsAny(s, "/?#") {
		return Domain{}, invalid("remove the path; give the host name only")
	}
	if strings.ContainsRune(s, ':') {
		return Domain{}, invalid("remove the port; every port of an allowed domain is allowed")
	}
	if s == "localhost" {
		return Domain{name: s}, nil
	}
	d := Domain{name: s}
	if rest, ok := strings.CutPrefix(s, "*."); ok {
		d = Domain{name: rest, wildcard: true}
	}
	if len(d.name) > MaxDomainLen {
		return Domain{}, invalid("domain is longer than 253 characters")
	}
	if strings.HasSuffix(d.name, ".") {
		return Domain{}, invalid("remove the trailing dot")
	}
	for i := 0; i < len(d.name); i++ {
		switch c := d.name[i]; {
		case c >= 0x80:
			return Domain{}, invalid("give an internationalised domain in its punycode form (xn--...)")
		case c == '*':
			return Domain{}, invalid("a wildcard is allowed only as the first label, as in *.example.com")
		case !isAlnum(c) && c != '.' && c != '-':
			return Domain{}, invalid("domain may hold only letters, digits, '.' and '-'")
		}
	}
	last := ""
	for label := range strings.SplitSeq(d.name, ".") {
		switch {
		case label == "":
			return Domain{}, invalid("domain has an empty label")
		case len(label) > MaxLabelLen:
			return Domain{}, invalid("domain has a label longer than 63 characters")
		case label[0] == '-' || label[len(label)-1] == '-':
			return Domain{}, invalid("a label of a domain may not start or end with '-'")
		}
		last = label
	}
	if strings.Trim(last, "0123456789") == "" {
		return Domain{}, invalid("give a domain, not an IP address; loopback addresses are always allowed")
	}
	if !d.wildcard {
		if rest, ok := strings.CutPrefix(d.name, "www."); ok && strings.Contains(rest, ".") {
			d.name = rest
		}
	}
	if suffix, _ := publicsuffix.PublicSuffix(d.name); suffix == d.name {
		return Domain{}, invalid("domain is a public suffix; give a name under it, such as example.com")
	}
	return d, nil
}

// AllowsOrigin reports whether origin, the value of an Origin header
// (scheme://host[:port]) or a Referer URL, names a host ds allows. It
// runs on every SDK config request, so it parses by hand and allocates
// nothing; FuzzAllowsOrigin holds it to allowsOriginSlow.
//
// The origin must be scheme "://" host [":" port] followed by nothing or
// by '/', '?' or '#' and anything: the scheme is any RFC 3986 scheme
// (mobile web views send capacitor:// and the like) and is not checked
// further; the port is 1 to 5 digits and not checked further; the host is
// ASCII letters, digits, '.' and '-', at most MaxDomainLen characters,
// without empty labels (so no trailing dot), compared case-insensitively,
// or "[::1]". Anything else, user information and "null" included, is
// refused.
//
// The loopback hosts localhost, 127.0.0.1 and [::1] are always allowed.
// A plain domain allows its name and its name behind "www."; a wildcard
// allows every host that ends in "." and its name.
func (ds Domains) AllowsOrigin(origin string) bool {
	host, ok := weborigin.Host(origin)
	if !ok {
		return false
	}
	if weborigin.IsLoopback(host) {
		return true
	}
	for _, d := range ds {
		if weborigin.Matches(d.name, d.wildcard, host) {
			return true
		}
	}
	return false
}
