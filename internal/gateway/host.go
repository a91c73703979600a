package gateway

import (
	"net/http"
	"net/netip"
)

// validRequestHost reports whether r names one valid host: its Host (or,
// for HTTP/2, :authority; for an absolute-form request target, the
// target's authority, which net/http puts in r.Host in place of the Host
// field, as RFC 9112 §3.2.2 asks) passes validHost, and an absolute-form
// target carries no user information. Only HTTP/1.0 may omit the host.
//
// net/http already refuses several Host fields and bytes that can appear
// in no host (a space, "@", "/"), with a plain 400; what it lets through —
// "a,b", "host:", "host:99999", "[::1]x" — is refused here, so that the
// host that is routed, logged and forwarded (X-Forwarded-Host, Forwarded)
// is always one well-formed host.
func validRequestHost(r *http.Request) bool {
	if r.URL.User != nil {
		return false
	}
	if r.Host == "" {
		return r.ProtoMajor == 1 && r.ProtoMinor == 0
	}
	return validHost(r.Host)
}

// validHost reports whether h is host[:port]: an IPv6 address in brackets
// (without a zone), an IPv4 address in dotted decimal, or a name of labels
// of ASCII letters, digits, "-" and "_" (1 to 63 bytes each, 253 in all,
// with one optional trailing dot) whose last label is not all digits;
// then optionally ":" and a port from 1 to 65535 without leading zeros.
// It is the fast form of a rule that FuzzValidHost checks against a slow
// one, and it does not allocate.
func validHost(h string) bool {
	if h == "" {
		return false
	}
	if h[0] == '[' {
		end := -1
		for i := 1; i < len(h); i++ {
			if h[i] == ']' {
				end = i
				break
			}
		}
		if end < 0 {
			return false
		}
		a, err := netip.ParseAddr(h[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return false
		}
		rest := h[end+1:]
		return rest == "" || rest[0] == ':' && validPort(rest[1:])
	}
	name := h
	for i := 0; i < len(h); i++ {
		if h[i] == ':' {
			if !validPort(h[i+1:]) {
				return false
			}
			name = h[:i]
			break
		}
	}
	return validName(name)
}

// validPort reports whether p is a decimal port from 1 to 65535 without
// leading zeros.
func validPort(p string) bool {
	if len(p) == 0 || len(p) > 5 || p[0] == '0' {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n <= 65535
}

// validName reports whether s is an IPv4 address or a host name as
// validHost describes them.
func validName(s string) bool {
	if len(s) > 0 && s[len(s)-1] >= '0' && s[len(s)-1] <= '9' {
		// A name cannot end in an all-digit label; only an address can.
		a, err := netip.ParseAddr(s)
		if err == nil && a.Is4() {
			return true
		}
	}
	if len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	label, digits := 0, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if label == 0 {
				return false
			}
			label, digits = 0, true
			continue
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-', c == '_':
			digits = false
		default:
			return false
		}
		label++
		if label > 63 {
			return false
		}
	}
	return label > 0 && !digits
}
