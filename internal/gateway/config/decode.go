package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder turns a YAML node tree into a Config, field by field, so that
// every problem carries its position and all of them are reported at once.
type decoder struct {
	file   string
	env    func(string) (string, bool)
	errs   Errors
	pos    positions
	fields map[reflect.Type]fieldSet
}

// fieldSet is the yaml keys of one struct type and their field indexes.
type fieldSet struct {
	index map[string]int
	names []string
}

func newDecoder(file string, env func(string) (string, bool)) *decoder {
	return &decoder{file: file, env: env, pos: positions{}, fields: map[reflect.Type]fieldSet{}}
}

// at returns the position of n.
func (d *decoder) at(n *yaml.Node) Position {
	return Position{File: d.file, Line: n.Line, Column: n.Column}
}

// errorf records a problem at n.
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, Error{Pos: d.at(n), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// allowedTags are the YAML core tags; anything else (custom tags, !!binary,
// !!merge) has no meaning in a gateway configuration.
var allowedTags = map[string]bool{
	"!!str": true, "!!int": true, "!!float": true, "!!bool": true, "!!null": true,
	"!!map": true, "!!seq": true, "!!timestamp": true,
}

// check rejects anchors, aliases, merge keys and unknown tags anywhere in
// the tree, including under keys that decode would not visit. Without
// aliases, the decoded size is bounded by the file size.
func (d *decoder) check(n *yaml.Node) {
	switch {
	case n.Kind == yaml.AliasNode:
		d.errorf(n, "", "YAML aliases (*%s) are not allowed; write the value out", n.Value)
		return
	case n.Anchor != "":
		d.errorf(n, "", "YAML anchors (&%s) are not allowed; write the value out", n.Anchor)
	case n.ShortTag() == "!!merge":
		d.errorf(n, "", "YAML merge keys (<<) are not allowed; write the keys out")
	case n.Kind != yaml.DocumentNode && !allowedTags[n.ShortTag()]:
		d.errorf(n, "", "YAML tag %s is not allowed", n.Tag)
	}
	for _, c := range n.Content {
		d.check(c)
	}
}

// describe names the kind of a node for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!null":
		return "an empty value"
	case "!!bool":
		return "a boolean (" + n.Value + ")"
	case "!!int":
		return "an integer (" + n.Value + ")"
	case "!!float":
		return "a number (" + n.Value + ")"
	}
	return "a string (" + quote(n.Value) + ")"
}

// value decodes n into v, which is addressable.
func (d *decoder) value(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		d.errorf(n, path, "empty value; give a value or remove the key")
		return
	}
	if u, ok := v.Addr().Interface().(yaml.Unmarshaler); ok {
		c := *n
		if n.Kind == yaml.ScalarNode {
			s, _, ok := d.scalar(path, n, "a value")
			if !ok {
				return
			}
			c.Value = s
		}
		if err := u.UnmarshalYAML(&c); err != nil {
			d.errorf(n, path, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		d.value(path, n, e.Elem())
		v.Set(e)
	case reflect.Struct:
		d.structure(path, n, v)
	case reflect.Map:
		d.mapping(path, n, v)
	case reflect.Slice:
		d.sequence(path, n, v)
	case reflect.String:
		s, tag, ok := d.scalar(path, n, "a string")
		if !ok {
			return
		}
		switch tag {
		case "", "!!str", "!!int", "!!float", "!!timestamp":
			v.SetString(s)
		default:
			d.errorf(n, path, "expected a string, got %s; quote it if you mean the text", describe(n))
		}
	case reflect.Bool:
		s, tag, ok := d.scalar(path, n, "true or false")
		if !ok {
			return
		}
		b, err := strconv.ParseBool(s)
		if (tag != "" && tag != "!!bool") || err != nil || (s != "true" && s != "false" && tag == "") {
			d.errorf(n, path, "expected true or false, got %s", describeValue(n, s, tag))
			return
		}
		v.SetBool(b)
	case reflect.Int:
		s, tag, ok := d.scalar(path, n, "an integer")
		if !ok {
			return
		}
		i, err := strconv.ParseInt(s, 10, strconv.IntSize)
		if (tag != "" && tag != "!!int") || err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				d.errorf(n, path, "integer %s is out of range", s)
				return
			}
			d.errorf(n, path, "expected a decimal integer, got %s", describeValue(n, s, tag))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		s, tag, ok := d.scalar(path, n, "a number")
		if !ok {
			return
		}
		f, err := strconv.ParseFloat(s, 64)
		if (tag != "" && tag != "!!int" && tag != "!!float") || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.errorf(n, path, "expected a finite number, got %s", describeValue(n, s, tag))
			return
		}
		v.SetFloat(f)
	default:
		d.errorf(n, path, "cannot decode into %s", v.Type())
	}
}

