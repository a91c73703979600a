package gateway

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// Content negotiation for static routes. Accept-Encoding and Accept are
// untrusted input read on every file request, so they are parsed in place
// without allocating; FuzzAcceptEncoding and FuzzAcceptsHTML hold these
// parsers to the plain ones in static_negotiate_test.go.

// Codings of precompressed variants, in order of preference when a client
// accepts both equally.
const (
	codingBrotli = "br"
	codingGzip   = "gzip"
)

// chooseEncoding returns the content coding to answer with, given the
// request's Accept-Encoding field lines and the variants that exist: "br",
// "gzip", or "" for the file as it is. A coding is acceptable when the
// field names it, or "*" when it does not, with a q-value above 0 (RFC
// 9110 §12.5.3); the higher q wins, Brotli on a tie. A q-value that does
// not parse makes its element unacceptable, so that a malformed field never
// earns a coding the client may not decode. x-gzip is gzip.
func chooseEncoding(fields []string, hasBr, hasGzip bool) string {
	if !hasBr && !hasGzip {
		return ""
	}
	br, gz, star := -1, -1, -1 // q in thousandths; -1: not named
	for _, f := range fields {
		for f != "" {
			var elem string
			elem, f, _ = strings.Cut(f, ",")
			coding, q, ok := parseElement(elem)
			if !ok {
				continue
			}
			switch {
			case strings.EqualFold(coding, codingBrotli):
				br = max(br, q)
			case strings.EqualFold(coding, codingGzip), strings.EqualFold(coding, "x-gzip"):
				gz = max(gz, q)
			case coding == "*":
				star = max(star, q)
			}
		}
	}
	if br < 0 {
		br = star
	}
	if gz < 0 {
		gz = star
	}
	if !hasBr {
		br = -1
	}
	if !hasGzip {
		gz = -1
	}
	switch {
	case br > 0 && br >= gz:
		return codingBrotli
	case gz > 0:
		return codingGzip
	}
	return ""
}

// acceptsHTML reports whether the request's Accept field lines ask for
// text/html by name, with a q-value above 0, as a browser's navigation
// does. A request without Accept, or accepting only */* or text/*, is a
// program's: it gets a 404 rather than the app's index.html.
func acceptsHTML(fields []string) bool {
	html := -1
	for _, f := range fields {
		for f != "" {
			var elem string
			elem, f, _ = strings.Cut(f, ",")
			mt, q, ok := parseElement(elem)
			if ok && strings.EqualFold(mt, "text/html") {
				html = max(html, q)
			}
		}
	}
	return html > 0
}

// parseElement splits one element of a negotiation field, such as
// "gzip;q=0.5" or "text/html; level=1", into its value and its q-value in
// thousandths (1000 without a q parameter). It reports false for an empty
// element or a malformed q-value.
func parseElement(elem string) (value string, q int, ok bool) {
	value, params, _ := strings.Cut(elem, ";")
	value = strings.TrimSpace(value)
	if value == "" {
		return "", 0, false
	}
	q = 1000
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, v, _ := strings.Cut(p, "=")
		if name = strings.TrimSpace(name); len(name) != 1 || name[0]|0x20 != 'q' {
			continue
		}
		if q, ok = parseQ(strings.TrimSpace(v)); !ok {
			return "", 0, false
		}
	}
	return value, q, true
}

// parseQ parses an RFC 9110 qvalue, "0" to "1" with at most three
// decimals, into thousandths.
func parseQ(s string) (int, bool) {
	if s == "" || s[0] != '0' && s[0] != '1' {
		return 0, false
	}
	q := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return q, true
	}
	if s[1] != '.' || len(s) > 5 {
		return 0, false
	}
	scale := 100
	for i := 2; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		q += int(c-'0') * scale
		scale /= 10
	}
	if q > 1000 {
		return 0, false
	}
	return q, true
}

// staticName turns the part of a normalised request path that names a
// file (the route's wildcard value, still escaped) into the name of a file
// under the route's root: decoded, relative, with no empty, "." or ".."
// segments, no hidden (dot) file or directory, and valid UTF-8. dir reports a request
// for a directory (an empty rest, or one ending in '/'), whose name is the
// directory's ("" for the root). ok is false for anything that must not be
// served, which is answered 404.
func staticName(rest string) (name string, dir, ok bool) {
	rest = strings.TrimPrefix(rest, "/")
	if rest == "" {
		return "", true, true
	}
	if strings.HasSuffix(rest, "/") {
		dir = true
		rest = rest[:len(rest)-1]
	}
	if strings.IndexByte(rest, '%') >= 0 {
		// The normaliser refuses encoded slashes already; refusing them
		// again here keeps an escape from ever becoming a separator.
		if strings.Contains(rest, "%2F") || strings.Contains(rest, "%2f") {
			return "", false, false
		}
		var err error
		if rest, err = url.PathUnescape(rest); err != nil {
			return "", false, false
		}
	}
	if !utf8.ValidString(rest) {
		return "", false, false // no file a build writes; fs.FS refuses such names too
	}
	for seg := range strings.SplitSeq(rest, "/") {
		if seg == "" || seg[0] == '.' || strings.ContainsAny(seg, "\\\x00") {
			return "", false, false
		}
	}
	return rest, dir, true
}

// hasExtension reports whether the last segment of name has a file
// extension: a '.' that is not its first byte. Client-side routes of a
// single-page app have none; files the app loads do.
func hasExtension(name string) bool {
	last := name[strings.LastIndexByte(name, '/')+1:]
	return strings.LastIndexByte(last, '.') > 0
}
