package observability

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// Redacted replaces every secret the logger would otherwise write.
const Redacted = "[redacted]"

// IsSecretKey reports whether an attribute, header, query parameter or form
// field named key carries a secret. The comparison ignores case and treats
// '-' and '_' alike. A key is secret when it is one of authorization, cookie,
// set-cookie, password, secret, token, api_key or apikey, or ends in one of
// them after a separator ('_', '-', '.') or a camel-case boundary, so
// "Proxy-Authorization", "X-Api-Key", "refresh_token", "client.secret" and
// "accessToken" are secret while "tokens" and "token_count" are not.
func IsSecretKey(key string) bool {
	for _, word := range [...]string{"authorization", "cookie", "password", "secret", "token", "api_key", "apikey"} {
		if endsInWord(key, word) {
			return true
		}
	}
	return false
}

// endsInWord reports whether key is word, or ends in word after a separator
// or a camel-case boundary; word is lower case with '_' as its separator.
func endsInWord(key, word string) bool {
	if len(key) < len(word) {
		return false
	}
	start := len(key) - len(word)
	for i := 0; i < len(word); i++ {
		c := key[start+i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		} else if c == '-' {
			c = '_'
		}
		if c != word[i] {
			return false
		}
	}
	if start == 0 {
		return true
	}
	switch prev, first := key[start-1], key[start]; {
	case prev == '_' || prev == '-' || prev == '.':
		return true
	case 'A' <= first && first <= 'Z' && 'a' <= prev && prev <= 'z':
		return true
	}
	return false
}

// Redact returns s with the secrets it can recognise in free text replaced
// by Redacted: the userinfo of URLs ("https://user:pass@host" becomes
// "https://[redacted]@host"), the values of name=value pairs whose name
// IsSecretKey (query strings, form bodies, cookie headers, key/value DSNs
// such as "password=..."), and the credentials after a Bearer or Basic
// scheme. A credential after a scheme is redacted only when it holds
// something other than lower-case letters, so prose such as "basic checks
// failed" is left alone. Redact does not parse JSON; never log bodies. It
// allocates only when it redacts something.
func Redact(s string) string {
	red, _ := redact(s)
	return red
}

// redact is Redact that also reports whether it changed anything.
func redact(s string) (string, bool) {
	r := redactor{s: s}
	for i := 0; i < len(s); {
		i = r.step(i)
	}
	return r.finish(), r.b != nil
}

// redactor copies s into b lazily, from the first redaction on.
type redactor struct {
	s    string
	b    []byte
	last int // s[last:] is not yet in b
}

// replace redacts s[from:to].
func (r *redactor) replace(from, to int) {
	if r.b == nil {
		r.b = make([]byte, 0, len(r.s)+len(Redacted))
	}
	r.b = append(r.b, r.s[r.last:from]...)
	r.b = append(r.b, Redacted...)
	r.last = to
}

func (r *redactor) finish() string {
	if r.b == nil {
		return r.s
	}
	return string(append(r.b, r.s[r.last:]...))
}

// step looks for a secret starting at or around s[i] and returns where to
// continue.
func (r *redactor) step(i int) int {
	s := r.s
	switch c := s[i]; {
	case c == ':' && strings.HasPrefix(s[i:], "://"):
		start := i + 3
		end := start
		for end < len(s) && !isAuthorityEnd(s[end]) {
			end++
		}
		if at := strings.LastIndexByte(s[start:end], '@'); at > 0 {
			r.replace(start, start+at)
		}
		return end
	case c == '=' || c == ':':
		return r.pair(i)
	case (c == 'b' || c == 'B') && (i == 0 || !isKeyChar(s[i-1])):
		n := schemeLen(s[i:])
		if n == 0 {
			return i + 1
		}
		start := i + n
		for start < len(s) && s[start] == ' ' {
			start++
		}
		end := start
		notProse := false
		for end < len(s) && isToken68(s[end]) {
			if c := s[end]; c < 'a' || c > 'z' {
				notProse = true
			}
			end++
		}
		if end > start && notProse {
			r.replace(start, end)
		}
		return end
	}
	return i + 1
}

