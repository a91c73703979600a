package router

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrConflict is wrapped by the error Add returns when a route with the same
// method, host and path shape already exists.
var ErrConflict = errors.New("route conflict")

// ErrRoute is wrapped by the errors Add returns for an invalid method or host.
var ErrRoute = errors.New("invalid route")

// Result is the outcome of Match.
type Result int

const (
	// NotFound: no route matches the host and path.
	NotFound Result = iota
	// Matched: a route matches host, path and method.
	Matched
	// MethodNotAllowed: routes match host and path but none accepts the
	// method; Match returns the methods that would be accepted.
	MethodNotAllowed
)

func (r Result) String() string {
	switch r {
	case NotFound:
		return "NotFound"
	case Matched:
		return "Matched"
	case MethodNotAllowed:
		return "MethodNotAllowed"
	}
	return fmt.Sprintf("Result(%d)", int(r))
}

type route[T any] struct {
	v T
	t *Template
}

type methodRoute[T any] struct {
	method string
	r      *route[T]
}

// leaf holds the routes that end at one trie position, by method.
type leaf[T any] struct {
	methods []methodRoute[T] // explicit methods, sorted
	any     *route[T]        // the route with no methods (every method), if any
	allow   []string         // sorted explicit methods, HEAD added when GET is present
}

// pick returns the route for method: an exact method match first, then for
// HEAD a GET route, then a route accepting every method.
func (l *leaf[T]) pick(method string) *route[T] {
	if l == nil {
		return nil
	}
	for i := range l.methods {
		if l.methods[i].method == method {
			return l.methods[i].r
		}
	}
	if method == "HEAD" {
		for i := range l.methods {
			if l.methods[i].method == "GET" {
				return l.methods[i].r
			}
		}
	}
	return l.any
}

// maxLinear is the number of literal children up to which find scans a
// slice instead of looking up a map.
const maxLinear = 8

// child returns the literal child for seg, or nil.
func (n *node[T]) child(seg string) *node[T] {
	if n.litKeys != nil {
		for i, k := range n.litKeys {
			if k == seg {
				return n.litNodes[i]
			}
		}
		return nil
	}
	if n.lits != nil {
		return n.lits[seg]
	}
	return nil
}

// segEnd returns the index of the '/' ending the segment at path[i:], or len(path).
func segEnd(path string, i int) int {
	for ; i < len(path); i++ {
		if path[i] == '/' {
			return i
		}
	}
	return i
}

// node is a trie position: the segments consumed so far.
type node[T any] struct {
	lits     map[string]*node[T] // literal next segment
	litKeys  []string            // the same as lits, for linear search when there are few
	litNodes []*node[T]
	param    *node[T] // {name} next segment
	end      *leaf[T] // templates ending here, no trailing slash (the root template "/" is root.end)
	endSlash *leaf[T] // templates ending here with a trailing slash
	wild     *leaf[T] // templates with a {name...} segment here
}

// Router matches requests to values of type T. Build it with New and Add,
// then use Match, which is safe for concurrent use; Add must not be called
// once Match may run (the gateway builds a fresh Router for each
// configuration and swaps it in atomically).
//
// Precedence, most specific first:
//   - host: routes for the exact host, then routes for a "*.domain" host,
//     then routes with no host;
//   - path: at each segment, a literal over a {param} over a {rest...}
//     wildcard, backtracking when the more specific branch fails (so
//     /a/{x}/c and /a/b/{y} both work); then an exact trailing-slash match
//     over a zero-segment wildcard match;
//   - method: an exact method, then (for HEAD) GET, then a route with no
//     methods.
//
// The method takes part in the search: the most specific route that matches
// host, path AND method wins, so with "GET /a/b" and "POST /a/{x}", POST /a/b
// matches the second. MethodNotAllowed is returned only when no route at all
// matches host, path and method but some match host and path.
type Router[T any] struct {
	exact map[string]*node[T] // by lower-case host
	wild  map[string]*node[T] // by the suffix after "*", e.g. ".example.com"
	any   *node[T]            // routes with no host
	n     int
}

