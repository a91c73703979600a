package analytics

import "strings"

// maxHostLen is the longest host name an origin may carry (RFC 1035).
const maxHostLen = 253

// AllowsOrigin reports whether origin, the Origin header of a beacon batch
// (scheme://host[:port], optionally followed by '/', '?' or '#' and
// anything), names a host that the integration's allowed domains admit.
// The rules are the configs service's, which owns the domains (its
// Domains.AllowsOrigin), written again here because services share no
// code; the domains come from it in canonical form, and are taken in any
// case and with a leading "www." all the same:
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
	host, ok := originHost(origin)
	if !ok {
		return false
	}
	if host == "[::1]" || host == "127.0.0.1" || equalFold(host, "localhost") {
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

// domainMatches reports whether host, checked by originHost, is one the
// allowed domain d admits.
func domainMatches(d, host string) bool {
	wildcard := false
	if rest, ok := strings.CutPrefix(d, "*."); ok {
		d, wildcard = rest, true
	} else if len(d) > 4 && equalFold(d[:4], "www.") && strings.Contains(d[4:], ".") {
		d = d[4:]
	}
	n := len(d)
	if n == 0 {
		return false
	}
	if wildcard {
		return len(host) > n+1 && host[len(host)-n-1] == '.' && equalFold(host[len(host)-n:], d)
	}
	switch len(host) {
	case n:
		return equalFold(host, d)
	case n + 4:
		return equalFold(host[:4], "www.") && equalFold(host[4:], d)
	}
	return false
}

// originHost returns the host of origin, in the case it was sent, and
// whether origin has the form AllowsOrigin describes.
func originHost(origin string) (string, bool) {
	i := strings.IndexByte(origin, ':')
	if i <= 0 || !isScheme(origin[:i]) || !strings.HasPrefix(origin[i:], "://") {
		return "", false
	}
	auth := origin[i+3:]
	if j := strings.IndexAny(auth, "/?#"); j >= 0 {
		auth = auth[:j]
	}
	var host string
	if strings.HasPrefix(auth, "[::1]") {
		host, auth = auth[:5], auth[5:]
	} else {
		j := 0
		for j < len(auth) && (isAlnum(auth[j]) || auth[j] == '.' || auth[j] == '-') {
			j++
		}
		host, auth = auth[:j], auth[j:]
		if host == "" || len(host) > maxHostLen || host[0] == '.' || host[len(host)-1] == '.' ||
			strings.Contains(host, "..") {
			return "", false
		}
	}
	if auth != "" {
		port := auth[1:]
		if auth[0] != ':' || port == "" || len(port) > 5 {
			return "", false
		}
		for k := 0; k < len(port); k++ {
			if port[k] < '0' || port[k] > '9' {
				return "", false
			}
		}
	}
	return host, true
}

// isScheme reports whether s is an RFC 3986 scheme:
// ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func isScheme(s string) bool {
	if s == "" || !('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// equalFold reports whether a and b are equal ignoring ASCII case.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
