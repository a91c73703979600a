package aggregate

import (
	"fmt"
	"slices"
	"strconv"
)

// shaper reshapes a step's decoded result: Select, then Allow, Deny and
// Rename, each following field paths through arrays (a path segment applied
// to an array applies to each element). It changes the tree in place.
type shaper struct {
	sel    fieldPath
	allow  *pathNode
	deny   *pathNode
	rename *renameNode
}

// pathNode is a trie of field paths; leaf marks the end of a path.
type pathNode struct {
	leaf     bool
	children map[string]*pathNode
}

func (n *pathNode) add(p fieldPath) {
	for _, seg := range p {
		c := n.children[seg]
		if c == nil {
			if n.children == nil {
				n.children = make(map[string]*pathNode)
			}
			c = &pathNode{}
			n.children[seg] = c
		}
		n = c
	}
	n.leaf = true
}

// renameNode is a trie of renamed paths; to is the new name of the member
// the path to this node ends at, or "".
type renameNode struct {
	to       string
	children map[string]*renameNode
}

// shapeError fails a step whose result does not fit its shaping rules.
type shapeError struct {
	kind Kind
	msg  string
}

func (e *shapeError) Error() string { return e.msg }

// newShaper compiles a step's shaping rules; it returns nil and no errors
// when there are none. Errors name the spec field.
func newShaper(sel string, allow, deny []string, rename map[string]string) (*shaper, []*FieldError) {
	var errs []*FieldError
	fail := func(field string, err error) { errs = append(errs, &FieldError{Field: field, Err: err}) }
	s := &shaper{}
	if sel != "" {
		p, err := parseFieldPath(sel)
		if err != nil {
			fail("select", err)
		}
		s.sel = p
	}
	for i, a := range allow {
		p, err := parseFieldPath(a)
		if err != nil {
			fail("allow["+strconv.Itoa(i)+"]", err)
			continue
		}
		if s.allow == nil {
			s.allow = &pathNode{}
		}
		s.allow.add(p)
	}
	for i, d := range deny {
		p, err := parseFieldPath(d)
		if err != nil {
			fail("deny["+strconv.Itoa(i)+"]", err)
			continue
		}
		if s.deny == nil {
			s.deny = &pathNode{}
		}
		s.deny.add(p)
	}
	for _, from := range sortedKeys(rename) {
		to := rename[from]
		field := "rename." + from
		p, err := parseFieldPath(from)
		if err != nil {
			fail(field, err)
			continue
		}
		if err := checkSegment(to); err != nil {
			fail(field, fmt.Errorf("new name %q: %w", to, err))
			continue
		}
		if to == p[len(p)-1] {
			fail(field, fmt.Errorf("renames %q to itself", to))
			continue
		}
		if s.rename == nil {
			s.rename = &renameNode{}
		}
		n := s.rename
		for _, seg := range p {
			c := n.children[seg]
			if c == nil {
				if n.children == nil {
					n.children = make(map[string]*renameNode)
				}
				c = &renameNode{}
				n.children[seg] = c
			}
			n = c
		}
		n.to = to
	}
	if s.rename != nil {
		for _, e := range checkRenames(s.rename, nil) {
			fail("rename", e)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if s.sel == nil && s.allow == nil && s.deny == nil && s.rename == nil {
		return nil, nil
	}
	return s, nil
}

// checkRenames reports renames in one object that would depend on the
// order they are applied in: two members renamed to one name, or a member
// renamed to a name another member is renamed from.
func checkRenames(n *renameNode, at fieldPath) []error {
	var errs []error
	targets := make(map[string]string)
	for _, from := range sortedKeys(n.children) {
		c := n.children[from]
		if c.to != "" {
			where := append(slices.Clone(at), from).String()
			if prev, ok := targets[c.to]; ok {
				errs = append(errs, fmt.Errorf("%s and %s are both renamed to %q", prev, where, c.to))
			}
			targets[c.to] = where
			if o, ok := n.children[c.to]; ok && o.to != "" {
				errs = append(errs, fmt.Errorf("%s is renamed to %q, which is renamed itself", where, c.to))
			}
		}
		errs = append(errs, checkRenames(c, append(slices.Clone(at), from))...)
	}
	return errs
}

// staticKeys returns the member names the shaped result can have, when the
// rules say (an allow-list does), for collision checks of merged steps.
func (s *shaper) staticKeys() ([]string, bool) {
	if s == nil || s.allow == nil {
		return nil, false
	}
	var keys []string
	for k := range s.allow.children {
		if d := s.deny; d != nil {
			if c := d.children[k]; c != nil && c.leaf {
				continue
			}
		}
		if r := s.rename; r != nil {
			if c := r.children[k]; c != nil && c.to != "" {
				k = c.to
			}
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, true
}

// apply shapes v in place and returns the result.
func (s *shaper) apply(v any) (any, error) {
	if s.sel != nil {
		x, ok := lookup(v, s.sel)
		if !ok {
			return nil, &shapeError{kind: KindShape, msg: "the result has no " + s.sel.String()}
		}
		v = x
	}
	if s.allow != nil {
		x, keep := allowTree(v, s.allow)
		if !keep {
			return nil, &shapeError{kind: KindShape, msg: "the result is not an object or array, so the allow-list keeps nothing"}
		}
		v = x
	}
	if s.deny != nil {
		denyTree(v, s.deny)
	}
	if s.rename != nil {
		if err := renameTree(v, s.rename); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// allowTree keeps the members of v reached by n's paths. Objects along a
// path stay (possibly empty), arrays keep the elements that stay, and a
// scalar where a path goes on does not stay.
func allowTree(v any, n *pathNode) (any, bool) {
	if n.leaf {
		return v, true
	}
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			cn := n.children[k]
			if cn == nil {
				delete(x, k)
				continue
			}
			if nv, keep := allowTree(c, cn); keep {
				x[k] = nv
			} else {
				delete(x, k)
			}
		}
		return x, true
	case []any:
		j := 0
		for _, e := range x {
			if nv, keep := allowTree(e, n); keep {
				x[j] = nv
				j++
			}
		}
		clear(x[j:])
		return x[:j], true
	}
	return nil, false
}

// denyTree removes the members of v reached by n's paths.
func denyTree(v any, n *pathNode) {
	switch x := v.(type) {
	case map[string]any:
		for k, cn := range n.children {
			c, ok := x[k]
			if !ok {
				continue
			}
			if cn.leaf {
				delete(x, k)
			} else {
				denyTree(c, cn)
			}
		}
	case []any:
		for _, e := range x {
			denyTree(e, n)
		}
	}
}

// renameTree renames the members of v reached by n's paths. A new name
// that is already a member is a conflict, never an overwrite.
func renameTree(v any, n *renameNode) error {
	switch x := v.(type) {
	case map[string]any:
		// Members are renamed after their own members, and Compile forbids
		// a new name that is renamed itself, so the order is irrelevant.
		for k, cn := range n.children {
			if c, ok := x[k]; ok && cn.children != nil {
				if err := renameTree(c, cn); err != nil {
					return err
				}
			}
		}
		for k, cn := range n.children {
			c, ok := x[k]
			if !ok || cn.to == "" {
				continue
			}
			if _, taken := x[cn.to]; taken {
				return &shapeError{kind: KindConflict, msg: fmt.Sprintf("renaming %q to %q: the object already has %q", k, cn.to, cn.to)}
			}
			delete(x, k)
			x[cn.to] = c
		}
	case []any:
		for _, e := range x {
			if err := renameTree(e, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// sortedKeys returns m's keys in order, so compile errors and generated
// structures do not depend on map iteration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var _ error = (*shapeError)(nil)
