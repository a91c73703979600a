package router

import (
	"errors"
	"net/url"
	"strconv"
)

// ErrBadPath is wrapped by every error Normalize returns. The gateway answers
// such requests with 400 and never forwards them.
var ErrBadPath = errors.New("invalid request path")

// PathError describes why a request path was rejected. Offset is the byte
// offset in the input where the problem was found.
type PathError struct {
	Reason string
	Offset int
}

func (e *PathError) Error() string {
	return "invalid request path: " + e.Reason + " at offset " + strconv.Itoa(e.Offset)
}

// Unwrap lets errors.Is(err, ErrBadPath) succeed.
func (e *PathError) Unwrap() error { return ErrBadPath }

// Byte classes used by Normalize, ParseTemplate and Rewrite.Expand.
const (
	clsUnreserved = 1 << iota // ALPHA DIGIT - . _ ~   (RFC 3986 §2.3)
	clsPchar                  // unreserved, sub-delims, ':' and '@' (RFC 3986 §3.3), allowed raw in a canonical segment
	clsSegSafe                // bytes Expand leaves unescaped in a {param} value
	clsHex                    // 0-9 A-F a-f
	clsCtl                    // 0x00-0x1F and 0x7F
)

var class = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9',
			b == '-', b == '.', b == '_', b == '~':
			t[c] |= clsUnreserved | clsPchar | clsSegSafe
		}
		switch b {
		case '!', '$', '&', '\'', '(', ')', '*', '+', '=', ':', '@':
			t[c] |= clsPchar | clsSegSafe
		case ';', ',':
			// Valid raw in a path, but some servers treat them as path
			// parameter delimiters, so Expand escapes them in values.
			t[c] |= clsPchar
		}
		if '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F' {
			t[c] |= clsHex
		}
		if b < 0x20 || b == 0x7f {
			t[c] |= clsCtl
		}
	}
	return t
}()

const upperHex = "0123456789ABCDEF"

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	default:
		return c - '0'
	}
}

// lazyBuf builds the output of Normalize without allocating while the output
// is still a prefix of the input (the idea of path.Clean's lazybuf).
// Invariant: when buf is nil the output is s[:w]; otherwise it is buf (len w).
type lazyBuf struct {
	s   string
	buf []byte
	w   int
}

func (b *lazyBuf) append(c byte) {
	if b.buf == nil {
		if b.w < len(b.s) && b.s[b.w] == c {
			b.w++
			return
		}
		b.buf = make([]byte, b.w, len(b.s)+32)
		copy(b.buf, b.s[:b.w])
	}
	b.buf = append(b.buf, c)
	b.w++
}

func (b *lazyBuf) at(i int) byte {
	if b.buf == nil {
		return b.s[i]
	}
	return b.buf[i]
}

func (b *lazyBuf) truncate(n int) {
	b.w = n
	if b.buf != nil {
		b.buf = b.buf[:n]
	}
}

func (b *lazyBuf) string() string {
	if b.buf == nil {
		return b.s[:b.w]
	}
	return string(b.buf)
}

// RawRequestPath returns the path of a request URL as the client sent it,
// for Normalize: u.RawPath when set, else u.EscapedPath() (which then equals
// the original). Prefer it to u.EscapedPath() alone: when the original
// path holds a byte net/url considers invalid in a path (such as '"', '<',
// '|' or a raw non-ASCII byte), EscapedPath re-escapes the decoded u.Path,
// silently turning an encoded slash into a real one ("/a%2Fb\"" gives
// "/a/b%22"), so Normalize could not reject it.
func RawRequestPath(u *url.URL) string {
	if u.RawPath != "" {
		return u.RawPath
	}
	return u.EscapedPath()
}

