package config

import (
	"net/textproto"
	"strings"
)

// validToken reports whether s is an HTTP token (RFC 9110, section 5.6.2),
// the syntax of methods and header names.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether s may be sent as a header field value:
// no control characters other than horizontal tab.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// canonicalHeader returns the canonical form of a header name ("te" gives
// "Te").
func canonicalHeader(s string) string { return textproto.CanonicalMIMEHeaderKey(s) }