// New returns an empty Router.
func New[T any]() *Router[T] {
	return &Router[T]{exact: map[string]*node[T]{}, wild: map[string]*node[T]{}}
}

// Len returns the number of routes added (a route with several methods counts once).
func (r *Router[T]) Len() int { return r.n }

func isTchar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// CanonicalMethods validates HTTP method tokens, upper-cases them (HTTP
// methods are case-sensitive and the standard ones are upper case, so a
// configured "get" is taken to mean GET), and sorts and de-duplicates them.
func CanonicalMethods(methods []string) ([]string, error) {
	out := make([]string, 0, len(methods))
	for _, m := range methods {
		if m == "" {
			return nil, fmt.Errorf("%w: empty method", ErrRoute)
		}
		for i := 0; i < len(m); i++ {
			if !isTchar(m[i]) {
				return nil, fmt.Errorf("%w: method %q is not an HTTP token", ErrRoute, m)
			}
		}
		out = append(out, strings.ToUpper(m))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// CanonicalHost validates a route's host and returns it in lower case
// without a trailing dot, and whether it is a "*.domain" wildcard. An empty
// host is valid and means any host. Hosts must be ASCII (use the punycode
// form of internationalised names) and must not carry a port; IPv6
// literals are written in brackets.
func CanonicalHost(h string) (host string, wildcard bool, err error) {
	if h == "" {
		return "", false, nil
	}
	h = strings.ToLower(h)
	h = strings.TrimSuffix(h, ".")
	rest := h
	if strings.HasPrefix(h, "*.") {
		wildcard = true
		rest = h[2:]
	}
	if rest == "" {
		return "", false, fmt.Errorf("%w: host %q is empty", ErrRoute, h)
	}
	if rest[0] == '[' {
		if wildcard || rest[len(rest)-1] != ']' || len(rest) < 3 {
			return "", false, fmt.Errorf("%w: host %q: malformed IPv6 literal (or a port)", ErrRoute, h)
		}
		for i := 1; i < len(rest)-1; i++ {
			c := rest[i]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || c == ':' || c == '.') {
				return "", false, fmt.Errorf("%w: host %q: malformed IPv6 literal", ErrRoute, h)
			}
		}
		return h, false, nil
	}
	for _, label := range strings.Split(rest, ".") {
		if label == "" {
			return "", false, fmt.Errorf("%w: host %q has an empty label", ErrRoute, h)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
			case c == ':':
				return "", false, fmt.Errorf("%w: host %q must not include a port (ports are ignored when matching)", ErrRoute, h)
			case c == '*':
				return "", false, fmt.Errorf("%w: host %q: '*' is allowed only as a leading \"*.\" label", ErrRoute, h)
			default:
				return "", false, fmt.Errorf("%w: host %q: invalid character %q (use the punycode form of non-ASCII names)", ErrRoute, h, c)
			}
		}
	}
	return h, wildcard, nil
}

