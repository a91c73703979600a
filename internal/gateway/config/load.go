package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Limits of the loader.
const (
	// DefaultMaxFileSize is the largest configuration file Load and Parse read.
	DefaultMaxFileSize = 1 << 20
	// DefaultMaxErrors is how many problems Load and Parse report; a last
	// line says how many more there are.
	DefaultMaxErrors = 100
)

// Loader reads configuration files. The zero value reads no environment
// variables and applies DefaultMaxFileSize.
type Loader struct {
	// Env looks up ${NAME} references; nil means no variable is set, so only
	// references with a default resolve. Pass os.LookupEnv for the process
	// environment.
	Env func(string) (string, bool)
	// MaxFileSize caps the file in bytes; zero means DefaultMaxFileSize.
	MaxFileSize int64
	// MaxErrors caps the problems reported; zero means DefaultMaxErrors.
	MaxErrors int
}

// Load reads, decodes, defaults and validates the configuration file at
// path, looking variables up with env. See Loader.Load.
func Load(path string, env func(string) (string, bool)) (*Config, error) {
	return Loader{Env: env}.Load(path)
}

// Parse decodes, defaults and validates a configuration named name (used in
// error positions), looking variables up with env. See Loader.Parse.
func Parse(name string, data []byte, env func(string) (string, bool)) (*Config, error) {
	return Loader{Env: env}.Parse(name, data)
}

// Load reads the file at path and parses it. Problems with the content are
// returned as Errors; a file that cannot be read gives a wrapped I/O error.
func (l Loader) Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, l.maxFileSize()+1))
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return l.Parse(path, data)
}

// Parse decodes data strictly (unknown or duplicate keys, wrong types,
// anchors and aliases are errors), expands ${NAME} references in scalar
// values, applies every default and validates the result. When anything is
// wrong it returns Errors holding every problem found, each with its
// file:line:column: first every decoding problem, or, when decoding
// succeeded, every validation problem.
func (l Loader) Parse(name string, data []byte) (*Config, error) {
	c, err := l.parse(name, data)
	if err != nil {
		return nil, l.truncate(err)
	}
	return c, nil
}

func (l Loader) parse(name string, data []byte) (*Config, error) {
	if limit := l.maxFileSize(); int64(len(data)) > limit {
		return nil, Errors{{Pos: Position{File: name, Line: 1, Column: 1}, Msg: fmt.Sprintf(
			"file is larger than the limit of %d bytes (%s)", limit, Size(limit))}}
	}
	root, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	d := newDecoder(name, l.Env)
	d.check(root)
	if err := d.errs.err(); err != nil {
		return nil, err
	}
	c := newConfig()
	c.Source = name
	d.pos[""] = d.at(root)
	d.value("", root, reflect.ValueOf(c).Elem())
	if err := d.errs.err(); err != nil {
		return nil, err
	}
	applyDefaults(c)
	if err := validate(c, d.pos); err != nil {
		return nil, err
	}
	return c, nil
}

// truncate keeps the first MaxErrors problems of err and counts the rest.
func (l Loader) truncate(err error) error {
	limit := l.MaxErrors
	if limit <= 0 {
		limit = DefaultMaxErrors
	}
	es, ok := err.(Errors)
	if !ok || len(es) <= limit {
		return err
	}
	more := len(es) - limit
	es = append(es[:limit:limit], Error{Pos: Position{File: es[0].Pos.File},
		Msg: fmt.Sprintf("and %d more problems (showing the first %d)", more, limit)})
	return es
}

func (l Loader) maxFileSize() int64 {
	if l.MaxFileSize > 0 {
		return l.MaxFileSize
	}
	return DefaultMaxFileSize
}

// yamlLine extracts the line from the YAML parser's messages, which carry
// no column.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML parses exactly one YAML document holding a mapping and returns
// that mapping.
func parseYAML(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errors{{Pos: Position{File: name, Line: 1, Column: 1}, Msg: "empty configuration; at least version, services and routes are needed"}}
		}
		return nil, syntaxError(name, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, Errors{{Pos: Position{File: name, Line: extra.Line, Column: extra.Column},
			Msg: "a second YAML document; a configuration file holds exactly one"}}
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(name, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		n := &doc
		if len(doc.Content) > 0 {
			n = doc.Content[0]
		}
		return nil, Errors{{Pos: Position{File: name, Line: n.Line, Column: n.Column},
			Msg: "the configuration must be a mapping of keys to values, got " + describe(n)}}
	}
	return doc.Content[0], nil
}

// syntaxError turns a YAML parser error into Errors with the line it names.
func syntaxError(name string, err error) error {
	msg := err.Error()
	pos := Position{File: name}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return Errors{{Pos: pos, Msg: "invalid YAML: " + msg}}
}
