package aggregate

import (
	"slices"
	"strings"
)

// maxReadNodes caps the nodes of one step's read tree. Index segments make
// paths advance at different speeds through nested arrays, so contrived
// paths could multiply the nodes; past the cap the result is decoded whole.
const maxReadNodes = 1024

// readNode says what the plan reads of a JSON value, so that decodePartial
// materialises only that and skips the rest. A nil *readNode reads nothing:
// the value is validated and left out (as nil in an array, absent in an
// object). A node that is not all keeps the value's kind: a scalar whole,
// an object with only the members in members, an array with all its
// elements (for its length), each read by the node elem returns.
type readNode struct {
	all     bool                 // the whole value is read
	members map[string]*readNode // the members read of an object
	elems   *readNode            // what is read of every element of an array
	index   map[int]*readNode    // what is read of particular elements, elems included
}

// member returns the node of an object's member.
func (n *readNode) member(name string) *readNode {
	if n.all {
		return n
	}
	return n.members[name]
}

// elem returns the node of an array's k-th element.
func (n *readNode) elem(k int) *readNode {
	if n.all {
		return n
	}
	if c, ok := n.index[k]; ok {
		return c
	}
	return n.elems
}

// segKind says how a read path's segment applies to an array.
type segKind uint8

const (
	// segLookup is a segment of a reference or Select, as lookup applies
	// it: an index selects one element, any other name maps the rest of
	// the path over every element.
	segLookup segKind = iota
	// segShape is a segment of an allow-list, which always applies to
	// every element.
	segShape
)

// readSeg is one segment of a read path.
type readSeg struct {
	name string
	kind segKind
}

// readPath is one path the plan reads in a step's result. whole says the
// value at its end is read whole; otherwise only its kind (and length, for
// an array) is.
type readPath struct {
	segs  []readSeg
	whole bool
}

// readPathOf returns p as a read path of segments of one kind.
func readPathOf(p fieldPath, kind segKind, whole bool) readPath {
	segs := make([]readSeg, len(p))
	for i, name := range p {
		segs[i] = readSeg{name: name, kind: kind}
	}
	return readPath{segs: segs, whole: whole}
}

// join returns p followed by q; the result is whole when q is.
func (p readPath) join(q readPath) readPath {
	return readPath{segs: append(slices.Clip(p.segs), q.segs...), whole: q.whole}
}

// key encodes p; segment names cannot hold the control characters used,
// and keys of paths are joined with newlines.
func (p readPath) key() string {
	var b strings.Builder
	for _, s := range p.segs {
		b.WriteByte(byte('0' + s.kind))
		b.WriteString(s.name)
		b.WriteByte(0)
	}
	if p.whole {
		b.WriteByte(1)
	}
	return b.String()
}

// readBuilder turns sets of read paths into a graph of read nodes; equal
// sets share a node, which ties the loops that nested arrays make.
type readBuilder struct {
	memo     map[string]*readNode
	overflow bool
}

// buildReads returns the read tree of paths, or nil when the whole value is
// read or the tree would exceed maxReadNodes.
func buildReads(paths []readPath) *readNode {
	b := &readBuilder{memo: make(map[string]*readNode)}
	n := b.node(paths)
	if b.overflow || n.all {
		return nil
	}
	return n
}

// node returns the node that reads what paths read of one value.
func (b *readBuilder) node(paths []readPath) *readNode {
	keys := make([]string, 0, len(paths))
	for _, p := range paths {
		switch {
		case len(p.segs) > 0:
			keys = append(keys, p.key())
		case p.whole:
			return &readNode{all: true}
		}
		// A path that reads only the kind adds nothing to a node.
	}
	slices.Sort(keys)
	key := strings.Join(slices.Compact(keys), "\n")
	if n, ok := b.memo[key]; ok {
		return n
	}
	if len(b.memo) >= maxReadNodes {
		b.overflow = true
		return &readNode{all: true}
	}
	n := &readNode{}
	b.memo[key] = n

	members := make(map[string][]readPath)
	index := make(map[int][]readPath)
	var elems []readPath
	for _, p := range paths {
		if len(p.segs) == 0 {
			continue
		}
		s, rest := p.segs[0], readPath{segs: p.segs[1:], whole: p.whole}
		members[s.name] = append(members[s.name], rest)
		if k, ok := arrayIndex(s.name); ok && s.kind == segLookup {
			index[k] = append(index[k], rest)
		} else {
			elems = append(elems, p) // the element goes on with the same segment
		}
	}
	if len(members) > 0 {
		n.members = make(map[string]*readNode, len(members))
		for _, name := range sortedKeys(members) {
			n.members[name] = b.node(members[name])
		}
	}
	if len(elems) > 0 {
		n.elems = b.node(elems)
	}
	if len(index) > 0 {
		n.index = make(map[int]*readNode, len(index))
		for k, ps := range index {
			n.index[k] = b.node(append(slices.Clip(ps), elems...))
		}
	}
	return n
}

// reads sets, for each step whose result is decoded, the part its plan
// reads: the paths other steps reference (a fan-out's array, with what its
// items' references read of each item), the shaper's, and the whole result
// of a step merged unshaped.
func (c *compiler) reads() {
	steps := c.plan.steps
	paths := make([][]readPath, len(steps))
	for i, st := range steps {
		for _, sr := range c.refs[i] {
			j := sr.r.step
			if sr.r == st.forEach {
				paths[j] = append(paths[j], fanOutReads(sr.r.path, c.items[i])...)
				continue
			}
			paths[j] = append(paths[j], readPathOf(sr.r.path, segLookup, true))
		}
		switch {
		case st.shaper != nil:
			paths[i] = append(paths[i], st.shaper.reads()...)
		case st.merge:
			paths[i] = append(paths[i], readPath{whole: true})
		}
	}
	for i, st := range steps {
		if st.needTree {
			st.reads = buildReads(paths[i])
		}
	}
}

// fanOutReads returns what a fan-out over the array at path reads, given
// the item references of its templates: the array's kind and length, and
// each reference's path below the array's place, where an array's elements
// are reached by mapping over it (and where lookup mapped on the way there,
// each item is the value at that place). A reference to the whole item, or
// one that starts with an index, which could select an element of an array
// lookup built rather than one of the result, reads the array whole.
func fanOutReads(path fieldPath, items []*ref) []readPath {
	at := readPathOf(path, segLookup, false)
	out := []readPath{at}
	for _, r := range items {
		if len(r.path) == 0 {
			out = append(out, readPathOf(path, segLookup, true))
			continue
		}
		if _, ok := arrayIndex(r.path[0]); ok {
			out = append(out, readPathOf(path, segLookup, true))
			continue
		}
		out = append(out, at.join(readPathOf(r.path, segLookup, true)))
	}
	return out
}

// reads returns the paths the shaper reads of a result: Select's path, and
// below it the allow-list's paths, or everything when there is no
// allow-list (Deny and Rename keep everything they do not touch).
func (s *shaper) reads() []readPath {
	sel := readPathOf(s.sel, segLookup, false)
	if s.allow == nil {
		return []readPath{sel.join(readPath{whole: true})}
	}
	var out []readPath
	var walk func(n *pathNode, at []string)
	walk = func(n *pathNode, at []string) {
		if n.leaf {
			out = append(out, sel.join(readPathOf(at, segShape, true)))
			return
		}
		for _, name := range sortedKeys(n.children) {
			walk(n.children[name], append(slices.Clip(at), name))
		}
	}
	walk(s.allow, nil)
	return out
}