// Add adds a route: methods (empty means every method; see
// CanonicalMethods), host (empty means any; see CanonicalHost; "*.domain"
// matches exactly one extra label) and path template t, with value v. It
// returns an error wrapping ErrConflict when a route with the same host and
// path shape already accepts one of the methods (two routes with no methods
// conflict too; a route with no methods does not conflict with one that
// lists methods, which takes precedence for its methods), and an error
// wrapping ErrRoute for an invalid method or host. On error nothing is added.
//
// Add must not be called concurrently with itself or with Match.
func (r *Router[T]) Add(methods []string, host string, t *Template, v T) error {
	if t == nil {
		return fmt.Errorf("%w: nil template", ErrRoute)
	}
	ms, err := CanonicalMethods(methods)
	if err != nil {
		return err
	}
	h, wildcard, err := CanonicalHost(host)
	if err != nil {
		return err
	}
	var root *node[T]
	switch {
	case h == "":
		if r.any == nil {
			r.any = &node[T]{}
		}
		root = r.any
	case wildcard:
		key := h[1:] // ".example.com"
		if r.wild[key] == nil {
			r.wild[key] = &node[T]{}
		}
		root = r.wild[key]
	default:
		if r.exact[h] == nil {
			r.exact[h] = &node[T]{}
		}
		root = r.exact[h]
	}

	// Find (creating) the leaf.
	n := root
	var lp **leaf[T]
	for i, sg := range t.segs {
		switch sg.kind {
		case segLiteral:
			if n.lits == nil {
				n.lits = map[string]*node[T]{}
			}
			c := n.lits[sg.text]
			if c == nil {
				c = &node[T]{}
				n.lits[sg.text] = c
				n.litKeys, n.litNodes = nil, nil
				if len(n.lits) <= maxLinear {
					for k, v := range n.lits {
						n.litKeys = append(n.litKeys, k)
						n.litNodes = append(n.litNodes, v)
					}
				}
			}
			n = c
		case segParam:
			if n.param == nil {
				n.param = &node[T]{}
			}
			n = n.param
		case segWildcard:
			if i != len(t.segs)-1 {
				panic("router: wildcard not last") // ParseTemplate guarantees it
			}
			lp = &n.wild
		}
	}
	if lp == nil {
		if t.trailing {
			lp = &n.endSlash
		} else {
			lp = &n.end
		}
	}
	if *lp == nil {
		*lp = &leaf[T]{}
	}
	l := *lp

	hostDesc := h
	if hostDesc == "" {
		hostDesc = "any host"
	}
	if len(ms) == 0 {
		if l.any != nil {
			return fmt.Errorf("%w: every method, %s, path %s: already routed by path %s", ErrConflict, hostDesc, t.str, l.any.t.str)
		}
	}
	for _, m := range ms {
		for _, e := range l.methods {
			if e.method == m {
				return fmt.Errorf("%w: %s, %s, path %s: already routed by path %s", ErrConflict, m, hostDesc, t.str, e.r.t.str)
			}
		}
	}

	rt := &route[T]{v: v, t: t}
	if len(ms) == 0 {
		l.any = rt
	}
	for _, m := range ms {
		l.methods = append(l.methods, methodRoute[T]{method: m, r: rt})
	}
	slices.SortFunc(l.methods, func(a, b methodRoute[T]) int { return strings.Compare(a.method, b.method) })
	allow := make([]string, 0, len(l.methods)+1)
	hasGet, hasHead := false, false
	for _, e := range l.methods {
		allow = append(allow, e.method)
		hasGet = hasGet || e.method == "GET"
		hasHead = hasHead || e.method == "HEAD"
	}
	if hasGet && !hasHead {
		allow = append(allow, "HEAD")
		slices.Sort(allow)
	}
	l.allow = slices.Clip(allow)
	r.n++
	return nil
}

// Match finds the route for a request. path must be the output of
// Normalize; host is the request's Host (any case, port and one trailing
// dot ignored). p receives the route's parameters; it is reset first.
//
// On Matched it returns the route's value. On MethodNotAllowed it returns
// the methods the matching routes accept, sorted, HEAD implied by GET; the
// slice may be shared and must not be modified. On NotFound it returns
// nothing.
//
// Match does not allocate, except for one string per {param} value that
// contains a percent-escape (values are decoded) and for the allow list
// when several routes with different shapes match the path.
func (r *Router[T]) Match(method, host, path string, p *Params) (v T, res Result, allow []string) {
	p.Reset()
	if path == "" || path[0] != '/' {
		return v, NotFound, nil
	}
	var roots [3]*node[T]
	nr := 0
	if len(r.exact) > 0 || len(r.wild) > 0 {
		var buf [256]byte
		if h, ok := requestHost(host, &buf); ok {
			if n := r.exact[string(h)]; n != nil {
				roots[nr] = n
				nr++
			}
			if len(r.wild) > 0 {
				if dot := bytesIndexDot(h); dot > 0 {
					if n := r.wild[string(h[dot:])]; n != nil {
						roots[nr] = n
						nr++
					}
				}
			}
		}
	}
	if r.any != nil {
		roots[nr] = r.any
		nr++
	}
	for _, root := range roots[:nr] {
		if rt := root.find(path, 1, method, p, 0); rt != nil {
			p.n = len(rt.t.params)
			wild := rt.t.HasWildcard()
			for i, name := range rt.t.params {
				p.names[i] = name
				if (!wild || i < p.n-1) && strings.IndexByte(p.values[i], '%') >= 0 {
					p.values[i] = unescape(p.values[i])
				}
			}
			return rt.v, Matched, nil
		}
	}
	clear(p.values[:])
	var leaves []*leaf[T]
	var one [4]*leaf[T]
	leaves = one[:0]
	for _, root := range roots[:nr] {
		leaves = root.collect(path, 1, leaves)
	}
	switch len(leaves) {
	case 0:
		return v, NotFound, nil
	case 1:
		return v, MethodNotAllowed, leaves[0].allow
	}
	var all []string
	for _, l := range leaves {
		all = append(all, l.allow...)
	}
	slices.Sort(all)
	return v, MethodNotAllowed, slices.Compact(all)
}