// pair redacts the value of a secret name=value pair, or of a quoted
// "name": value pair, whose separator is s[i].
func (r *redactor) pair(i int) int {
	s := r.s
	k := i
	quoted := k > 0 && (s[k-1] == '"' || s[k-1] == '\'')
	if quoted {
		k--
	}
	keyEnd := k
	for k > 0 && isKeyChar(s[k-1]) {
		k--
	}
	if k == keyEnd || !IsSecretKey(s[k:keyEnd]) {
		return i + 1
	}
	if quoted && (k == 0 || s[k-1] != s[keyEnd]) {
		return i + 1
	}
	if s[i] == ':' && !quoted {
		return i + 1 // "verify token: bad signature" is prose, not a pair
	}
	start := i + 1
	for start < len(s) && s[start] == ' ' {
		start++
	}
	if schemeLen(s[start:]) > 0 {
		return start // the scheme case redacts the credential after it
	}
	end := start
	if start < len(s) && (s[start] == '"' || s[start] == '\'') {
		q := s[start]
		start++
		end = start
		for end < len(s) && s[end] != q {
			if s[end] == '\\' && end+1 < len(s) {
				end++
			}
			end++
		}
	} else {
		for end < len(s) && !isValueEnd(s[end]) {
			end++
		}
	}
	if end > start {
		r.replace(start, end)
	}
	return end
}

// schemeLen returns the length of "bearer " or "basic " (any case) at the
// start of s, or 0.
func schemeLen(s string) int {
	for _, scheme := range [...]string{"bearer ", "basic "} {
		if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			return len(scheme)
		}
	}
	return 0
}

func isKeyChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'
}

func isAuthorityEnd(c byte) bool {
	switch c {
	case '/', '?', '#', ' ', '\t', '\r', '\n', '"', '\'', '<', '>', '`':
		return true
	}
	return false
}

func isValueEnd(c byte) bool {
	switch c {
	case '&', ';', ',', ' ', '\t', '\r', '\n', '"', '\'', '`', '#':
		return true
	}
	return false
}

func isToken68(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '='
}

// RedactAttr is a slog.HandlerOptions.ReplaceAttr function that keeps
// secrets out of the output: the value of an attribute whose key, or the
// name of any group around it, IsSecretKey becomes Redacted; every other
// string and error value goes through Redact; http.Header values get their
// secret fields redacted and url.URL values are redacted as strings.
func RedactAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 {
		switch a.Key {
		case slog.TimeKey, slog.SourceKey:
			return a
		case slog.LevelKey:
			// Given as a string, the level is written without a detour
			// through encoding/json, which would allocate.
			if l, ok := a.Value.Any().(slog.Level); ok {
				return slog.String(slog.LevelKey, l.String())
			}
			return a
		}
	}
	if IsSecretKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	for _, g := range groups {
		if IsSecretKey(g) {
			return slog.String(a.Key, Redacted)
		}
	}
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); s != "" {
			if red, changed := redact(s); changed {
				a.Value = slog.StringValue(red)
			}
		}
	case slog.KindAny:
		switch v := a.Value.Any().(type) {
		case error:
			a.Value = slog.StringValue(Redact(v.Error()))
		case http.Header:
			a.Value = slog.AnyValue(redactHeader(v))
		case *url.URL:
			if v != nil {
				a.Value = slog.StringValue(Redact(v.String()))
			}
		case url.URL:
			a.Value = slog.StringValue(Redact(v.String()))
		}
	}
	return a
}

// redactHeader returns a copy of h whose secret fields hold Redacted and
// whose other values went through Redact.
func redactHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		red := make([]string, len(vs))
		for i, v := range vs {
			if IsSecretKey(k) {
				red[i] = Redacted
			} else {
				red[i] = Redact(v)
			}
		}
		out[k] = red
	}
	return out
}
