package aggregate

import (
	"encoding/json"
	"fmt"
	"github.com/portico-gw/portico/internal/platform/jsonstring"
	"strconv"
)

// maxBodySpecDepth bounds the nesting of a step's Body spec.
const maxBodySpecDepth = 64

// bodyNode is a compiled request body: literal JSON, a string template, a
// typed reference, or an object or array of nodes.
type bodyNode struct {
	lit    []byte    // encoded JSON of a subtree without references
	tmpl   *template // a string with references
	ref    *ref      // a string that is exactly one reference
	keys   [][]byte  // object members' encoded `"name":` prefixes
	elems  []*bodyNode
	object bool
	array  bool
}

// compileBody compiles a Body spec; field names the position for errors
// ("body", "body.ids[0]"), and visit is called with every reference.
func compileBody(v any, field string, depth int, visit func(field string, r *ref)) (*bodyNode, error) {
	if depth > maxBodySpecDepth {
		return nil, fmt.Errorf("%s: nested deeper than %d", field, maxBodySpecDepth)
	}
	switch x := v.(type) {
	case string:
		t, err := parseTemplate(x)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		if r := t.single(); r != nil {
			visit(field, r)
			return &bodyNode{ref: r}, nil
		}
		if t.literal() {
			return &bodyNode{lit: jsonstring.Append(nil, x)}, nil
		}
		for _, p := range t.parts {
			if p.ref != nil {
				visit(field, p.ref)
			}
		}
		return &bodyNode{tmpl: t}, nil
	case map[string]any:
		n := &bodyNode{object: true}
		literal := true
		for _, k := range sortedKeys(x) {
			c, err := compileBody(x[k], field+"."+k, depth+1, visit)
			if err != nil {
				return nil, err
			}
			key := jsonstring.Append(nil, k)
			n.keys = append(n.keys, append(key, ':'))
			n.elems = append(n.elems, c)
			literal = literal && c.lit != nil
		}
		if literal {
			return &bodyNode{lit: n.appendLiteral(nil)}, nil
		}
		return n, nil
	case []any:
		n := &bodyNode{array: true}
		literal := true
		for i, e := range x {
			c, err := compileBody(e, field+"["+strconv.Itoa(i)+"]", depth+1, visit)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, c)
			literal = literal && c.lit != nil
		}
		if literal {
			return &bodyNode{lit: n.appendLiteral(nil)}, nil
		}
		return n, nil
	case nil, bool, float64, int, int64, json.Number:
		b, err := appendJSON(nil, x)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		return &bodyNode{lit: b}, nil
	}
	return nil, fmt.Errorf("%s: unsupported value of type %T (want a JSON-like tree)", field, v)
}

// appendLiteral encodes an object or array whose children are literals.
func (n *bodyNode) appendLiteral(dst []byte) []byte {
	if n.object {
		dst = append(dst, '{')
	} else {
		dst = append(dst, '[')
	}
	for i, c := range n.elems {
		if i > 0 {
			dst = append(dst, ',')
		}
		if n.object {
			dst = append(dst, n.keys[i]...)
		}
		dst = append(dst, c.lit...)
	}
	if n.object {
		return append(dst, '}')
	}
	return append(dst, ']')
}

// appendTo appends the body's JSON for one call.
func (n *bodyNode) appendTo(dst []byte, e *env) ([]byte, error) {
	switch {
	case n.lit != nil:
		return append(dst, n.lit...), nil
	case n.ref != nil:
		v, err := e.value(n.ref)
		if err != nil {
			return dst, err
		}
		return appendJSON(dst, v)
	case n.tmpl != nil:
		dst = append(dst, '"')
		dst, err := n.tmpl.expand(dst, e, escJSON)
		if err != nil {
			return dst, err
		}
		return append(dst, '"'), nil
	}
	open, end := byte('['), byte(']')
	if n.object {
		open, end = '{', '}'
	}
	dst = append(dst, open)
	for i, c := range n.elems {
		if i > 0 {
			dst = append(dst, ',')
		}
		if n.object {
			dst = append(dst, n.keys[i]...)
		}
		var err error
		if dst, err = c.appendTo(dst, e); err != nil {
			return dst, err
		}
	}
	return append(dst, end), nil
}