// requestHost copies the request host into buf lower-cased, without port
// and trailing dot. It reports false for an empty or over-long host.
func requestHost(host string, buf *[256]byte) ([]byte, bool) {
	if len(host) > 0 && host[0] == '[' {
		if i := strings.IndexByte(host, ']'); i > 0 {
			host = host[:i+1]
		}
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	if len(host) > 0 && host[len(host)-1] == '.' {
		host = host[:len(host)-1]
	}
	if host == "" || len(host) > len(buf) {
		return nil, false
	}
	b := buf[:len(host)]
	for i := 0; i < len(host); i++ {
		c := host[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return b, true
}

func bytesIndexDot(b []byte) int {
	for i, c := range b {
		if c == '.' {
			return i
		}
	}
	return -1
}

// find searches the subtree at n for the route matching path[i:] and method;
// path[i-1] is '/'. Raw parameter values are stored in p.values[np:].
func (n *node[T]) find(path string, i int, method string, p *Params, np int) *route[T] {
	if i == len(path) {
		// The path ends with '/': "/" itself at the root, else a trailing slash.
		l := n.endSlash
		if i == 1 {
			l = n.end
		}
		if rt := l.pick(method); rt != nil {
			return rt
		}
		if rt := n.wild.pick(method); rt != nil && np < MaxParams {
			p.values[np] = ""
			return rt
		}
		return nil
	}
	j := segEnd(path, i)
	seg := path[i:j]
	if c := n.child(seg); c != nil {
		if rt := c.next(path, j, method, p, np); rt != nil {
			return rt
		}
	}
	if n.param != nil && np < MaxParams {
		p.values[np] = seg
		if rt := n.param.next(path, j, method, p, np+1); rt != nil {
			return rt
		}
	}
	if rt := n.wild.pick(method); rt != nil && np < MaxParams {
		p.values[np] = path[i:]
		return rt
	}
	return nil
}

// next continues at child c after a segment ending at path[j].
func (c *node[T]) next(path string, j int, method string, p *Params, np int) *route[T] {
	if j == len(path) {
		return c.end.pick(method)
	}
	return c.find(path, j+1, method, p, np)
}

// collect appends every leaf whose templates match path[i:], ignoring the
// method. It mirrors find.
func (n *node[T]) collect(path string, i int, out []*leaf[T]) []*leaf[T] {
	add := func(l *leaf[T]) {
		if l != nil && (len(l.methods) > 0 || l.any != nil) {
			out = append(out, l)
		}
	}
	if i == len(path) {
		if i == 1 {
			add(n.end)
		} else {
			add(n.endSlash)
		}
		add(n.wild)
		return out
	}
	j := segEnd(path, i)
	seg := path[i:j]
	for _, c := range [2]*node[T]{n.child(seg), n.param} {
		if c == nil {
			continue
		}
		if j == len(path) {
			add(c.end)
		} else {
			out = c.collect(path, j+1, out)
		}
	}
	add(n.wild)
	return out
}

// unescape decodes the percent-escapes of a normalised segment. It
// allocates.
func unescape(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && class[s[i+1]]&clsHex != 0 && class[s[i+2]]&clsHex != 0 {
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		}
		b = append(b, c)
	}
	return string(b)
}
