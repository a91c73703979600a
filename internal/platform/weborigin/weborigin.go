// Package weborigin matches the Origin (or Referer) of a browser's request
// against a list of allowed domains, by the product's rules. The configs
// service keeps each integration's domains and checks the SDK config
// requests against them; the analytics service checks beacon batches
// against the same domains with the same rules, which is why they are
// here rather than in either.
//
// Every function allocates nothing: they run on every SDK config request
// and every beacon batch.
package weborigin

import "strings"

// MaxHostLen is the longest host name an origin may carry (RFC 1035).
const MaxHostLen = 253

// Host returns the host of origin, in the case it was sent, and whether
// origin has the form the rules allow: scheme "://" host [":" port]
// followed by nothing or by '/', '?' or '#' and anything. The scheme is
// any RFC 3986 scheme (mobile web views send capacitor:// and the like)
// and is not checked further; the port is 1 to 5 digits and not checked
// further; the host is ASCII letters, digits, '.' and '-', at most
// MaxHostLen characters, without empty labels (so no trailing dot), or
// "[::1]". Anything else, user information and "null" included, is
// refused.
func Host(origin string) (string, bool) {
	i := strings.IndexByte(origin, ':')
	if i <= 0 || !IsScheme(origin[:i]) || !strings.HasPrefix(origin[i:], "://") {
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
		if host == "" || len(host) > MaxHostLen || host[0] == '.' || host[len(host)-1] == '.' ||
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

// IsLoopback reports whether host, as Host returns it, is one of the
// loopback hosts every list allows: localhost, 127.0.0.1 and [::1].
func IsLoopback(host string) bool {
	return host == "[::1]" || host == "127.0.0.1" || EqualLower(host, "localhost")
}

// Matches reports whether host, as Host returns it, is one an allowed
// domain admits. name is the domain in lower case, without a leading
// "www." or "*."; a plain domain (wildcard false) admits name and
// "www." + name, a wildcard every host that ends in "." + name, at any
// depth, and not name itself. Hosts compare case-insensitively.
func Matches(name string, wildcard bool, host string) bool {
	n := len(name)
	if n == 0 {
		return false
	}
	if wildcard {
		return len(host) > n+1 && host[len(host)-n-1] == '.' && EqualLower(host[len(host)-n:], name)
	}
	switch len(host) {
	case n:
		return EqualLower(host, name)
	case n + 4:
		return EqualLower(host[:4], "www.") && EqualLower(host[4:], name)
	}
	return false
}

// IsScheme reports whether s is an RFC 3986 scheme:
// ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func IsScheme(s string) bool {
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

// EqualLower reports whether s equals lower, which is in lower case,
// ignoring the ASCII case of s.
func EqualLower(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