// Normalize returns the canonical form of an escaped request path (see
// RawRequestPath, or the path of a raw request target). The
// canonical path is the one routes are matched against and the one sent
// upstream, so the gateway and the upstream can never disagree about which
// resource a request names.
//
// Normalize rejects, with an error wrapping ErrBadPath:
//   - a path that does not start with '/';
//   - an encoded slash (%2F, %2f) or encoded backslash (%5C, %5c), since
//     upstreams disagree about whether they separate segments;
//   - a literal backslash;
//   - a control character (0x00-0x1F, 0x7F), raw or percent-encoded;
//   - invalid percent-encoding ('%' not followed by two hex digits);
//   - a ".." segment that would climb above the root (RFC 3986 would
//     silently drop it; a gateway should not guess).
//
// Canonicalisation, in one pass:
//   - percent-encoded unreserved characters (ALPHA DIGIT - . _ ~) are
//     decoded (RFC 3986 §2.3), so /%61 becomes /a and %2e becomes '.';
//   - the hex digits of the remaining escapes are upper-cased (%c3 -> %C3);
//     a '%' is decoded only once, so %252e stays %252e;
//   - a raw byte that may not appear in a path segment (space, '"', '<',
//     '>', '[', ']', '^', '`', '{', '|', '}', '?', '#', and every byte >=
//     0x80) is percent-encoded; sub-delimiters, ':' and '@' (including ';'
//     and ',') are kept as they are, raw or encoded;
//   - runs of slashes collapse to one;
//   - "." and ".." segments, including encoded forms such as %2e, .%2E and
//     %2e%2e, are resolved as in RFC 3986 §5.2.4 ("/a/b/.." is "/a/",
//     "/a/." is "/a/").
//
// A trailing slash is kept: "/a/" and "/a" are different paths.
//
// When the input is already canonical Normalize returns it unchanged without
// allocating; when the canonical form is a prefix of the input (for example
// "/a/." -> "/a/") it also does not allocate.
func Normalize(escapedPath string) (string, error) {
	s := escapedPath
	if len(s) == 0 || s[0] != '/' {
		return "", &PathError{Reason: "path does not start with '/'", Offset: 0}
	}
	b := lazyBuf{s: s}
	b.append('/')
	i := 1
	for i <= len(s) {
		// One segment: s[i:j], followed by a '/' or by the end.
		w0 := b.w
		j := i
		for ; j < len(s) && s[j] != '/'; j++ {
			c := s[j]
			cl := class[c]
			switch {
			case c == '%':
				if j+2 >= len(s) || class[s[j+1]]&clsHex == 0 || class[s[j+2]]&clsHex == 0 {
					return "", &PathError{Reason: "invalid percent-encoding", Offset: j}
				}
				v := unhex(s[j+1])<<4 | unhex(s[j+2])
				switch {
				case v == '/':
					return "", &PathError{Reason: "encoded slash", Offset: j}
				case v == '\\':
					return "", &PathError{Reason: "encoded backslash", Offset: j}
				case class[v]&clsCtl != 0:
					return "", &PathError{Reason: "encoded control character", Offset: j}
				case class[v]&clsUnreserved != 0:
					b.append(v)
				default:
					b.append('%')
					b.append(upperHex[v>>4])
					b.append(upperHex[v&15])
				}
				j += 2
			case cl&clsPchar != 0:
				b.append(c)
			case cl&clsCtl != 0:
				return "", &PathError{Reason: "control character", Offset: j}
			case c == '\\':
				return "", &PathError{Reason: "backslash", Offset: j}
			default:
				b.append('%')
				b.append(upperHex[c>>4])
				b.append(upperHex[c&15])
			}
		}
		last := j >= len(s)
		n := b.w - w0
		switch {
		case n == 0:
			// Empty segment: a repeated slash (dropped) or, when last, the
			// trailing slash that is already in the output.
		case n == 1 && b.at(w0) == '.':
			b.truncate(w0)
		case n == 2 && b.at(w0) == '.' && b.at(w0+1) == '.':
			// Output is "/" or ".../prev/" before w0.
			if w0 == 1 {
				return "", &PathError{Reason: "'..' above the root", Offset: i}
			}
			k := w0 - 2
			for b.at(k) != '/' {
				k--
			}
			b.truncate(k + 1)
		default:
			if !last {
				b.append('/')
			}
		}
		i = j + 1
	}
	return b.string(), nil
}
