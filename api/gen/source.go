package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// source is a service's OpenAPI document, read as YAML nodes so that what
// is copied out of it keeps its order and style.
type source struct {
	// service is the gateway configuration's name of the service; its
	// document is <service>.yaml, and its components are named
	// "<service>.<name>" in the public document.
	service string
	// file names the document in messages: api/<service>.yaml.
	file string
	// root is the document's top mapping.
	root *yaml.Node
}

// loadSource reads the document of service from dir.
func loadSource(dir, service string) (*source, error) {
	file := "api/" + service + ".yaml"
	raw, err := os.ReadFile(filepath.Join(dir, service+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("the document of service %s: %w", service, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a YAML mapping", file)
	}
	root := doc.Content[0]
	if v := get(root, "openapi"); v == nil || !strings.HasPrefix(v.Value, "3.1.") {
		return nil, fmt.Errorf("%s: want an OpenAPI 3.1 document", file)
	}
	return &source{service: service, file: file, root: root}, nil
}

// pointer returns the node a local reference ("#/components/...") names.
func (s *source) pointer(ref string) (*yaml.Node, error) {
	ptr, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("%s: $ref %q is not local", s.file, ref)
	}
	n := s.root
	for _, tok := range strings.Split(ptr, "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch n.Kind {
		case yaml.MappingNode:
			n = get(n, tok)
		case yaml.SequenceNode:
			i := 0
			if _, err := fmt.Sscanf(tok, "%d", &i); err != nil || i < 0 || i >= len(n.Content) {
				n = nil
			} else {
				n = n.Content[i]
			}
		default:
			n = nil
		}
		if n == nil {
			return nil, fmt.Errorf("%s: unresolved $ref %q", s.file, ref)
		}
	}
	return n, nil
}

// resolve follows n's chain of local references.
func (s *source) resolve(n *yaml.Node) (*yaml.Node, error) {
	for range 16 {
		ref := get(n, "$ref")
		if ref == nil {
			return n, nil
		}
		var err error
		if n, err = s.pointer(ref.Value); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%s: $ref chain too long", s.file)
}

// operation returns the path item of path and its operation for method
// (upper case), nil when the document has none.
func (s *source) operation(method, path string) (item, op *yaml.Node) {
	item = get(get(s.root, "paths"), path)
	return item, get(item, strings.ToLower(method))
}

// match is how an upstream path template (a route's path or rewrite, or
// a composition step's path) falls under a path of a service's document.
type match struct {
	// path is the document's path template.
	path string
	// rename maps a path parameter of the document to the parameter of
	// the upstream template whose value it receives; a document's
	// parameter that is not here is fixed by the template (a literal, or a
	// segment that is more than one parameter).
	rename map[string]string
}

// findPath returns the path of the document that the upstream template
// reaches: segments must be equal, or the document's a parameter. Where
// several paths fit, the one with a literal segment where the others have
// a parameter, at the first segment they differ, is the one a router
// preferring literals serves.
func (s *source) findPath(upstream string) (match, bool) {
	usegs := strings.Split(strings.TrimPrefix(upstream, "/"), "/")
	var best match
	var bestRank []bool
	for _, p := range keys(get(s.root, "paths")) {
		dsegs := strings.Split(strings.TrimPrefix(p, "/"), "/")
		if len(dsegs) != len(usegs) {
			continue
		}
		m := match{path: p, rename: map[string]string{}}
		rank := make([]bool, len(dsegs))
		ok := true
		for i, d := range dsegs {
			u := usegs[i]
			switch name, param := paramName(d); {
			case !param:
				ok = d == u
				rank[i] = true
			case wholeParam(u):
				uname, _ := paramName(u)
				m.rename[name] = strings.TrimSuffix(uname, "...")
			}
			if !ok {
				break
			}
		}
		if ok && (bestRank == nil || literalFirst(rank, bestRank)) {
			best, bestRank = m, rank
		}
	}
	return best, bestRank != nil
}

// paramName returns the name of a segment that is exactly one parameter,
// "{name}".
func paramName(seg string) (string, bool) {
	if wholeParam(seg) {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// wholeParam reports whether seg is one parameter and nothing else.
func wholeParam(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' && !strings.ContainsAny(seg[1:len(seg)-1], "{}")
}

// literalFirst reports whether a has a literal where b has a parameter,
// at the first segment where they differ.
func literalFirst(a, b []bool) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i]
		}
	}
	return false
}

// effectiveSecurity returns the security requirements of op: its own, or
// the document's.
func (s *source) effectiveSecurity(op *yaml.Node) *yaml.Node {
	if sec := get(op, "security"); sec != nil {
		return sec
	}
	return get(s.root, "security")
}
