package config

import (
	"encoding/json"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// maxJSONDepth bounds the nesting of a JSON value in the configuration.
const maxJSONDepth = 32

// UnmarshalYAML decodes any YAML value made of mappings with string keys,
// sequences and scalars into its JSON form.
func (j *JSONValue) UnmarshalYAML(n *yaml.Node) error {
	v, err := jsonOf(n, 0)
	if err != nil {
		return err
	}
	j.V = v
	return nil
}

// MarshalJSON writes the value as JSON.
func (j JSONValue) MarshalJSON() ([]byte, error) { return json.Marshal(j.V) }

func jsonOf(n *yaml.Node, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", maxJSONDepth)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: object keys must be strings", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: key %q appears twice", k.Line, k.Value)
			}
			v, err := jsonOf(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		a := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := jsonOf(c, depth+1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		return a, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			b, err := strconv.ParseBool(n.Value)
			if err != nil || (n.Value != "true" && n.Value != "false") {
				return nil, fmt.Errorf("line %d: write booleans as true or false", n.Line)
			}
			return b, nil
		case "!!int", "!!float":
			f, err := strconv.ParseFloat(n.Value, 64)
			if err != nil || !json.Valid([]byte(n.Value)) {
				return nil, fmt.Errorf("line %d: %q is not a JSON number; quote it if you mean text", n.Line, n.Value)
			}
			_ = f
			return json.Number(n.Value), nil
		default:
			return n.Value, nil
		}
	}
	return nil, fmt.Errorf("line %d: not a JSON value", n.Line)
}
