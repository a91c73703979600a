package aggregate

import (
	"errors"
	"fmt"
	"strings"
)

// maxFieldPathSegments caps the depth of a field path, so a path from a
// spec cannot make lookups recurse without bound.
const maxFieldPathSegments = 32

// fieldPath is a dotted path into a JSON value: "items.owner.id". Each
// segment is a member name; what a segment does on an array depends on the
// user (lookup indexes or maps, shaping always maps).
type fieldPath []string

// parseFieldPath parses a dotted path. Segments are non-empty and contain
// no '.', '{', '}', '|' and no control characters.
func parseFieldPath(s string) (fieldPath, error) {
	if s == "" {
		return nil, errors.New("empty field path")
	}
	n := strings.Count(s, ".") + 1
	if n > maxFieldPathSegments {
		return nil, fmt.Errorf("field path %q has %d segments, more than %d", s, n, maxFieldPathSegments)
	}
	p := make(fieldPath, 0, n)
	for seg := range strings.SplitSeq(s, ".") {
		if err := checkSegment(seg); err != nil {
			return nil, fmt.Errorf("field path %q: %w", s, err)
		}
		p = append(p, seg)
	}
	return p, nil
}

// checkSegment reports whether seg can be one segment of a field path.
func checkSegment(seg string) error {
	if seg == "" {
		return errors.New("empty segment")
	}
	for i := 0; i < len(seg); i++ {
		switch c := seg[i]; {
		case c == '.' || c == '{' || c == '}' || c == '|':
			return fmt.Errorf("segment %q contains %q", seg, c)
		case c < 0x20 || c == 0x7f:
			return fmt.Errorf("segment %q contains a control character", seg)
		}
	}
	return nil
}

// String returns the path as written.
func (p fieldPath) String() string { return strings.Join(p, ".") }

// lookup resolves p in v, a decoded JSON value. On an object a segment
// selects the member; on an array a segment that is a decimal index selects
// that element, and any other segment maps the rest of the path over the
// elements, giving an array. It reports false when a member or element is
// missing or a segment meets a scalar.
func lookup(v any, p []string) (any, bool) {
	for i, seg := range p {
		switch x := v.(type) {
		case map[string]any:
			c, ok := x[seg]
			if !ok {
				return nil, false
			}
			v = c
		case []any:
			if n, ok := arrayIndex(seg); ok {
				if n >= len(x) {
					return nil, false
				}
				v = x[n]
				continue
			}
			out := make([]any, len(x))
			for j, e := range x {
				r, ok := lookup(e, p[i:])
				if !ok {
					return nil, false
				}
				out[j] = r
			}
			return out, true
		default:
			return nil, false
		}
	}
	return v, true
}

// arrayIndex parses a decimal array index without sign or leading zeros.
func arrayIndex(s string) (int, bool) {
	if s == "" || len(s) > 9 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
