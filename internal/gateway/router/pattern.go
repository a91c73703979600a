// Package router holds the gateway's request path normalisation (Normalize),
// its route path templates (ParseTemplate), its upstream path rewrite
// templates (ParseRewrite) and the route matcher (Router).
//
// # Path templates
//
// A route path template is a slash-separated list of segments, each of which
// is either wholly literal ("orgs"), wholly one parameter ("{org}"), or, as
// the last segment only, a wildcard ("{rest...}"):
//
//	/v1/orgs/{org}/members/{rest...}
//
// Parameter names match [A-Za-z_][A-Za-z0-9_]* and are unique within a
// template; at most MaxParams are allowed. A literal segment must already be
// in the canonical form Normalize produces (so "caf%C3%A9", not "café" or
// "caf%c3%a9"; never "." or ".."), because literals are compared with the
// normalised request path byte for byte. Empty segments are not allowed,
// except that "/" is the root template and a template may end in a slash.
//
// A trailing slash is significant, as in Go's net/http.ServeMux: "/a/"
// matches only "/a/" and "/a" only "/a".
//
// A wildcard matches zero or more remaining segments, with the slash that
// introduces it required: "/files/{p...}" matches "/files/" (p is ""),
// "/files/a" and "/files/a/b/" (p is "a/b/"), but NOT "/files"; add a
// "/files" route if that is wanted. "/{p...}" matches every path.
//
// Two templates whose Shape is equal match exactly the same paths and
// therefore conflict (for the same host and method).
package router

import (
	"errors"
	"fmt"
	"strings"
)

// MaxParams is the largest number of parameters (including the wildcard) a
// template may have; Params holds that many without allocating.
const MaxParams = 16

type segKind uint8

const (
	segLiteral segKind = iota
	segParam
	segWildcard
)

type tseg struct {
	kind segKind
	text string // literal text, or parameter name
}

// Template is a parsed route path template. It is immutable and safe for
// concurrent use.
type Template struct {
	segs     []tseg
	trailing bool // ends with '/' (never set for the root template "/")
	params   []string
	shape    string
	str      string
}

// ErrTemplate is wrapped by every error ParseTemplate and ParseRewrite return.
var ErrTemplate = errors.New("invalid path template")

func templateErr(s, format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", ErrTemplate, s, fmt.Sprintf(format, args...))
}

// validName reports whether s matches [A-Za-z_][A-Za-z0-9_]*.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// checkLiteral validates a literal segment (or part of one, in a rewrite).
func checkLiteral(s, lit string) error {
	if strings.ContainsAny(lit, "{}") {
		return templateErr(s, "segment %q mixes literal text and a parameter; a segment must be wholly literal or wholly {name}", lit)
	}
	if lit == "." || lit == ".." {
		return templateErr(s, "literal segment %q is a dot segment", lit)
	}
	n, err := Normalize("/" + lit)
	if err != nil {
		return templateErr(s, "literal %q: %v", lit, err)
	}
	if n != "/"+lit {
		return templateErr(s, "literal %q is not in normalised form (write %q)", lit, n[1:])
	}
	return nil
}

