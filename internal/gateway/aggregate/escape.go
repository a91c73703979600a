package aggregate

import "github.com/portico-gw/portico/internal/platform/jsonstring"

// escMode says how inserted text is escaped.
type escMode uint8

const (
	escRaw   escMode = iota // as is (header values; checked afterwards)
	escPath                 // one path segment: everything but unreserved characters percent-encoded
	escQuery                // one query component: as escPath, with ' ' as '+'
	escJSON                 // inside a JSON string, without the quotes
)

const upperHex = "0123456789ABCDEF"

// appendString appends s escaped for mode.
func appendString(dst []byte, s string, mode escMode) []byte {
	switch mode {
	case escRaw:
		return append(dst, s...)
	case escJSON:
		return jsonstring.AppendBody(dst, s)
	}
	return appendPct(dst, s, mode == escQuery)
}

// appendBytes appends b, which is ASCII text without quotes or
// backslashes (a formatted number), escaped for mode.
func appendBytes(dst, b []byte, mode escMode) []byte {
	if mode == escRaw || mode == escJSON {
		return append(dst, b...)
	}
	return appendPct(dst, b, mode == escQuery)
}

// appendPct percent-encodes every byte that is not an RFC 3986 unreserved
// character, so the result is one path segment or one query component
// whatever s holds ('/', '?', '&', '=', '#', '%' included).
func appendPct[S ~string | ~[]byte](dst []byte, s S, query bool) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			continue
		}
		dst = append(dst, s[start:i]...)
		if c == ' ' && query {
			dst = append(dst, '+')
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
		start = i + 1
	}
	return append(dst, s[start:]...)
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
