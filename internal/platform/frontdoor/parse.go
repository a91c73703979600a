package frontdoor

import (
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// head is a request head this package serves.
type head struct {
	method, target string
	url            *url.URL
	header         http.Header
	host           string
	contentLength  int64 // 0 when there is no Content-Length
	close          bool  // the client asked to close after the response
}

// parseHead reads the request head s, which ends with its empty line, into
// h. It reports false for any head outside the narrow form this package
// serves (see the package's documentation): such a head is net/http's to
// read, and to refuse when it is malformed. s is kept: the request's
// strings are slices of it.
func parseHead(s string, h *head) bool {
	// The request line: method SP origin-form SP HTTP/1.1 CRLF.
	sp := strings.IndexByte(s, ' ')
	if sp <= 0 || !isToken(s[:sp]) {
		return false
	}
	h.method = s[:sp]
	if h.method == "CONNECT" || h.method == "PRI" {
		return false
	}
	rest := s[sp+1:]
	sp = strings.IndexByte(rest, ' ')
	if sp <= 0 || rest[0] != '/' || !isTarget(rest[:sp]) {
		return false
	}
	h.target = rest[:sp]
	rest = rest[sp+1:]
	if !strings.HasPrefix(rest, "HTTP/1.1\r\n") {
		return false
	}
	rest = rest[len("HTTP/1.1\r\n"):]

	// Header fields, each name: OWS value OWS CRLF, then CRLF.
	n := strings.Count(rest, "\n") - 1 // the fields' lines
	if n < 1 {
		return false // no Host
	}
	vals := make([]string, n)
	h.header = make(http.Header, n)
	var host, length, connection []string
	i := 0
	for !strings.HasPrefix(rest, "\r\n") {
		end := strings.IndexByte(rest, '\n')
		if end < 1 || rest[end-1] != '\r' {
			return false
		}
		line := rest[:end-1]
		rest = rest[end+1:]
		colon := strings.IndexByte(line, ':')
		if colon <= 0 || !isToken(line[:colon]) {
			return false
		}
		v := trimOWS(line[colon+1:])
		if !isFieldValue(v) {
			return false
		}
		k := canonicalKey(line[:colon])
		switch k {
		case "Transfer-Encoding", "Expect", "Upgrade", "Http2-Settings":
			return false
		}
		vals[i] = v
		vs := h.header[k]
		if vs == nil {
			vs = vals[i : i+1 : i+1]
		} else {
			vs = append(vs, v)
		}
		h.header[k] = vs
		switch k {
		case "Host":
			host = vs
		case "Content-Length":
			length = vs
		case "Connection":
			connection = vs
		}
		i++
	}
	if rest != "\r\n" {
		return false
	}

	if len(host) != 1 || !httpguts.ValidHostHeader(host[0]) {
		return false
	}
	h.host = host[0]
	delete(h.header, "Host")
	h.contentLength = 0
	if length != nil {
		cl, ok := parseLength(length)
		if !ok {
			return false
		}
		h.contentLength = cl
	}
	h.close = httpguts.HeaderValuesContainsToken(connection, "close")
	// As net/http: Pragma: no-cache stands for Cache-Control: no-cache.
	if pv := h.header["Pragma"]; len(pv) > 0 && pv[0] == "no-cache" {
		if _, ok := h.header["Cache-Control"]; !ok {
			h.header["Cache-Control"] = []string{"no-cache"}
		}
	}
	u, err := url.ParseRequestURI(h.target)
	if err != nil {
		return false
	}
	h.url = u
	return true
}

// parseLength reads the one Content-Length value: decimal digits, at most
// 18 of them.
func parseLength(vs []string) (int64, bool) {
	if len(vs) != 1 {
		return 0, false
	}
	v := vs[0]
	if v == "" || len(v) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// canonicalKey returns name in the canonical form textproto gives it,
// without allocating when it already is.
func canonicalKey(name string) string {
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return textproto.CanonicalMIMEHeaderKey(name)
		}
		upper = c == '-'
	}
	return name
}

// trimOWS removes spaces and tabs around a field value.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// isToken reports a non-empty RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenTable[s[i]] {
			return false
		}
	}
	return true
}

// isTarget reports a request target of visible ASCII only.
func isTarget(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// isFieldValue reports a value without control characters other than
// HTAB, as httpguts.ValidHeaderFieldValue.
func isFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

var tokenTable = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()