// ParseTemplate parses a route path template; see the package documentation
// for the syntax. Errors wrap ErrTemplate.
func ParseTemplate(s string) (*Template, error) {
	if s == "" || s[0] != '/' {
		return nil, templateErr(s, "must start with '/'")
	}
	t := &Template{}
	if s != "/" {
		body := s[1:]
		if strings.HasSuffix(body, "/") {
			t.trailing = true
			body = body[:len(body)-1]
		}
		pieces := strings.Split(body, "/")
		seen := make(map[string]bool, 4)
		for i, p := range pieces {
			switch {
			case p == "":
				return nil, templateErr(s, "empty segment")
			case p[0] == '{' && p[len(p)-1] == '}' && len(p) >= 2:
				name := p[1 : len(p)-1]
				kind := segParam
				if strings.HasSuffix(name, "...") {
					name = strings.TrimSuffix(name, "...")
					kind = segWildcard
					if i != len(pieces)-1 || t.trailing {
						return nil, templateErr(s, "wildcard {%s...} must be the last segment", name)
					}
				}
				if !validName(name) {
					return nil, templateErr(s, "invalid parameter name %q (want [A-Za-z_][A-Za-z0-9_]*)", name)
				}
				if seen[name] {
					return nil, templateErr(s, "duplicate parameter name %q", name)
				}
				seen[name] = true
				t.segs = append(t.segs, tseg{kind: kind, text: name})
				t.params = append(t.params, name)
			default:
				if err := checkLiteral(s, p); err != nil {
					return nil, err
				}
				t.segs = append(t.segs, tseg{kind: segLiteral, text: p})
			}
		}
		if len(t.params) > MaxParams {
			return nil, templateErr(s, "more than %d parameters", MaxParams)
		}
	}
	var str, shape strings.Builder
	str.WriteByte('/')
	shape.WriteByte('/')
	for i, sg := range t.segs {
		if i > 0 {
			str.WriteByte('/')
			shape.WriteByte('/')
		}
		switch sg.kind {
		case segLiteral:
			str.WriteString(sg.text)
			shape.WriteString(sg.text)
		case segParam:
			str.WriteString("{" + sg.text + "}")
			shape.WriteString("{}")
		case segWildcard:
			str.WriteString("{" + sg.text + "...}")
			shape.WriteString("{...}")
		}
	}
	if t.trailing {
		str.WriteByte('/')
		shape.WriteByte('/')
	}
	t.str, t.shape = str.String(), shape.String()
	return t, nil
}

// MustParseTemplate is ParseTemplate that panics on error, for tests and
// static tables.
func MustParseTemplate(s string) *Template {
	t, err := ParseTemplate(s)
	if err != nil {
		panic(err)
	}
	return t
}

// String returns the template in its source form.
func (t *Template) String() string { return t.str }

// Params returns the parameter names in order of appearance; the wildcard,
// if any, is last. The caller must not modify the slice.
func (t *Template) Params() []string { return t.params }

// Shape returns the template with parameter names erased: every {name}
// becomes "{}" and the wildcard "{...}". Two templates with equal shapes
// match the same paths and conflict.
func (t *Template) Shape() string { return t.shape }

// HasWildcard reports whether the template ends in a {name...} segment.
func (t *Template) HasWildcard() bool {
	return len(t.segs) > 0 && t.segs[len(t.segs)-1].kind == segWildcard
}

// WildcardName returns the name of the wildcard parameter, or "".
func (t *Template) WildcardName() string {
	if t.HasWildcard() {
		return t.segs[len(t.segs)-1].text
	}
	return ""
}

type rpart struct {
	kind segKind // segLiteral, segParam (escaped as one segment) or segWildcard (inserted as is)
	text string  // literal text or parameter name
}

// Rewrite is a parsed upstream path template. It is immutable and safe for
// concurrent use.
//
// Syntax: a path starting with '/' whose literal text is in normalised form
// (see Normalize), with {name} references that may appear anywhere inside a
// segment ("/x/{org}-y") and at most one {name...} reference, which must be
// the whole last segment ("/internal/{rest...}"). A {name} reference is
// replaced by the value escaped as a single path segment; a {name...}
// reference by the wildcard's escaped value unchanged, slashes included.
type Rewrite struct {
	parts  []rpart
	params []string
	str    string
}

