package aggregate

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// FuzzTemplate checks that parsing never panics, that the canonical form
// parses to itself, and that expansion keeps inserted values inside their
// path segment or query component. Seeds: testdata/fuzz/FuzzTemplate.
func FuzzTemplate(f *testing.F) {
	f.Add("/orgs/{path.org}/x")
	f.Add("{{literal}} {query.q|def}")
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := parseTemplate(s)
		if err != nil {
			return
		}
		canon := tp.String()
		tp2, err := parseTemplate(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if got := tp2.String(); got != canon {
			t.Fatalf("canonical form of %q: got %q then %q", s, canon, got)
		}
		if tp.literal() {
			// A literal template expands to its text with braces unescaped.
			got, err := tp.expand(nil, &env{in: &Input{}}, escRaw)
			want := strings.NewReplacer("{{", "{", "}}", "}").Replace(s)
			if err != nil || string(got) != want {
				t.Fatalf("expand %q: got %q %v, want %q", s, got, err, want)
			}
		}
		e := &env{
			in: &Input{
				Path:     fuzzParams{},
				Query:    url.Values{"a": {"x/y?z&w=#"}},
				Identity: map[string]any{"a": "a/b", "b": []any{"c", 1.5}},
			},
			item: map[string]any{"id": "../.."},
		}
		for _, p := range tp.parts {
			if p.ref != nil && p.ref.ns == nsSteps {
				return // no results to read in this harness
			}
		}
		lits := 0
		for _, p := range tp.parts {
			if p.ref == nil {
				lits += strings.Count(p.lit, "/")
			}
		}
		if out, err := tp.expand(nil, e, escPath); err == nil && bytes.Count(out, []byte("/")) != lits {
			t.Fatalf("expand %q in a path: got %q, where an inserted value added a segment", s, out)
		}
		if out, err := tp.expand(nil, e, escQuery); err == nil && bytes.ContainsAny(out, "&=#") {
			t.Fatalf("expand %q in a query: got %q, which is more than one component", s, out)
		}
		if out, err := tp.expand(nil, e, escJSON); err == nil && !json.Valid([]byte(`"`+string(out)+`"`)) {
			t.Fatalf("expand %q in JSON: got %q, not a valid string body", s, out)
		}
	})
}

// fuzzParams answers every path parameter with its own name plus text
// that needs escaping.
type fuzzParams struct{}

func (fuzzParams) Lookup(name string) (string, bool) { return name + "/ ?%", true }

// FuzzFieldPath checks that a parsed path prints as written and that
// lookups never panic. Seeds: testdata/fuzz/FuzzFieldPath.
func FuzzFieldPath(f *testing.F) {
	f.Add("items.0.owner.id")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseFieldPath(s)
		if err != nil {
			return
		}
		if got := p.String(); got != s {
			t.Fatalf("String of %q: got %q", s, got)
		}
		doc := mustDecode(t, []byte(`{"items":[{"owner":{"id":1}},{"owner":{"id":2}}],"0":[[1,2],[3]],"a":{"b":null}}`))
		if v, ok := lookup(doc, p); ok {
			if _, err := appendJSON(nil, v); err != nil {
				t.Fatalf("lookup %q gave an unencodable value: %v", s, err)
			}
		}
	})
}

// FuzzShape checks shaping over arbitrary JSON: it never panics, always
// gives valid JSON, a denied path is gone afterwards, and an allow-list
// applied twice changes nothing the second time. Seeds:
// testdata/fuzz/FuzzShape.
func FuzzShape(f *testing.F) {
	f.Add(`{"a":[{"b":1,"c":2}]}`, "a.b", "a.c", "a.b", "x")
	f.Fuzz(func(t *testing.T, doc, allow, deny, renameFrom, renameTo string) {
		v, err := decodeJSON([]byte(doc))
		if err != nil {
			return
		}
		var rename map[string]string
		if renameFrom != "" {
			rename = map[string]string{renameFrom: renameTo}
		}
		sh, errs := newShaper("", splitList(allow), splitList(deny), rename)
		if len(errs) > 0 || sh == nil {
			return
		}
		out, err := sh.apply(v)
		if err != nil {
			return
		}
		b, err := appendJSON(nil, out)
		if err != nil || !json.Valid(b) {
			t.Fatalf("shape %s: got %q %v, not valid JSON", doc, b, err)
		}
		if sh.rename == nil {
			for _, d := range splitList(deny) {
				p, _ := parseFieldPath(d)
				if x, ok := lookup(out, p); ok && !emptyArrays(x) {
					t.Fatalf("shape %s: denied %s still present: %s", doc, d, b)
				}
			}
			if sh.allow != nil && sh.deny == nil {
				again, err := sh.apply(mustDecode(t, b))
				b2, _ := appendJSON(nil, again)
				if err != nil || !reflect.DeepEqual(mustDecode(t, b), mustDecode(t, b2)) {
					t.Fatalf("allow-list not idempotent on %s: %s then %s (%v)", doc, b, b2, err)
				}
			}
		}
	})
}

// emptyArrays reports a value made only of (nested) empty arrays: what a
// lookup mapping over arrays finds when no element holds the path.
func emptyArrays(v any) bool {
	a, ok := v.([]any)
	if !ok {
		return false
	}
	for _, e := range a {
		if !emptyArrays(e) {
			return false
		}
	}
	return true
}

// splitList splits a comma-separated fuzz argument.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
