package aggregate

import (
	"errors"
	"fmt"
	"strings"
)

// namespace is the root a reference starts from.
type namespace uint8

const (
	nsPath     namespace = iota + 1 // a route path parameter
	nsQuery                         // the caller's query parameter (first value)
	nsIdentity                      // the caller's identity claims
	nsSteps                         // an earlier step's raw result
	nsItem                          // the current item of a fan-out step
	nsBody                          // the caller's JSON request body
)

func (n namespace) String() string {
	switch n {
	case nsPath:
		return "path"
	case nsQuery:
		return "query"
	case nsIdentity:
		return "identity"
	case nsSteps:
		return "steps"
	case nsItem:
		return "item"
	case nsBody:
		return "body"
	}
	return "?"
}

// ref is one reference: "{steps.org.owner.id|none}".
type ref struct {
	ns     namespace
	name   string    // the parameter name (path, query) or the step name (steps)
	step   int       // the referenced step's index (steps), set by Compile
	path   fieldPath // the field path below the root (identity, steps, item, body)
	def    string    // the default, used when the value is missing or null
	hasDef bool
}

// parseRef parses the text between a reference's braces.
func parseRef(s string) (*ref, error) {
	r := &ref{}
	if i := strings.IndexByte(s, '|'); i >= 0 {
		r.def, r.hasDef = s[i+1:], true
		s = s[:i]
	}
	if s == "" {
		return nil, errors.New("empty reference")
	}
	segs := strings.Split(s, ".")
	if len(segs) > maxFieldPathSegments+2 {
		return nil, fmt.Errorf("reference %q is deeper than %d segments", s, maxFieldPathSegments)
	}
	for _, seg := range segs {
		if err := checkSegment(seg); err != nil {
			return nil, fmt.Errorf("reference %q: %w", s, err)
		}
	}
	rest := segs[1:]
	switch segs[0] {
	case "path", "query":
		r.ns = nsPath
		if segs[0] == "query" {
			r.ns = nsQuery
		}
		if len(rest) != 1 {
			return nil, fmt.Errorf("reference %q: %s takes exactly one name", s, segs[0])
		}
		r.name = rest[0]
	case "identity":
		r.ns = nsIdentity
		if len(rest) == 0 {
			return nil, fmt.Errorf("reference %q: identity needs a claim name", s)
		}
		r.path = rest
	case "steps":
		r.ns = nsSteps
		if len(rest) == 0 {
			return nil, fmt.Errorf("reference %q: steps needs a step name", s)
		}
		r.name, r.path = rest[0], rest[1:]
	case "item":
		r.ns, r.path = nsItem, rest
	case "body":
		r.ns, r.path = nsBody, rest
	default:
		return nil, fmt.Errorf("reference %q: unknown namespace %q (want path, query, identity, steps, item or body)", s, segs[0])
	}
	if len(r.path) == 0 {
		r.path = nil
	}
	return r, nil
}

// String returns the reference in canonical form, without braces.
func (r *ref) String() string {
	var b strings.Builder
	b.WriteString(r.ns.String())
	if r.name != "" {
		b.WriteByte('.')
		b.WriteString(r.name)
	}
	for _, seg := range r.path {
		b.WriteByte('.')
		b.WriteString(seg)
	}
	if r.hasDef {
		b.WriteByte('|')
		b.WriteString(r.def)
	}
	return b.String()
}

// template is a parsed template: literal text and references.
type template struct {
	parts []tpart
}

// tpart is a literal (ref nil) or a reference.
type tpart struct {
	lit string
	ref *ref
}

// parseTemplate parses text with "{reference}" parts; "{{" and "}}" stand
// for literal braces.
func parseTemplate(s string) (*template, error) {
	t := &template{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, tpart{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '{':
			if i+1 < len(s) && s[i+1] == '{' {
				lit.WriteByte('{')
				i += 2
				continue
			}
			end := strings.IndexAny(s[i+1:], "{}")
			if end < 0 || s[i+1+end] != '}' {
				return nil, fmt.Errorf("unterminated reference at offset %d (write {{ for a literal brace)", i)
			}
			r, err := parseRef(s[i+1 : i+1+end])
			if err != nil {
				return nil, err
			}
			flush()
			t.parts = append(t.parts, tpart{ref: r})
			i += end + 2
		case '}':
			if i+1 < len(s) && s[i+1] == '}' {
				lit.WriteByte('}')
				i += 2
				continue
			}
			return nil, fmt.Errorf("unmatched } at offset %d (write }} for a literal brace)", i)
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return t, nil
}

// String returns the template in canonical form: parsing it gives the same
// template.
func (t *template) String() string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.ref != nil {
			b.WriteByte('{')
			b.WriteString(p.ref.String())
			b.WriteByte('}')
			continue
		}
		for i := 0; i < len(p.lit); i++ {
			c := p.lit[i]
			b.WriteByte(c)
			if c == '{' || c == '}' {
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}

// single returns the reference when the template is exactly one reference.
func (t *template) single() *ref {
	if len(t.parts) == 1 {
		return t.parts[0].ref
	}
	return nil
}

// literal reports whether the template has no references.
func (t *template) literal() bool {
	for _, p := range t.parts {
		if p.ref != nil {
			return false
		}
	}
	return true
}

// expand appends the template's text, each part escaped for mode. In
// escPath mode literals are appended as written: they are validated path
// text already.
func (t *template) expand(dst []byte, e *env, mode escMode) ([]byte, error) {
	for i := range t.parts {
		p := &t.parts[i]
		if p.ref == nil {
			if mode == escPath {
				dst = append(dst, p.lit...)
			} else {
				dst = appendString(dst, p.lit, mode)
			}
			continue
		}
		var err error
		if dst, err = e.appendRef(dst, p.ref, mode); err != nil {
			return dst, err
		}
	}
	return dst, nil
}