// describeValue describes a scalar, naming the expanded text when it came
// from the environment (tag "").
func describeValue(n *yaml.Node, s, tag string) string {
	if tag == "" {
		return quote(s) + " (after variable expansion)"
	}
	return describe(n)
}

// scalar returns n's value with variables expanded, and its YAML tag, or
// "" when the value came through expansion: then its text alone decides
// what it is, whatever the quoting around the reference.
func (d *decoder) scalar(path string, n *yaml.Node, want string) (string, string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "expected %s, got %s", want, describe(n))
		return "", "", false
	}
	s, expanded, err := expand(n.Value, d.env)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return "", "", false
	}
	if expanded {
		return s, "", true
	}
	return s, n.ShortTag(), true
}

// keyOf returns the text of a mapping key; keys are never expanded.
func (d *decoder) keyOf(path string, k *yaml.Node) (string, bool) {
	if k.Kind != yaml.ScalarNode {
		d.errorf(k, path, "keys must be plain strings, got %s", describe(k))
		return "", false
	}
	return k.Value, true
}

// record notes where path is: a scalar at its value, a mapping or list at
// its key, which is what a reader looks for.
func (d *decoder) record(path string, key, val *yaml.Node) {
	if val.Kind == yaml.ScalarNode || key == nil {
		d.pos[path] = d.at(val)
		return
	}
	d.pos[path] = d.at(key)
}

// pairs calls fn for each key/value of mapping n, reporting duplicate and
// non-string keys.
func (d *decoder) pairs(path string, n *yaml.Node, fn func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping of keys to values, got %s", describe(n))
		return
	}
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key, ok := d.keyOf(path, k)
		if !ok {
			continue
		}
		if first, dup := seen[key]; dup {
			d.errorf(k, joinKey(path, key), "duplicate key (first at %s)", d.at(first))
			continue
		}
		seen[key] = k
		fn(key, k, v)
	}
}

// structure decodes a mapping into a struct by its yaml tags.
func (d *decoder) structure(path string, n *yaml.Node, v reflect.Value) {
	fs := d.fieldsOf(v.Type())
	d.pairs(path, n, func(key string, k, val *yaml.Node) {
		i, ok := fs.index[key]
		if !ok {
			d.errorf(k, joinKey(path, key), "unknown key%s", didYouMean(key, fs.names))
			return
		}
		fpath := joinField(path, key)
		d.record(fpath, k, val)
		d.value(fpath, val, v.Field(i))
	})
}

// fieldsOf returns the yaml keys of struct type t.
func (d *decoder) fieldsOf(t reflect.Type) fieldSet {
	if fs, ok := d.fields[t]; ok {
		return fs
	}
	fs := fieldSet{index: map[string]int{}}
	for i := range t.NumField() {
		name := yamlName(t.Field(i))
		if name == "" {
			continue
		}
		fs.index[name] = i
		fs.names = append(fs.names, name)
	}
	d.fields[t] = fs
	return fs
}

// yamlName returns a field's yaml key, or "" when it has none.
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

// mapping decodes a mapping into a map with string keys.
func (d *decoder) mapping(path string, n *yaml.Node, v reflect.Value) {
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(v.Type(), len(n.Content)/2))
	}
	d.pairs(path, n, func(key string, k, val *yaml.Node) {
		kpath := joinKey(path, key)
		d.pos[kpath] = d.at(k)
		e := reflect.New(v.Type().Elem()).Elem()
		d.value(kpath, val, e)
		if s, ok := e.Interface().(*Service); ok && s != nil {
			s.Name = key
		}
		v.SetMapIndex(reflect.ValueOf(key), e)
	})
}

// sequence decodes a list into a slice.
func (d *decoder) sequence(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		ipath := joinIndex(path, i)
		d.record(ipath, nil, item)
		e := s.Index(i)
		d.value(ipath, item, e)
		if r, ok := e.Interface().(*Route); ok && r != nil {
			r.Pos = d.at(item)
		}
	}
	v.Set(s)
}
