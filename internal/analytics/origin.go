package analytics

import (
	"strings"

	"github.com/portico-gw/portico/internal/platform/weborigin"
)

// AllowsOrigin reports whether origin, the Origin header of a beacon batch
// (scheme://host[:port], optionally followed by '/', '?' or '#' and
// anything), names a host that the integration's allowed domains admit.
// The rules are the configs service's, which owns the domains (its
// Domains.AllowsOrigin), both in internal/platform/weborigin; the domains
// come from it in canonical form, and are taken in any case and with a
// leading "www." all the same:
//
//   - The loopback hosts localhost, 127.0.0.1 and [::1] are always
//     allowed.
//   - The host is compared case-insensitively. It must be ASCII letters,
//     digits, '.' and '-', at most 253 characters, without empty labels,
//     or "[::1]"; user information is refused.
//   - The scheme is any RFC 3986 scheme (web views send capacitor:// and
//     the like); the port is 1 to 5 digits; neither is checked further.
//   - A plain domain allows its name and its name behind "www.": a
//     leading "www." of a domain is ignored.
//   - "*.name" allows every host that ends in "." + name, at any depth,
//     and not name itself.
//
// It runs on every batch, so it allocates nothing; FuzzAllowsOrigin holds
// it to a slow version written with net/url.
func (in *Integration) AllowsOrigin(origin string) bool {
	host, ok := weborigin.Host(origin)
	if !ok {
		return false
	}
	if weborigin.IsLoopback(host) {
		return true
	}
	for _, d := range in.Domains {
		if domainMatches(d, host) {
			return true
		}
	}
	return false
}

// AllowsBundleID reports whether id is one of the integration's app
// bundle ids (case-sensitive, as Android's applicationId is).
func (in *Integration) AllowsBundleID(id string) bool {
	for _, b := range in.BundleIDs {
		if b == id {
			return true
		}
	}
	return false
}

// domainMatches reports whether host, checked by weborigin.Host, is one
// the allowed domain d admits. d comes from configs in canonical form
// (lower case, no leading "www."), which ToLower then leaves as it is
// without allocating; another form is read all the same.
func domainMatches(d, host string) bool {
	wildcard := false
	if rest, ok := strings.CutPrefix(d, "*."); ok {
		d, wildcard = rest, true
	} else if len(d) > 4 && weborigin.EqualLower(d[:4], "www.") && strings.Contains(d[4:], ".") {
		d = d[4:]
	}
	return weborigin.Matches(strings.ToLower(d), wildcard, host)
}