// ParseRewrite parses an upstream path rewrite template. It checks syntax
// only; use Check to verify the names against a route's template. Errors
// wrap ErrTemplate.
func ParseRewrite(s string) (*Rewrite, error) {
	if s == "" || s[0] != '/' {
		return nil, templateErr(s, "must start with '/'")
	}
	rw := &Rewrite{str: s}
	var probe strings.Builder // s with every reference replaced by "x"
	seen := map[string]bool{}
	lit := 0 // start of the pending literal
	for i := 0; i < len(s); {
		switch s[i] {
		case '}':
			return nil, templateErr(s, "unmatched '}' at offset %d", i)
		case '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, templateErr(s, "unterminated '{' at offset %d", i)
			}
			end += i
			if lit < i {
				rw.parts = append(rw.parts, rpart{kind: segLiteral, text: s[lit:i]})
				probe.WriteString(s[lit:i])
			}
			name := s[i+1 : end]
			kind := segParam
			if strings.HasSuffix(name, "...") {
				name = strings.TrimSuffix(name, "...")
				kind = segWildcard
				if s[i-1] != '/' || end != len(s)-1 {
					return nil, templateErr(s, "{%s...} must be the whole last segment", name)
				}
			}
			if !validName(name) {
				return nil, templateErr(s, "invalid parameter name %q (want [A-Za-z_][A-Za-z0-9_]*)", name)
			}
			rw.parts = append(rw.parts, rpart{kind: kind, text: name})
			probe.WriteByte('x')
			if !seen[name] {
				seen[name] = true
				rw.params = append(rw.params, name)
			}
			i = end + 1
			lit = i
		default:
			i++
		}
	}
	if lit < len(s) {
		rw.parts = append(rw.parts, rpart{kind: segLiteral, text: s[lit:]})
		probe.WriteString(s[lit:])
	}
	p := probe.String()
	n, err := Normalize(p)
	if err != nil {
		return nil, templateErr(s, "%v", err)
	}
	if n != p {
		return nil, templateErr(s, "literal text is not in normalised form (no empty, '.' or '..' segments; upper-case escapes; no raw characters that need escaping)")
	}
	return rw, nil
}

// MustParseRewrite is ParseRewrite that panics on error.
func MustParseRewrite(s string) *Rewrite {
	rw, err := ParseRewrite(s)
	if err != nil {
		panic(err)
	}
	return rw
}

// String returns the rewrite in its source form.
func (rw *Rewrite) String() string { return rw.str }

// Params returns the referenced parameter names, each once, in order of
// first appearance. The caller must not modify the slice.
func (rw *Rewrite) Params() []string { return rw.params }

// Check verifies rw against the route template t: every reference must name
// one of t's parameters, {name...} must name t's wildcard and {name} must
// not (a wildcard value holds slashes and is already escaped).
func (rw *Rewrite) Check(t *Template) error {
	wild := t.WildcardName()
	for _, p := range rw.parts {
		switch p.kind {
		case segParam:
			if p.text == wild {
				return templateErr(rw.str, "{%s} names the wildcard; write {%s...}", p.text, p.text)
			}
			found := false
			for _, n := range t.params {
				if n == p.text {
					found = true
					break
				}
			}
			if !found {
				return templateErr(rw.str, "unknown parameter {%s} (route path %s)", p.text, t.str)
			}
		case segWildcard:
			if p.text != wild {
				if wild == "" {
					return templateErr(rw.str, "{%s...} but route path %s has no wildcard", p.text, t.str)
				}
				return templateErr(rw.str, "{%s...} does not name the route's wildcard {%s...}", p.text, wild)
			}
		}
	}
	return nil
}

// Expand appends the upstream path to dst and returns it. A {name} value is
// escaped as one path segment: unreserved characters and the sub-delimiters
// ! $ & ' ( ) * + = : @ stay raw; '/', ';', ',', '%' and every other byte are
// percent-encoded (upper-case hex), so a value never introduces a '/' or a
// path parameter, and a value that is exactly "." or ".." is written %2E or
// %2E%2E. A {name...} value is appended unchanged: Router.Match stores the
// wildcard's escaped, normalised text. A parameter missing from p expands
// to "". Expand does not allocate when dst has enough capacity.
func (rw *Rewrite) Expand(dst []byte, p *Params) []byte {
	for _, part := range rw.parts {
		switch part.kind {
		case segLiteral:
			dst = append(dst, part.text...)
		case segWildcard:
			dst = append(dst, p.Get(part.text)...)
		case segParam:
			dst = appendSegment(dst, p.Get(part.text))
		}
	}
	return dst
}

// appendSegment appends v escaped as (part of) one path segment.
func appendSegment(dst []byte, v string) []byte {
	if v == "." || v == ".." {
		for range len(v) {
			dst = append(dst, "%2E"...)
		}
		return dst
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if class[c]&clsSegSafe != 0 {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}
