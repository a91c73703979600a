package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// listen checks a host:port listen address, reporting whether it is valid.
func (v *validator) listen(path, addr string) bool {
	if _, _, msg := splitHostPort(addr); msg != "" {
		v.errorf(path, "%s", msg)
		return false
	}
	return true
}

// splitHostPort splits a listen address, whose host may be empty (every
// interface), an IP address or a host name, and whose port is a number
// (0 picks a free one). It returns a message when addr is invalid.
func splitHostPort(addr string) (host, port, msg string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Sprintf("%q is not host:port (as in \":8080\" or \"127.0.0.1:9090\")", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || strconv.Itoa(n) != port {
		return "", "", fmt.Sprintf("%q: port must be a number from 0 to 65535", addr)
	}
	if host != "" && !validHostname(host) {
		if _, err := netip.ParseAddr(host); err != nil {
			return "", "", fmt.Sprintf("%q: host is neither an IP address nor a host name", addr)
		}
	}
	return host, port, ""
}

// validHostname reports whether s is a DNS name: dot-separated labels of
// ASCII letters, digits, '-' and '_', each 1..63 bytes, 253 bytes in all,
// with an optional trailing dot.
func validHostname(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c == '-' || c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				return false
			}
		}
	}
	return true
}

// checkHTTPURL checks an absolute http or https URL with a host and
// without user information, query or fragment, and with a path only when
// withPath. It returns a message saying what is wrong, or "".
func checkHTTPURL(raw string, withPath bool) string {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("%q is not a URL: %v", raw, unwrapURLError(err))
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("%q must be an absolute http:// or https:// URL", raw)
	case u.Opaque != "" || u.Host == "":
		return fmt.Sprintf("%q has no host; write scheme://host:port", raw)
	case u.User != nil:
		return fmt.Sprintf("%q must not carry user information", raw)
	case strings.ContainsAny(raw, "?"):
		return fmt.Sprintf("%q must not have a query", raw)
	case strings.ContainsAny(raw, "#"):
		return fmt.Sprintf("%q must not have a fragment", raw)
	case u.Hostname() == "":
		return fmt.Sprintf("%q has no host name", raw)
	case !withPath && u.Path != "" && u.Path != "/":
		return fmt.Sprintf("%q must not have a path", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("%q: port must be a number from 1 to 65535", raw)
		}
	}
	h := u.Hostname()
	if !validHostname(h) {
		if _, err := netip.ParseAddr(h); err != nil {
			return fmt.Sprintf("%q: host %q is neither an IP address nor a host name", raw, h)
		}
	}
	return ""
}

// unwrapURLError drops url.Error's repetition of the URL.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
