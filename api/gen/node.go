package main

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// The document is built as YAML nodes rather than Go maps, so that the
// order of keys is the one chosen here (or the services' documents', for
// what is copied from them) and the styles of copied nodes are kept.

// str returns a string scalar; text with line breaks is a literal block.
func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

// scalar returns a scalar of another type: "!!bool", "!!int", "!!float"
// or "!!null".
func scalar(tag, v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v}
}

func boolean(b bool) *yaml.Node {
	if b {
		return scalar("!!bool", "true")
	}
	return scalar("!!bool", "false")
}

// mapping returns a mapping of the pairs, keys strings and values nodes
// (or strings, for string scalars); a nil node leaves its pair out.
func mapping(pairs ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(pairs); i += 2 {
		var v *yaml.Node
		switch x := pairs[i+1].(type) {
		case *yaml.Node:
			v = x
		case string:
			v = str(x)
		}
		if v != nil {
			set(m, pairs[i].(string), v)
		}
	}
	return m
}

// flow returns n in flow style ({a: b}, [a, b]), for small nodes.
func flow(n *yaml.Node) *yaml.Node {
	n.Style = yaml.FlowStyle
	return n
}

// sequence returns a sequence of the nodes.
func sequence(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

// strings returns a sequence of string scalars, in flow style.
func stringSeq(items []string) *yaml.Node {
	s := sequence()
	for _, it := range items {
		s.Content = append(s.Content, str(it))
	}
	return flow(s)
}

// get returns the value of key in the mapping m, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// set sets key in the mapping m to v, in place if it is there, last if not.
func set(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, str(key), v)
}

// remove deletes key from the mapping m.
func remove(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// keys returns the keys of the mapping m, in order.
func keys(m *yaml.Node) []string {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]string, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, m.Content[i].Value)
	}
	return out
}

// clone returns a deep copy of n.
func clone(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, e := range n.Content {
		c.Content[i] = clone(e)
	}
	return &c
}

// encode returns n as YAML text, for comparing nodes.
func encode(n *yaml.Node) string {
	var b strings.Builder
	e := yaml.NewEncoder(&b)
	e.SetIndent(2)
	if err := e.Encode(n); err != nil {
		return "!" + err.Error()
	}
	return b.String()
}
